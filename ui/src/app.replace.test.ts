import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./app";
import type { Ipc, StreamHandler } from "./ipc";
import { flush, manualFrames, messageView, providerView, stats } from "./testing";
import { Role, type Conversation, type MessageView, type Turn } from "./types";

const message = (id: number, role: MessageView["role"], content: string, state: MessageView["state"] = "done"): MessageView =>
  messageView({ id, conversation_id: 7, role, content, state, model: role === Role.assistant ? "demo/runnel-demo" : null });

/** A chat whose last question has two answers: one failed without text, one stopped with some. */
const conversation: Conversation = {
  id: 7,
  title: "Two answers",
  kind: "chat",
  created_at: 0,
  updated_at: 0,
  messages: [message(1, Role.user, "Why?"), message(2, Role.assistant, "Failed at once", "error"), message(3, Role.assistant, "Stopped half", "stopped")],
};
// The failed answer has no text: Rust deletes it at once and supersedes the other (turns.rs).
conversation.messages[1].content = "";

const { schedule, frame } = manualFrames();
let on: StreamHandler;
let reply: () => void;

const ipc = {
  appInfo: vi.fn(async () => ({ version: "0", data_dir: "/tmp", first_run: false, has_key: true, default_model: "demo/runnel-demo", startup_problems: [] })),
  getSettings: vi.fn(async () => ({ last_model: null })),
  modelCatalog: vi.fn(async () => [providerView({ id: "demo", models: ["runnel-demo"], local: true })]),
  listConversations: vi.fn(async () => []),
  detectLocalServers: vi.fn(async () => []),
  watchFileDrops: vi.fn(async () => null),
  getConversation: vi.fn(async () => structuredClone(conversation)),
  regenerate: vi.fn(
    (_c: number, model: string, handler: StreamHandler) =>
      new Promise<Turn>((ok) => {
        on = handler;
        reply = () => ok({ user: conversation.messages[0], assistant: { ...message(4, Role.assistant, "", "streaming"), model }, stream_id: 9, deleted: [2], superseded: [3] });
      }),
  ),
  ackStream: vi.fn(async () => null),
  stopStream: vi.fn(async () => null),
};

/** The transcript's messages: role and text. */
const shown = () =>
  [...document.querySelectorAll<HTMLElement>("[data-testid=message]")].map((m) => `${m.dataset.role}: ${m.querySelector("[data-testid=message-text]")!.textContent}`.trim());

beforeEach(async () => {
  document.body.innerHTML = '<div id="app"></div>';
  const app = new App(ipc as unknown as Ipc, { schedule, storage: null });
  await app.start(document.querySelector("#app") as HTMLElement);
  await app.openConversation(7);
  document.querySelector<HTMLButtonElement>("[data-testid=regenerate]:not([hidden])")!.click();
  await flush();
  expect(ipc.regenerate).toHaveBeenCalled();
});

describe("Regenerate shows what Rust keeps, as its Turn says", () => {
  it("the deleted answer leaves with the Turn, the superseded one at the new answer's first text", async () => {
    reply();
    await flush();
    expect(shown()).toEqual(["user: Why?", "assistant: Stopped half", "assistant:"]);
    on({ seq: 1, type: "start", id: null, model: null, stats: stats() });
    frame();
    expect(shown()).toEqual(["user: Why?", "assistant: Stopped half", "assistant:"]);
    on({ seq: 2, type: "text", text: "Fresh", stats: stats({ ttft_ms: 40 }) });
    frame();
    expect(shown()).toEqual(["user: Why?", "assistant: Fresh"]);
  });

  it("a first text that comes before the Turn replaces as soon as the Turn says what", async () => {
    on({ seq: 1, type: "text", text: "Early", stats: stats({ ttft_ms: 10 }) });
    frame();
    expect(shown()).toEqual(["user: Why?", "assistant:", "assistant: Stopped half", "assistant: Early"]);
    reply();
    await flush();
    expect(shown()).toEqual(["user: Why?", "assistant: Early"]);
  });
});
