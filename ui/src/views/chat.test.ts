import { afterEach, describe, expect, it, vi } from "vitest";
import { h } from "../dom";
import { ChatView } from "./chat";

function chat(): { view: ChatView; said: () => string } {
  const view = new ChatView({ onOpenLink: vi.fn() }, h("div", null));
  document.body.replaceChildren(view.el);
  return { view, said: () => document.querySelector("[data-testid=announcer]")!.textContent ?? "" };
}

afterEach(() => vi.useRealTimers());

describe("what a screen reader hears of an answer", () => {
  it("is told an answer began, a short note at each interval while it lasts, and nothing after", () => {
    vi.useFakeTimers();
    const { view, said } = chat();
    expect(document.querySelector("[data-testid=transcript]")!.getAttribute("role")).toBe("log");
    view.answering("some-model", 7000);
    vi.advanceTimersByTime(60);
    expect(said()).toBe("Answering with some-model…");
    vi.advanceTimersByTime(6900);
    expect(said()).toBe("Answering with some-model…");
    vi.advanceTimersByTime(200);
    expect(said()).toBe("Still answering…");
    view.answerEnded();
    view.announce("Answer complete");
    vi.advanceTimersByTime(60_000);
    expect(said()).toBe("Answer complete");
  });

  it("stops the notes when another conversation is shown", () => {
    vi.useFakeTimers();
    const { view, said } = chat();
    view.answering("", 1000);
    vi.advanceTimersByTime(60);
    expect(said()).toBe("Answering…");
    view.setMessages([]);
    vi.advanceTimersByTime(10_000);
    expect(said()).toBe("Answering…");
  });
});
