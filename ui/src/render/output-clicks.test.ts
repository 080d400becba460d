import { describe, expect, it, vi } from "vitest";
import { h } from "../dom";
import { providerView } from "../testing";
import { Role, type MessageView } from "../types";
import { ChatView } from "../views/chat";
import { CompareView, type CompareIpc } from "../views/compare";
import { MessageElement } from "../views/message";

const OUTPUT = "See [the site](https://example.com/a).\n\n```sh\necho hi\n```\n";

const answer = (id: number, model: string): MessageView => ({
  id,
  conversation_id: 7,
  role: Role.assistant,
  content: OUTPUT,
  thinking: "",
  model,
  state: "done",
  error: null,
  stats: null,
  created_at: 0,
  versions: null,
});

/** The chat, showing one answer: its root, and the links it asked to open. */
function chat(onOpenLink: (url: string) => void): HTMLElement {
  const view = new ChatView({ onOpenLink }, h("div"));
  const hooks = { providerName: () => null, onEdit: vi.fn(), onRegenerate: vi.fn(), onOpenSettings: vi.fn(), onEditClosed: vi.fn() };
  view.setMessages([new MessageElement(answer(2, "fast/a"), hooks)]);
  return view.el;
}

/** The compare view, showing a saved run of two columns. */
function compare(onOpenLink: (url: string) => void): HTMLElement {
  const hooks = { providerName: () => null, onStarted: vi.fn(), onChanged: vi.fn(), onKeep: vi.fn(), onOpenSettings: vi.fn(), onOpenLink };
  const view = new CompareView({} as CompareIpc, hooks, { schedule: () => () => undefined });
  const prompt: MessageView = { ...answer(1, ""), role: Role.user, model: null, content: "Which is best?" };
  const catalog = [providerView({ id: "fast", models: ["a", "b"] })];
  view.openSaved({ id: 7, title: "Which is best?", kind: "compare", created_at: 0, updated_at: 0, messages: [prompt, answer(2, "fast/a"), answer(3, "fast/b")] }, catalog);
  return view.el;
}

/** Dispatches a mouse event of `type` with `button` on `target`: whether its default was prevented. */
function mouse(target: Element, type: "click" | "auxclick", button = 0): boolean {
  const event = new MouseEvent(type, { bubbles: true, cancelable: true, button });
  target.dispatchEvent(event);
  return event.defaultPrevented;
}

describe.each([
  ["the chat", chat],
  ["a compare column", compare],
])("model output's clicks in %s", (_where, show) => {
  it("a link opens through openLink, never in the webview; a middle-click does nothing", () => {
    const opened = vi.fn();
    const root = show(opened);
    document.body.replaceChildren(root);
    const link = root.querySelector("a[href='https://example.com/a']")!;
    expect(link).not.toBeNull();
    expect(mouse(link, "auxclick", 1)).toBe(true);
    expect(opened).not.toHaveBeenCalled();
    expect(mouse(link, "click")).toBe(true);
    expect(opened).toHaveBeenCalledExactlyOnceWith("https://example.com/a");
  });

  it("a code block's Copy copies, and opens nothing", () => {
    const opened = vi.fn();
    const root = show(opened);
    document.body.replaceChildren(root);
    const copy = root.querySelector(".code-copy")!;
    expect(copy).not.toBeNull();
    expect(mouse(copy, "click")).toBe(true);
    expect(opened).not.toHaveBeenCalled();
  });
});
