import { describe, expect, it } from "vitest";
import { conversationCost, dayGroup, demoHint, formatCost, formatStats, groupByDay, keyEnvNote, keyStatus, modelLabel, orList, providerName } from "./format";
import type { Stats } from "./types";
import { providerView } from "./testing";

const stats = (extra: Partial<Stats> = {}): Stats => ({
  ttft_ms: 410,
  tokens_per_sec: 96.3,
  output_tokens: 312,
  tokens_estimated: false,
  input_tokens: 20,
  duration_ms: 3600,
  finish_reason: "stop",
  ...extra,
});

describe("formatStats", () => {
  it("formats the stats line", () => {
    expect(formatStats(stats())).toBe("0.41 s to first token · 96 tok/s · 312 tok · stop");
  });
  it("marks estimated token counts with ~", () => {
    expect(formatStats(stats({ tokens_estimated: true }))).toBe("0.41 s to first token · ~96 tok/s · ~312 tok · stop");
  });
  it("leaves out what is unknown", () => {
    expect(formatStats(stats({ ttft_ms: null, tokens_per_sec: null, finish_reason: null }))).toBe("312 tok");
    expect(formatStats(null)).toBe("");
    expect(formatStats(stats({ finish_reason: "content_filter" }))).toContain("content filter");
  });
  it("adds the reasoning tokens and the server's own rate when the provider reports them", () => {
    expect(formatStats(stats({ reasoning_tokens: 200, server_tokens_per_sec: 120.4 }))).toBe(
      "0.41 s to first token · 96 tok/s · 312 tok (200 reasoning) · server 120 tok/s · stop",
    );
    expect(formatStats(stats({ reasoning_tokens: 0 }))).toBe("0.41 s to first token · 96 tok/s · 312 tok · stop");
  });
});

describe("names", () => {
  it("model labels drop the provider", () => {
    expect(modelLabel("openai/gpt-4o-mini")).toBe("gpt-4o-mini");
    expect(modelLabel("ollama/library/qwen:7b")).toBe("library/qwen:7b");
    expect(modelLabel(null)).toBe("");
  });
  it("provider names come from the catalog", () => {
    const catalog = [providerView({ id: "my-vllm", name: "My vLLM", models: [], available: true, local: false, hint: null })];
    expect(providerName("my-vllm/x", catalog)).toBe("My vLLM");
    // Not in the catalog (it failed to load, or the provider is gone): its id, capitalized.
    expect(providerName("groq/x", [])).toBe("Groq");
    expect(providerName("x", [])).toBeNull();
  });
  it("the demo's hint names the demo and the providers waiting for a key, from the catalog", () => {
    const catalog = [
      providerView({ id: "offline", name: "Canned (offline)" }),
      providerView({ id: "alpha", name: "Alpha", available: false }),
      providerView({ id: "local", name: "Box" }),
      providerView({ id: "beta", name: "Beta", available: false }),
    ];
    expect(demoHint(catalog, "offline")).toBe("You're on Canned (offline) — add an API key in Settings to chat with Alpha or Beta.");
    expect(demoHint(catalog.slice(0, 1), "offline")).toBe("You're on Canned (offline) — add an API key in Settings to chat with another provider.");
    expect(demoHint([], "offline")).toContain("You're on offline —");
  });
  it("lists with or", () => {
    expect(orList([])).toBe("");
    expect(orList(["A"])).toBe("A");
    expect(orList(["A", "B"])).toBe("A or B");
    expect(orList(["A", "B", "C"])).toBe("A, B or C");
  });
  it("key status words", () => {
    expect(keyStatus({ key: "keychain", key_env: null, takes_key: true })).toBe("Key set ✓ (keychain)");
    expect(keyStatus({ key: "env", key_env: "OPENAI_API_KEY", takes_key: true })).toBe("From OPENAI_API_KEY");
    expect(keyStatus({ key: "none", key_env: null, takes_key: true })).toBe("No key");
    expect(keyStatus({ key: "unavailable", key_env: null, takes_key: true })).toBe("Keychain unavailable");
    expect(keyEnvNote({ key: "none", key_env: "OPENAI_API_KEY", takes_key: true })).toBe("Reads OPENAI_API_KEY first");
    expect(keyEnvNote({ key: "keychain", key_env: "OPENAI_API_KEY", takes_key: true })).toBe("Reads OPENAI_API_KEY first");
    expect(keyEnvNote({ key: "env", key_env: "OPENAI_API_KEY", takes_key: true })).toBeNull();
    expect(keyEnvNote({ key: "none", key_env: null, takes_key: true })).toBeNull();
    expect(keyEnvNote({ key: "none", key_env: "X", takes_key: false })).toBeNull();
  });
});

describe("day groups", () => {
  const now = new Date(2026, 10, 28, 15, 0, 0);
  const at = (d: number, h = 12) => new Date(2026, 10, 28 - d, h).getTime();
  it("splits by local calendar day", () => {
    expect(dayGroup(at(0, 0), now)).toBe("Today");
    expect(dayGroup(at(1, 23), now)).toBe("Yesterday");
    expect(dayGroup(at(1, 0), now)).toBe("Yesterday");
    expect(dayGroup(at(2), now)).toBe("Previous 7 days");
    expect(dayGroup(at(7), now)).toBe("Previous 7 days");
    expect(dayGroup(at(9), now)).toBe("Older");
  });
  it("keeps order and skips empty groups", () => {
    const items = [at(0), at(0, 1), at(3), at(30)].map((updated_at, id) => ({ id, updated_at }));
    const groups = groupByDay(items, now);
    expect(groups.map(([g]) => g)).toEqual(["Today", "Previous 7 days", "Older"]);
    expect(groups[0][1].map((i) => i.id)).toEqual([0, 1]);
  });
});

describe("formatCost", () => {
  it("writes two significant digits below a dollar, cents above, as the core does", () => {
    const cases: [number, string][] = [
      [0, "$0.00"],
      [0.0000004, "<$0.000001"],
      [0.0000123, "$0.000012"],
      [0.00045, "$0.00045"],
      [0.0042, "$0.0042"],
      [0.004249, "$0.0042"],
      [0.0999, "$0.10"],
      [0.123, "$0.12"],
      [0.5, "$0.50"],
      [12.345, "$12.35"],
    ];
    for (const [usd, written] of cases) expect(formatCost(usd)).toBe(written);
  });
});

describe("conversationCost", () => {
  it("sums the priced answers and says how many were not priced", () => {
    expect(conversationCost([0.001, 0.0002])).toBe("$0.0012");
    expect(conversationCost([0.001, null, undefined, 0.002])).toBe("$0.003 · 2 answers not priced");
    expect(conversationCost([0.5, null])).toBe("$0.50 · 1 answer not priced");
  });
  it("is empty when no answer was priced", () => {
    expect(conversationCost([])).toBe("");
    expect(conversationCost([null, null])).toBe("");
  });
});
