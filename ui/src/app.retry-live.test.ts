import { describe, expect, it, vi } from "vitest";
import { App } from "./app";
import type { Ipc, StreamHandler } from "./ipc";
import { flush, manualFrames, messageView, providerView, stats } from "./testing";
import { Role, type MessageView, type StreamMessage, type Turn } from "./types";

const view = (id: number, role: Role, content: string, state: MessageView["state"]): MessageView =>
  messageView({ id, conversation_id: 7, role, content, state, model: role === Role.assistant ? "demo/runnel-demo" : null });

/** The ending of an answer refused with a 429 before any text, saved as message 11. */
const refused: StreamMessage = {
  seq: 1,
  type: "error",
  kind: "rate_limited",
  message: "Rate limited",
  status: 429,
  error_type: null,
  retry_after: 20,
  timeout: null,
  stats: stats(),
  saved: { id: 11, state: "error", error: { kind: "rate_limited", message: "Rate limited", status: 429, retry_after: 20, retryable: true }, stats: null },
} as StreamMessage;

describe("Retry of an answer that failed live, before any text", () => {
  for (const endingFirst of [false, true]) {
    it(`keeps the new answer though it has the deleted one's id (the ending ${endingFirst ? "before" : "after"} the Turn)`, async () => {
      const { schedule, frame } = manualFrames();
      let on: StreamHandler = () => undefined;
      const ipc = {
        appInfo: vi.fn(async () => ({ version: "0", data_dir: "/tmp", first_run: false, has_key: true, default_model: "demo/runnel-demo", demo_provider: "demo", startup_problems: [] })),
        getSettings: vi.fn(async () => ({ last_model: null })),
        modelCatalog: vi.fn(async () => [providerView({ id: "demo", models: ["runnel-demo"], local: true })]),
        listConversations: vi.fn(async () => []),
        detectLocalServers: vi.fn(async () => []),
        watchFileDrops: vi.fn(async () => null),
        createConversation: vi.fn(async () => ({ id: 7, title: "New conversation", updated_at: 0, last_model: null, kind: "chat" })),
        sendMessage: vi.fn(async (_c: number, text: string, _m: string, handler: StreamHandler): Promise<Turn> => {
          on = handler;
          if (endingFirst) on(refused);
          return { user: view(10, Role.user, text, "done"), assistant: view(11, Role.assistant, "", "streaming"), stream_id: 1, deleted: [] };
        }),
        // Rust deletes the failed answer (11), then saves the new one: SQLite gives it 11 again.
        regenerate: vi.fn(async (_c: number, _m: string, handler: StreamHandler): Promise<Turn> => {
          on = handler;
          return { user: view(10, Role.user, "Are you there?", "done"), assistant: view(11, Role.assistant, "", "streaming"), stream_id: 2, deleted: [11] };
        }),
        ackStream: vi.fn(async () => null),
        stopStream: vi.fn(async () => null),
      };
      document.body.innerHTML = '<div id="app"></div>';
      const app = new App(ipc as unknown as Ipc, { schedule, storage: null });
      await app.start(document.querySelector("#app") as HTMLElement);
      const composer = document.querySelector<HTMLTextAreaElement>("[data-testid=composer]")!;
      composer.value = "Are you there?";
      composer.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      await flush();
      if (!endingFirst) on(refused);
      frame();
      document.querySelector<HTMLButtonElement>("[data-testid=retry]")!.click();
      await flush();
      expect(ipc.regenerate).toHaveBeenCalled();
      on({ seq: 1, type: "text", text: "Yes", stats: stats({ ttft_ms: 5 }) });
      frame();
      const shown = [...document.querySelectorAll<HTMLElement>("[data-testid=message]")].map((m) => `${m.dataset.role}: ${m.querySelector("[data-testid=message-text]")!.textContent}`.trim());
      expect(shown).toEqual(["user: Are you there?", "assistant: Yes"]);
    });
  }
});
