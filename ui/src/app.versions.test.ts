import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./app";
import type { Ipc, StreamHandler } from "./ipc";
import { flush, manualFrames, messageView, providerView, stats } from "./testing";
import { Role, type Conversation, type MessageView, type Turn } from "./types";

const message = (id: number, role: MessageView["role"], content: string, versions: MessageView["versions"] = null): MessageView =>
  messageView({ id, conversation_id: 7, role, content, state: "done", model: role === Role.assistant ? "demo/runnel-demo" : null, versions });

/** A chat whose question has two answers, the second shown. */
const conversation: Conversation = {
  id: 7,
  title: "Two answers",
  kind: "chat",
  created_at: 0,
  updated_at: 0,
  messages: [message(1, Role.user, "Why?"), message(3, Role.assistant, "Second", { index: 2, answers: [2, 3] })],
};

/** The same chat showing its first answer, which a next turn followed. */
const atFirst: Conversation = {
  ...conversation,
  messages: [
    message(1, Role.user, "Why?"),
    message(2, Role.assistant, "First", { index: 1, answers: [2, 3] }),
    message(5, Role.user, "And?"),
    message(6, Role.assistant, "Then", { index: 1, answers: [6] }),
  ],
};

const { schedule, frame } = manualFrames();
let on: StreamHandler;
let reply: () => void;

const ipc = {
  appInfo: vi.fn(async () => ({ version: "0", data_dir: "/tmp", first_run: false, has_key: true, default_model: "demo/runnel-demo", startup_problems: [] })),
  getSettings: vi.fn(async () => ({ last_model: null })),
  modelCatalog: vi.fn(async () => [providerView({ id: "demo", models: ["runnel-demo", "runnel-other"], local: true })]),
  listConversations: vi.fn(async () => []),
  detectLocalServers: vi.fn(async () => []),
  watchFileDrops: vi.fn(async () => null),
  getConversation: vi.fn(async () => structuredClone(conversation)),
  showVersion: vi.fn(async () => structuredClone(atFirst)),
  regenerate: vi.fn(
    (_c: number, model: string, handler: StreamHandler) =>
      new Promise<Turn>((ok) => {
        on = handler;
        const assistant = { ...message(4, Role.assistant, "", { index: 3, answers: [2, 3, 4] }), state: "streaming" as const, model };
        reply = () => ok({ user: conversation.messages[0], assistant, stream_id: 9, deleted: [] });
      }),
  ),
  ackStream: vi.fn(async () => null),
  stopStream: vi.fn(async () => null),
};

const $ = (selector: string) => document.querySelector<HTMLElement>(selector)!;
const answers = () => [...document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")];
/** The transcript's messages: role and text. */
const shown = () =>
  [...document.querySelectorAll<HTMLElement>("[data-testid=message]")].map((m) => `${m.dataset.role}: ${m.querySelector("[data-testid=message-text]")!.textContent}`.trim());

beforeEach(async () => {
  vi.clearAllMocks();
  document.body.innerHTML = '<div id="app"></div>';
  const app = new App(ipc as unknown as Ipc, { schedule, storage: null });
  await app.start($("#app"));
  await app.openConversation(7);
});

describe("answer versions", () => {
  it("an answer shows which version it is, and ‹ shows the one before with the turns that followed it", async () => {
    const answer = answers()[0];
    expect([answer.dataset.version, answer.dataset.versions]).toEqual(["2", "2"]);
    expect(answer.querySelector("[data-testid=version-label]")!.textContent).toBe("2 / 2");
    expect(answer.querySelector<HTMLButtonElement>("[data-testid=version-next]")!.disabled).toBe(true);
    answer.querySelector<HTMLButtonElement>("[data-testid=version-prev]")!.click();
    await flush();
    expect(ipc.showVersion).toHaveBeenCalledWith(7, 2);
    expect(shown()).toEqual(["user: Why?", "assistant: First", "user: And?", "assistant: Then"]);
    const first = answers()[0];
    expect(first.querySelector("[data-testid=version-label]")!.textContent).toBe("1 / 2");
    // The focus stays on the switcher (‹ is disabled at the first version, so ›).
    expect((document.activeElement as HTMLElement).dataset.testid).toBe("version-next");
    // A turn of one version shows no switcher, but says what it is.
    expect(answers()[1].dataset.versions).toBe("1");
    expect(answers()[1].querySelector<HTMLElement>("[data-testid=versions]")!.hidden).toBe(true);
  });

  it("Regenerate shows the new version at once in place of the one shown, ‹ 3 / 3 › once the Turn says so", async () => {
    $("[data-testid=regenerate]:not([hidden])").click();
    await flush();
    expect(ipc.regenerate).toHaveBeenCalledWith(7, "demo/runnel-demo", expect.any(Function));
    expect(shown()).toEqual(["user: Why?", "assistant:"]);
    reply();
    await flush();
    const fresh = answers()[0];
    expect(fresh.querySelector("[data-testid=version-label]")!.textContent).toBe("3 / 3");
    expect(fresh.querySelector<HTMLButtonElement>("[data-testid=version-prev]")!.disabled).toBe(true);
    on({ seq: 1, type: "text", text: "Third", stats: stats({ ttft_ms: 40 }) });
    on({ seq: 2, type: "finish", reason: "stop", raw_reason: "stop", saved: { id: 4, state: "done", error: null, stats: stats() } });
    frame();
    expect(shown()).toEqual(["user: Why?", "assistant: Third"]);
    expect(fresh.querySelector<HTMLButtonElement>("[data-testid=version-prev]")!.disabled).toBe(false);
  });

  it("Another model opens the picker as “Answer again with…”, and the model chosen answers the turn again", async () => {
    $("[data-testid=answer-again]:not([hidden])").click();
    expect($("[data-testid=model-picker-popover]").hidden).toBe(false);
    expect($("[data-testid=picker-heading]").textContent).toBe("Answer again with…");
    $("[data-testid=model-option][data-model='demo/runnel-other']").click();
    await flush();
    expect(ipc.regenerate).toHaveBeenCalledWith(7, "demo/runnel-other", expect.any(Function));
    expect($("[data-testid=model-picker]").textContent).toBe("runnel-other");
  });

  it("Ctrl+K on the last answer offers to answer it again; elsewhere it only switches models", async () => {
    $("[data-testid=answer-again]:not([hidden])").focus();
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: "k", ctrlKey: true, bubbles: true }));
    expect($("[data-testid=picker-heading]").hidden).toBe(false);
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect($("[data-testid=model-picker-popover]").hidden).toBe(true);
    $("[data-testid=composer]").focus();
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: "k", ctrlKey: true, bubbles: true }));
    expect($("[data-testid=model-picker-popover]").hidden).toBe(false);
    expect($("[data-testid=picker-heading]").hidden).toBe(true);
    $("[data-testid=model-option][data-model='demo/runnel-other']").click();
    await flush();
    expect(ipc.regenerate).not.toHaveBeenCalled();
  });
});
