import { describe, expect, it } from "vitest";
import type { EventRow, StreamEvent } from "../types";
import { TIMELINE_SLICES, timelineGeometry, timelineOf } from "./chart";
import { COMMENT, describeEvent, eventLabel, prettyData, rowFields, rowMatches, summarizeRows, summaryItems, toJsonLines } from "./rows";

const row = (at_ms: number, event: string, data: string, decoded: StreamEvent[] = []): EventRow => ({
  at_ms,
  event,
  bytes: new TextEncoder().encode(data).length,
  data,
  decoded,
});

const chunk = (delta: object, finish: string | null = null) =>
  JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }] });

describe("a row's fields", () => {
  it("shows an OpenAI chunk's id, model, content exactly and finish_reason", () => {
    const field = (data: string, name: string) => Object.fromEntries(rowFields(row(0, "message", data)))[name];
    expect(field(chunk({ content: "" }), "content")).toBe('""');
    expect(field(chunk({ content: null }), "content")).toBe("null");
    expect(field(chunk({}), "content")).toBe("(absent)");
    expect(field(chunk({ content: "Hi\n" }), "content")).toBe('"Hi\\n"');
    expect(field(chunk({}, "stop"), "finish_reason")).toBe('"stop"');
    expect(field(chunk({}), "finish_reason")).toBe("null");
    expect(field(chunk({}), "id")).toBe("chatcmpl-1");
    expect(field(chunk({}), "model")).toBe("gpt-4o-mini");
  });

  it("shows an Anthropic event's type and its delta", () => {
    const delta = JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "" } });
    expect(rowFields(row(0, "content_block_delta", delta))).toEqual([
      ["type", "content_block_delta"],
      ["index", "0"],
      ["delta", "text_delta"],
      ["text", '""'],
    ]);
    const start = JSON.stringify({ type: "message_start", message: { id: "msg_1", model: "claude", usage: { input_tokens: 9, output_tokens: 1 } } });
    expect(rowFields(row(0, "message_start", start))).toEqual([
      ["type", "message_start"],
      ["id", "msg_1"],
      ["model", "claude"],
      ["usage", "9 in · 1 out"],
    ]);
    const stop = JSON.stringify({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 12 } });
    expect(rowFields(row(0, "message_delta", stop))).toContainEqual(["stop_reason", '"end_turn"']);
  });

  it("has none for [DONE], a comment or text that is not JSON", () => {
    expect(rowFields(row(0, "message", "[DONE]"))).toEqual([]);
    expect(rowFields(row(0, COMMENT, ' {"type":"x"}'))).toEqual([]);
    expect(rowFields(row(0, "message", "{not json"))).toEqual([]);
    expect(eventLabel(row(0, COMMENT, " ping"))).toBe(": comment");
  });
});

describe("decoded events, data, filter and JSON Lines", () => {
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

  it("copies rows as JSON Lines, one object per row, that parse back to the rows", () => {
    const rows = [row(1.5, "message", chunk({ content: "é" }), [{ type: "text", text: "é" }]), row(2, "message", "[DONE]")];
    const lines = toJsonLines(rows).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(lines.slice(0, 2).map((l) => JSON.parse(l))).toEqual(rows);
    expect(toJsonLines([])).toBe("");
  });
});

describe("the live summary and the chart", () => {
  const rows = [
    row(100, "message", chunk({ role: "assistant", content: "" }), [{ type: "start", id: "c", model: "m" }]),
    row(300, "message", chunk({ content: "Hi" }), [{ type: "text", text: "Hi" }]),
    row(1300, COMMENT, " ping"),
    row(1300, "message", chunk({ content: " there" }), [{ type: "text", text: " there" }]),
    row(1400, "message", chunk({}, "stop"), [{ type: "finish", reason: "stop", raw_reason: "stop" }]),
  ];

  it("works the numbers out from the rows", () => {
    const s = summarizeRows(rows, "openai", "m");
    expect([s.events, s.ttfb_ms, s.ttft_ms, s.duration_ms, s.finish_reason]).toEqual([5, 100, 300, 1400, "stop"]);
    expect(s.bytes).toBe(rows.reduce((n, r) => n + r.bytes, 0));
    expect(s.tokens_per_sec).toBeCloseTo(2 / 1.1, 5);
    const items = Object.fromEntries(summaryItems(s));
    expect(items).toMatchObject({ Events: "5", TTFB: "100 ms", TTFT: "300 ms", Duration: "1.40 s", Finish: "stop", Usage: "–" });
  });

  it("takes usage over counted deltas", () => {
    const withUsage = [...rows, row(1500, "message", "{}", [{ type: "usage", input_tokens: 7, output_tokens: 11 }])];
    const s = summarizeRows(withUsage, "openai", null);
    expect([s.input_tokens, s.output_tokens]).toEqual([7, 11]);
    expect(s.tokens_per_sec).toBeCloseTo(11 / 1.2, 5);
  });

  it("counts rows per slice of time, as Rust does, and draws a tick per slice with events, the first token and the longest gap", () => {
    const timeline = timelineOf(rows);
    expect(timeline.span_ms).toBe(1400);
    expect(timeline.events.length).toBe(TIMELINE_SLICES);
    const slice = (ms: number) => Math.min(TIMELINE_SLICES - 1, Math.floor((ms / 1400) * TIMELINE_SLICES));
    expect(timeline.events[slice(100)]).toBe(1);
    expect(timeline.events[slice(1300)]).toBe(1);
    expect(timeline.comments[slice(1300)]).toBe(1);
    expect(timeline.events[TIMELINE_SLICES - 1]).toBe(1);
    expect(timeline.content.reduce((a, b) => a + b)).toBe(2);
    const g = timelineGeometry(timeline, 300);
    expect(g.ticks.match(/M/g)).toHaveLength(4);
    expect(g.comments.match(/M/g)).toHaveLength(1);
    expect(g.ticks.startsWith("M43.1 ")).toBe(true); // the middle of 100 ms's slice, of 1400 ms across 600
    expect(g.ttftX).toBeCloseTo(128.6, 1);
    expect([g.longestGapMs, g.rows]).toEqual([1000, 5]);
    expect(g.peakRate).toBeGreaterThan(0);
    expect(g.rate.endsWith("Z")).toBe(true);
    expect(timelineGeometry(timelineOf([rows[0]]), null).rate).toBe("");
  });
});
