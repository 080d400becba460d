import { describe, expect, it } from "vitest";
import { allEnded, LiveStats, summaryRows } from "./compare-stats";
import type { Saved, Stats, StreamMessage } from "./types";

const text = (seq: number, t: string): StreamMessage => ({ seq, type: "text", text: t });
const saved: Saved = { id: 1, state: "done", error: null, stats: null };

describe("a column's live stats", () => {
  it("time the first token from the request, count deltas until usage arrives, then the provider's count", () => {
    const live = new LiveStats(1000);
    expect(live.snapshot(1200)).toMatchObject({ ttft_ms: null, output_tokens: null, tokens_per_sec: null, duration_ms: 200 });
    live.apply([{ seq: 1, type: "start", id: null, model: null }, text(2, "")], 1300);
    expect(live.snapshot(1300).ttft_ms).toBeNull();
    live.apply([text(3, "Hello"), text(4, " world")], 1400);
    live.apply([text(5, "!")], 1900);
    expect(live.snapshot(2400)).toMatchObject({ ttft_ms: 400, output_tokens: 3, tokens_estimated: true, tokens_per_sec: 3 });
    live.apply([{ seq: 6, type: "usage", input_tokens: 4, output_tokens: 10 }], 2400);
    live.apply([{ seq: 7, type: "finish", reason: "length", raw_reason: "length", saved }], 2400);
    expect(live.snapshot(2400)).toMatchObject({ output_tokens: 10, tokens_estimated: false, tokens_per_sec: 10, finish_reason: "length" });
  });
});

describe("the summary table", () => {
  const stats = (fields: Partial<Stats>): Stats => ({
    ttft_ms: 410,
    tokens_per_sec: 96.44,
    output_tokens: 312,
    tokens_estimated: false,
    input_tokens: 9,
    duration_ms: 3650,
    finish_reason: "stop",
    ...fields,
  });

  it("gives each column its times, tokens, rate and characters, in column order", () => {
    const rows = summaryRows([
      { model: "openai/gpt", state: "done", content: "Café 🦀", stats: stats({}) },
      { model: "slow/m", state: "stopped", content: "tok0 ", stats: stats({ tokens_estimated: true, output_tokens: 1, tokens_per_sec: 2 }) },
      { model: "failing/m", state: "error", content: "", stats: null },
    ]);
    expect(rows).toEqual([
      { model: "openai/gpt", state: "done", ttft: "0.41 s", total: "3.65 s", tokens: "312", tokensPerSec: "96.4", characters: "6" },
      { model: "slow/m", state: "stopped", ttft: "0.41 s", total: "3.65 s", tokens: "~1", tokensPerSec: "~2.0", characters: "5" },
      { model: "failing/m", state: "error", ttft: "–", total: "–", tokens: "–", tokensPerSec: "–", characters: "0" },
    ]);
  });

  it("shows only once every column has ended", () => {
    expect(allEnded([])).toBe(false);
    expect(allEnded([{ state: "done" }, { state: "streaming" }])).toBe(false);
    expect(allEnded([{ state: "done" }, { state: "error" }, { state: "stopped" }])).toBe(true);
  });
});
