import { describe, expect, it } from "vitest";
import { stats, streamSummary } from "../testing";
import type { EventRow, StreamEvent, Timeline } from "../types";
import { timelineGeometry } from "./chart";
import { COMMENT, describeEvent, eventLabel, prettyData, rowMatches, summaryItems, toJsonLines } from "./rows";

const row = (at_ms: number, event: string, data: string, decoded: StreamEvent[] = []): EventRow => ({
  at_ms,
  event,
  bytes: new TextEncoder().encode(data).length,
  data,
  fields: [],
  decoded,
});

describe("decoded events, data, filter and JSON Lines", () => {
  it("labels a comment line's row", () => {
    expect(eventLabel(row(0, COMMENT, " ping"))).toBe(": comment");
    expect(eventLabel(row(0, "message_start", "{}"))).toBe("message_start");
  });

  it("says each decoded event in words", () => {
    expect(describeEvent({ type: "text", text: "a\"b" })).toBe('text "a\\"b"');
    expect(describeEvent({ type: "finish", reason: "stop", raw_reason: "end_turn" })).toBe("finish stop (end_turn)");
    expect(describeEvent({ type: "usage", input_tokens: null, output_tokens: 3 })).toBe("usage – in · 3 out");
  });

  it("pretty-prints JSON data and leaves other data as it came", () => {
    expect(prettyData('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyData("[DONE]")).toBe("[DONE]");
    expect(prettyData("{broken")).toBe("{broken");
  });

  it("filters by event name or text, every word, ignoring case; comments by 'comment'", () => {
    const rows = [row(0, "ping", "{}"), row(1, "content_block_delta", '{"text":"Hello World"}'), row(2, COMMENT, " keep-alive")];
    const passing = (q: string) => rows.filter((r) => rowMatches(r, q)).map((r) => r.at_ms);
    expect(passing("")).toEqual([0, 1, 2]);
    expect(passing("PING")).toEqual([0]);
    expect(passing("delta hello")).toEqual([1]);
    expect(passing("delta bye")).toEqual([]);
    expect(passing("comment")).toEqual([2]);
    expect(passing("keep")).toEqual([2]);
  });

  it("copies rows as JSON Lines, one object per row with what came and what it decoded to", () => {
    const rows = [
      { ...row(1.5, "message", '{"choices":[{"delta":{"content":"é"}}]}', [{ type: "text", text: "é" }]), fields: [{ label: "content", value: '"é"' }] },
      row(2, "message", "[DONE]"),
    ];
    const lines = toJsonLines(rows).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(lines.slice(0, 2).map((l) => JSON.parse(l))).toEqual(rows.map(({ fields: _, ...copied }) => copied));
    expect(toJsonLines([])).toBe("");
  });
});

describe("the summary and the chart, from Rust's numbers", () => {
  it("formats the summary's numbers", () => {
    const summary = streamSummary({
      events: 5,
      bytes: 812,
      ttfb_ms: 100,
      stats: stats({ ttft_ms: 300, duration_ms: 1400, tokens_per_sec: 1.8181, finish_reason: "content_filter", output_tokens: 2 }),
    });
    expect(Object.fromEntries(summaryItems(summary))).toEqual({
      Events: "5",
      Bytes: "812 B",
      Duration: "1.40 s",
      TTFB: "100 ms",
      TTFT: "300 ms",
      "Tokens/s": "1.8",
      Finish: "content filter",
      Usage: "– in · 2 out",
    });
    const unknown = Object.fromEntries(summaryItems(streamSummary({ status: 429, truncated: true })));
    expect(unknown).toMatchObject({ TTFT: "–", "Tokens/s": "–", Finish: "–", Usage: "–", Status: "429", Recorded: "first 64 MiB only" });
  });

  it("draws a tick per slice with events, the first token and the longest gap", () => {
    const slices = 480;
    const counts = (at: Record<number, number>) => Array.from({ length: slices }, (_, slice) => at[slice] ?? 0);
    // Rows at 100, 300, 1300 (and a comment) and 1400 ms of 1400, counted by Rust per slice.
    const slice = (ms: number) => Math.min(slices - 1, Math.floor((ms / 1400) * slices));
    const timeline: Timeline = {
      span_ms: 1400,
      events: counts({ [slice(100)]: 1, [slice(300)]: 1, [slice(1300)]: 1, [slice(1400)]: 1 }),
      comments: counts({ [slice(1300)]: 1 }),
      content: counts({ [slice(300)]: 1, [slice(1300)]: 1 }),
      longest_gap_ms: 1000,
    };
    const g = timelineGeometry(timeline, 300);
    expect(g.ticks.match(/M/g)).toHaveLength(4);
    expect(g.comments.match(/M/g)).toHaveLength(1);
    expect(g.ticks.startsWith("M43.1 ")).toBe(true); // the middle of 100 ms's slice, of 1400 ms across 600
    expect(g.ttftX).toBeCloseTo(128.6, 1);
    expect([g.longestGapMs, g.rows]).toEqual([1000, 5]);
    expect(g.peakRate).toBeGreaterThan(0);
    expect(g.rate.endsWith("Z")).toBe(true);
    expect(timelineGeometry({ ...timeline, content: counts({}) }, null).rate).toBe("");
  });
});
