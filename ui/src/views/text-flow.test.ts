import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PAUSE_MS, TextFlow } from "./text-flow";

describe("TextFlow", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("marks the element flowing from the first text until the text pauses, with one timer at a time", () => {
    const el = document.createElement("article");
    const flow = new TextFlow(el);
    expect(el.hasAttribute("data-flowing")).toBe(false);
    flow.text();
    expect(el.hasAttribute("data-flowing")).toBe(true);
    // Text every 16 ms for two seconds: flowing throughout, and never more than one timer.
    for (let t = 0; t < 2000; t += 16) {
      vi.advanceTimersByTime(16);
      flow.text();
      expect(vi.getTimerCount()).toBe(1);
      expect(el.hasAttribute("data-flowing")).toBe(true);
    }
    vi.advanceTimersByTime(PAUSE_MS - 1);
    expect(el.hasAttribute("data-flowing")).toBe(true);
    vi.advanceTimersByTime(1);
    expect(el.hasAttribute("data-flowing")).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    flow.text();
    expect(el.hasAttribute("data-flowing")).toBe(true);
  });

  it("stops at the answer's end, its timer cleared", () => {
    const el = document.createElement("article");
    const flow = new TextFlow(el);
    flow.text();
    flow.stop();
    expect(el.hasAttribute("data-flowing")).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
