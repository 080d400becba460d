import { describe, expect, it } from "vitest";
import { allEnded, summaryRows } from "./compare-stats";
import type { Stats } from "./types";

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
      { model: "openai/gpt", state: "done", content: "Café 🦀", stats: stats({ cost_usd: 0.00042 }) },
      { model: "slow/m", state: "stopped", content: "tok0 ", stats: stats({ tokens_estimated: true, output_tokens: 1, tokens_per_sec: 2 }) },
      { model: "failing/m", state: "error", content: "", stats: null },
    ]);
    expect(rows).toEqual([
      { model: "openai/gpt", state: "done", ttft: "0.41 s", total: "3.65 s", tokens: "312", tokensPerSec: "96.4", characters: "6", cost: "$0.00042" },
      { model: "slow/m", state: "stopped", ttft: "0.41 s", total: "3.65 s", tokens: "~1", tokensPerSec: "~2.0", characters: "5", cost: "–" },
      { model: "failing/m", state: "error", ttft: "–", total: "–", tokens: "–", tokensPerSec: "–", characters: "0", cost: "–" },
    ]);
  });

  it("shows only once every column has ended", () => {
    expect(allEnded([])).toBe(false);
    expect(allEnded([{ state: "done" }, { state: "streaming" }])).toBe(false);
    expect(allEnded([{ state: "done" }, { state: "error" }, { state: "stopped" }])).toBe(true);
  });
});
