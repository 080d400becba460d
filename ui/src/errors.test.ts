import { describe, expect, it } from "vitest";
import { describeError, pointsToSettings } from "./errors";
import type { UiError } from "./types";

const e = (kind: string, extra: Partial<UiError> = {}): UiError => ({ kind, message: "provider said so", status: null, error_type: null, retry_after: null, retryable: true, ...extra });

describe("describeError", () => {
  it("rate limits say when to retry, from retry_after", () => {
    expect(describeError(e("rate_limited", { retry_after: 20 }), "OpenAI")).toBe("Rate limited — retry in 20 s");
    expect(describeError(e("rate_limited", { retry_after: 1.2 }), "OpenAI")).toBe("Rate limited — retry in 2 s");
    expect(describeError(e("rate_limited", { retry_after: 300 }), "OpenAI")).toBe("Rate limited — retry in 5 min");
    expect(describeError(e("rate_limited"), "Anthropic")).toBe("Rate limited by Anthropic — wait a moment, then retry");
  });

  it("names the provider and where to fix a rejected key", () => {
    expect(describeError(e("authentication"), "OpenAI")).toBe("Key rejected by OpenAI — check it in Settings");
    expect(describeError(e("authentication"), null)).toBe("Key rejected by the provider — check it in Settings");
  });

  it("has a sentence for every kind IPC.md lists", () => {
    const kinds = ["authentication", "permission", "not_found", "rate_limited", "overloaded", "invalid_request", "server", "network", "timeout", "protocol", "incomplete", "config", "key", "storage", "invalid_input", "too_large"];
    const sentences = kinds.map((k) => describeError(e(k), "OpenAI"));
    expect(new Set(sentences).size).toBe(kinds.length);
    for (const s of sentences) expect(s).not.toBe("Something went wrong");
    expect(describeError(e("overloaded"), "OpenAI")).toBe("OpenAI is overloaded — try again shortly");
    expect(describeError(e("incomplete"), "OpenAI")).toBe("The answer was cut off");
    expect(describeError(e("network"), "OpenAI")).toBe("Couldn't reach OpenAI — check your connection");
    expect(describeError(e("timeout"), "OpenAI")).toBe("OpenAI stopped responding — try again");
  });

  it("falls back for kinds it does not know", () => {
    expect(describeError(e("brand_new_kind"))).toBe("Something went wrong");
  });

  it("knows which errors need Settings", () => {
    expect(pointsToSettings(e("authentication"))).toBe(true);
    expect(pointsToSettings(e("overloaded"))).toBe(false);
  });
});
