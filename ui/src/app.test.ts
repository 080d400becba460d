import { beforeAll, describe, expect, it, vi } from "vitest";
import { App } from "./app";
import type { Ipc, StreamHandler } from "./ipc";
import { Role, type EventRow, type LiveRows, type MessageView, type ProviderView, type StreamEvents, type Turn } from "./types";
import { PAGE_ROWS } from "./inspector/sources";
import { flush, liveRows, manualFrames, messageView, providerView, stats, streamSummary } from "./testing";

const catalog: ProviderView[] = [
  providerView({ id: "openai", name: "OpenAI", models: ["gpt-4o-mini", "gpt-4o"], available: false, local: false, hint: "Add a key in Settings" }),
  providerView({ id: "ollama", name: "Ollama", models: ["llama3.2", "qwen2.5-coder"], available: true, local: true, hint: null }),
  providerView({ id: "demo", name: "Demo (offline)", models: ["runnel-demo"], available: true, local: true, hint: null }),
];

const view = (extra: Partial<MessageView>): MessageView => messageView({ conversation_id: 5, ...extra });

const { schedule, frame } = manualFrames();
const press = (key: string, mods: KeyboardEventInit = {}, target: EventTarget = document.activeElement ?? document.body) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...mods }));
const $ = (sel: string) => document.querySelector(sel) as HTMLElement;

let handler: StreamHandler | null = null;
let onRows: (batch: LiveRows) => void = () => undefined;
let onDrop: (paths: string[]) => void = () => undefined;
const eventRow = (at_ms: number, data: string): EventRow => ({ at_ms, event: "message", bytes: data.length, data, fields: [], decoded: [] });
const recorded: StreamEvents = {
  start: 0,
  rows: [eventRow(5, '{"a":1}'), eventRow(9, "[DONE]")],
  total: 2,
  more: 0,
  timeline: { span_ms: 9, events: [1, 1], comments: [0, 0], content: [0, 0], longest_gap_ms: 4 },
  summary: streamSummary({ model: "m", events: 2, bytes: 30, ttfb_ms: 4, stats: stats({ duration_ms: 9, finish_reason: "stop" }) }),
};
const ipc = {
  appInfo: vi.fn(async () => ({ version: "0", data_dir: "/tmp", first_run: true, has_key: false, default_model: "demo/runnel-demo", demo_provider: "demo" })),
  getSettings: vi.fn(async () => ({ last_model: "ollama/llama3.2" })),
  setRecordingsKeepDays: vi.fn(),
  setLayout: vi.fn(async (layout) => layout),
  modelCatalog: vi.fn(async () => catalog),
  refreshModels: vi.fn(),
  listProviders: vi.fn(async () => []),
  listProtocols: vi.fn(async () => []),
  setProviderProtocol: vi.fn(),
  setModelPrice: vi.fn(),
  setApiKey: vi.fn(),
  deleteApiKey: vi.fn(),
  testProvider: vi.fn(),
  addCustomProvider: vi.fn(),
  removeCustomProvider: vi.fn(),
  detectLocalServers: vi.fn(async () => []),
  listConversations: vi.fn(async () => []),
  createConversation: vi.fn(async () => ({ id: 5, title: "New conversation", updated_at: Date.now(), last_model: null, kind: "chat" })),
  getConversation: vi.fn(),
  renameConversation: vi.fn(),
  deleteConversation: vi.fn(),
  exportConversation: vi.fn(async () => ({ path: "/home/me/Downloads/Hello.md", id: 1 })),
  showExportedFile: vi.fn(async () => null),
  importConversation: vi.fn(),
  sendMessage: vi.fn(async (_c: number, text: string, model: string, on: StreamHandler): Promise<Turn> => {
    handler = on;
    return { user: view({ id: 10, role: Role.user, content: text, state: "done", model: null }), assistant: view({ id: 11, model }), stream_id: 42, deleted: [] };
  }),
  regenerate: vi.fn(async (_c: number, model: string, on: StreamHandler): Promise<Turn> => {
    handler = on;
    // A new version of the turn whose answer failed (saved as 13), which stays its version 1.
    return { user: view({ id: 12, role: Role.user, content: "again", state: "done", model: null }), assistant: view({ id: 14, model, versions: { index: 2, answers: [13, 14] } }), stream_id: 43, deleted: [] };
  }),
  editMessage: vi.fn(),
  showVersion: vi.fn(),
  createCompare: vi.fn(),
  compareColumn: vi.fn(),
  retryColumn: vi.fn(),
  keepAnswer: vi.fn(),
  stopStream: vi.fn(async () => null),
  ackStream: vi.fn(async () => null),
  openLink: vi.fn(async () => null),
  streamEvents: vi.fn(async () => recorded),
  exportStream: vi.fn(),
  openStreamFile: vi.fn(async () => recorded),
  inspectStream: vi.fn(async (_id: number, on: (batch: LiveRows) => void) => {
    onRows = on;
    return true;
  }),
  stopInspecting: vi.fn(async () => null),
  watchFileDrops: vi.fn(async (on: (paths: string[]) => void) => {
    onDrop = on;
    return null;
  }),
} satisfies Record<keyof Ipc, unknown>;

describe("the app, end to end against a fake IPC", () => {
  beforeAll(async () => {
    document.body.innerHTML = '<div id="app"></div>';
    const app = new App(ipc as unknown as Ipc, { schedule, storage: null });
    await app.start($("#app"));
  });

  it("starts on the demo model on first run, with the hint, composer focused", () => {
    expect($("[data-testid=model-picker]").textContent).toBe("runnel-demo");
    expect($("[data-testid=first-run-hint]").hidden).toBe(false);
    // Named from the catalog: the demo's name, and the providers waiting for a key.
    expect($("[data-testid=first-run-hint] .hint-text").textContent).toBe(
      "You're on Demo (offline) — add an API key in Settings to chat with OpenAI.",
    );
    expect((document.activeElement as HTMLElement).dataset.testid).toBe("composer");
  });

  it("Ctrl+K opens the picker; typing filters; Enter chooses; unavailable models are not choosable", () => {
    press("k", { ctrlKey: true });
    expect($("[data-testid=model-picker-popover]").hidden).toBe(false);
    const filter = $("[data-testid=model-filter]") as HTMLInputElement;
    expect(document.activeElement).toBe(filter);
    expect(document.querySelectorAll("[data-testid=model-option][aria-disabled=true]").length).toBe(2);
    filter.value = "qwen";
    filter.dispatchEvent(new Event("input"));
    const options = Array.from(document.querySelectorAll<HTMLElement>("[data-testid=model-option]")).map((o) => o.dataset.model);
    expect(options).toEqual(["ollama/qwen2.5-coder"]);
    press("Enter", {}, filter);
    expect($("[data-testid=model-picker-popover]").hidden).toBe(true);
    expect($("[data-testid=model-picker]").textContent).toBe("qwen2.5-coder");
    expect($("[data-testid=first-run-hint]").hidden).toBe(true);
  });

  it("Enter sends; text shows on arrival, formatted once per frame; acks; Esc stops; the ending settles the answer", async () => {
    const composer = $("[data-testid=composer]") as HTMLTextAreaElement;
    composer.value = "Hello";
    press("Enter", {}, composer);
    await flush();
    await flush();
    expect(ipc.createConversation).toHaveBeenCalledTimes(1);
    expect(ipc.sendMessage).toHaveBeenCalledWith(5, "Hello", "ollama/qwen2.5-coder", expect.any(Function));
    expect($("[data-testid=stop]").hidden).toBe(false);
    expect($("[data-testid=send]").hidden).toBe(true);
    expect($("[data-testid=transcript]").getAttribute("aria-busy")).toBe("true");
    expect($("[data-testid=transcript]").getAttribute("role")).toBe("log");
    await new Promise((r) => setTimeout(r, 80));
    expect($("[data-testid=announcer]").textContent).toBe("Answering with qwen2.5-coder…");

    handler!({ type: "start", seq: 1, id: "r", model: "qwen" });
    handler!({ type: "text", seq: 2, text: "Hi " });
    handler!({ type: "text", seq: 3, text: "**there" });
    handler!({ type: "text", seq: 4, text: "**" }); // the page acks once ACK_EVERY (4) messages are painted
    const answer = () => document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")[0];
    const shown = () => answer().querySelector("[data-testid=message-text]")!;
    // On the page at once, as plain text; no ack before a frame.
    expect(shown().textContent!.trim()).toBe("Hi **there**");
    expect(shown().querySelector("strong")).toBeNull();
    expect(ipc.ackStream).not.toHaveBeenCalled();
    frame();
    expect(shown().textContent!.trim()).toBe("Hi there");
    expect(shown().querySelector("strong")!.textContent).toBe("there");
    expect(ipc.ackStream).toHaveBeenCalledTimes(1);
    expect(ipc.ackStream).toHaveBeenLastCalledWith(42, 4);
    expect(answer().dataset.state).toBe("streaming");
    expect(answer().querySelector(".caret")).not.toBeNull();

    press("Escape", {}, composer);
    expect(ipc.stopStream).toHaveBeenCalledWith(42);

    handler!({ type: "text", seq: 5, text: " and *more*" });
    handler!({ type: "stopped", seq: 6, saved: { id: 11, state: "stopped", error: null, stats: { ttft_ms: 100, tokens_per_sec: 10, output_tokens: 2, tokens_estimated: true, input_tokens: 1, duration_ms: 200, finish_reason: null } } });
    // The ending settles the answer at once; its formatting is the next frame's, not done before it.
    expect(answer().dataset.state).toBe("stopped");
    expect(shown().querySelector("em")).toBeNull();
    expect(answer().getAttribute("aria-busy"), "busy until its text is formatted").toBe("true");
    frame();
    expect(shown().querySelector("em")!.textContent).toBe("more");
    expect(answer().querySelector("[data-testid=message-text]")!.textContent!.trim()).toBe("Hi there and more");
    expect(answer().querySelector("[data-testid=message-stats]")!.textContent).toBe("Stopped0.10 s to first token · ~10 tok/s · ~2 tok");
    expect(answer().querySelector(".caret")).toBeNull();
    expect(answer().hasAttribute("aria-busy")).toBe(false);
    expect($("[data-testid=send]").hidden).toBe(false);
    expect($("[data-testid=transcript]").hasAttribute("aria-busy")).toBe(false);
    expect(ipc.ackStream).toHaveBeenCalledTimes(1); // no ack after the ending
    await new Promise((r) => setTimeout(r, 80));
    expect($("[data-testid=announcer]").textContent).toBe("Stopped");
  });

  it("↑ in the empty composer edits the last message; Esc cancels", () => {
    const composer = $("[data-testid=composer]") as HTMLTextAreaElement;
    composer.focus();
    press("ArrowUp", {}, composer);
    const edit = $("[data-testid=edit-input]") as HTMLTextAreaElement;
    expect(edit).not.toBeNull();
    expect(edit.value).toBe("Hello");
    press("Escape", {}, edit);
    expect(document.querySelector("[data-testid=edit-input]")).toBeNull();
    expect(document.activeElement).toBe(composer);
  });

  it("Ctrl+, opens Settings and Esc closes it; Ctrl+N starts a new conversation", async () => {
    press(",", { ctrlKey: true });
    expect($("[data-testid=settings-page]").hidden).toBe(false);
    await flush();
    expect(ipc.listProviders).toHaveBeenCalled();
    expect(ipc.detectLocalServers).toHaveBeenCalled();
    press("Escape");
    expect($("[data-testid=settings-page]").hidden).toBe(true);
    press("n", { ctrlKey: true });
    expect(document.querySelectorAll("[data-testid=message]").length).toBe(0);
    expect($("[data-testid=model-picker]").textContent).toBe("qwen2.5-coder");
  });

  it("a stream error shows the actionable sentence, the provider's words and Retry", async () => {
    const composer = $("[data-testid=composer]") as HTMLTextAreaElement;
    composer.value = "again";
    press("Enter", {}, composer);
    await flush();
    await flush();
    handler!({ type: "text", seq: 1, text: "Partial" });
    const busy = { kind: "overloaded" as const, message: "Server is busy", status: 529, error_type: "overloaded_error", retry_after: null, retryable: true };
    handler!({ type: "error", seq: 2, ...busy, timeout: null, saved: { id: 13, state: "error", error: busy, stats: null } });
    frame();
    const answer = [...document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")].at(-1)!;
    expect(answer.dataset.state).toBe("error");
    expect(answer.querySelector("[data-testid=message-text]")!.textContent!.trim()).toBe("Partial");
    const error = answer.querySelector("[data-testid=message-error]")!;
    expect(error.textContent).toContain("Ollama is overloaded — try again shortly");
    expect(error.textContent).toContain("Server is busy");
    expect(answer.querySelector("[data-testid=retry]")!.classList.contains("button-primary")).toBe(true);
  });

  it("Retry shows the new version in place of the failed one, which stays a version of the turn", async () => {
    const answers = () => [...document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")];
    const before = answers().length;
    answers().at(-1)!.querySelector<HTMLButtonElement>("[data-testid=retry]")!.click();
    await flush();
    expect(ipc.regenerate).toHaveBeenCalledTimes(1);
    expect(answers().length).toBe(before);
    const fresh = answers().at(-1)!;
    expect(fresh.dataset.state).toBe("streaming");
    expect([fresh.dataset.version, fresh.dataset.versions]).toEqual(["2", "2"]);
    expect(fresh.querySelector("[data-testid=version-label]")!.textContent).toBe("2 / 2");
    // No switching while it streams.
    expect(fresh.querySelector<HTMLButtonElement>("[data-testid=version-prev]")!.disabled).toBe(true);
    handler!({ type: "start", seq: 1, id: null, model: null, stats: stats() });
    handler!({ type: "text", seq: 2, text: "Fresh", stats: stats({ ttft_ms: 80 }) });
    frame();
    expect(answers().at(-1)!.querySelector("[data-testid=message-text]")!.textContent!.trim()).toBe("Fresh");
  });

  it("an answer that could not be saved ends, keeps its text and the conversation goes on", async () => {
    const storage = { kind: "storage", message: "This answer could not be saved (database is locked).", status: null, error_type: null, retry_after: null, retryable: true };
    handler!({ type: "finish", seq: 3, reason: "stop", raw_reason: "stop", saved: { id: 14, state: "error", error: storage, stats: null } });
    frame();
    const answer = [...document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")].at(-1)!;
    expect(answer.dataset.state).toBe("error");
    expect(answer.querySelector("[data-testid=message-text]")!.textContent!.trim()).toBe("Fresh");
    const error = answer.querySelector("[data-testid=message-error]")!.textContent;
    expect(error).toContain("Couldn't save to disk");
    expect(error).toContain("database is locked");
    expect($("[data-testid=send]").hidden).toBe(false);
    expect($("[data-testid=stop]").hidden).toBe(true);
  });

  it("a clicked link opens through IPC; a mailto: link opens its address only, never its query", async () => {
    const composer = $("[data-testid=composer]") as HTMLTextAreaElement;
    composer.value = "links";
    press("Enter", {}, composer);
    await flush();
    await flush();
    const md = "[site](https://example.com/a?b=1#c) [mail](mailto:me@example.com?attach=/home/u/.ssh/id_rsa&subject=hi)";
    handler!({ type: "text", seq: 1, text: md });
    handler!({ type: "finish", seq: 2, reason: "stop", raw_reason: null, saved: { id: 15, state: "done", error: null, stats: null } });
    frame();
    const answer = [...document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")].at(-1)!;
    const links = [...answer.querySelectorAll<HTMLAnchorElement>("[data-testid=message-text] a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://example.com/a?b=1#c", "mailto:me@example.com"]);
    ipc.openLink.mockClear();
    for (const a of links) {
      const click = new MouseEvent("click", { bubbles: true, cancelable: true });
      a.dispatchEvent(click);
      expect(click.defaultPrevented).toBe(true);
    }
    expect(ipc.openLink.mock.calls).toEqual([["https://example.com/a?b=1#c"], ["mailto:me@example.com"]]);
  });

  it("the inspector follows a live answer from its stream to its saved recording; a dropped file opens in it", async () => {
    const composer = $("[data-testid=composer]") as HTMLTextAreaElement;
    composer.value = "inspect me";
    press("Enter", {}, composer);
    await flush();
    await flush();
    handler!({ type: "text", seq: 1, text: "Live" });
    frame();
    const answer = [...document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")].at(-1)!;
    answer.querySelector<HTMLButtonElement>("[data-testid=inspector-toggle]")!.click();
    await flush();
    expect(ipc.inspectStream).toHaveBeenLastCalledWith(42, expect.any(Function));
    expect($("[data-testid=inspector]").hidden).toBe(false);
    expect(document.querySelector(".app")!.classList.contains("inspecting")).toBe(true);
    onRows(liveRows([eventRow(3, '{"live":true}')]));
    frame();
    const shown = () => [...document.querySelectorAll<HTMLElement>("[data-testid=inspector-event]")].map((r) => r.dataset.tMs);
    expect(shown()).toEqual(["3"]);
    handler!({ type: "finish", seq: 2, reason: "stop", raw_reason: null, saved: { id: 16, state: "done", error: null, stats: null } });
    frame();
    await flush();
    expect(ipc.streamEvents).toHaveBeenLastCalledWith(16, 0, PAGE_ROWS, "");
    expect(shown()).toEqual(["5", "9"]);
    expect(($("[data-testid=inspector-export]") as HTMLButtonElement).disabled).toBe(false);

    onDrop(["/tmp/dropped.sse"]);
    await flush();
    expect(ipc.openStreamFile).toHaveBeenLastCalledWith("/tmp/dropped.sse", 0, PAGE_ROWS, "");
    expect($("[data-testid=inspector]").textContent).toContain("dropped.sse");
    press("Escape", {}, $("[data-testid=inspector-filter]"));
    await flush();
    expect($("[data-testid=inspector]").hidden).toBe(true);
    expect(document.querySelector(".app")!.classList.contains("inspecting")).toBe(false);
  });

  it("Ctrl+I opens the inspector on the last answer, its filter focused, and closes it", async () => {
    const answers = [...document.querySelectorAll<HTMLElement>("[data-testid=message][data-role=assistant]")];
    const pressed = () => answers.map((a) => a.querySelector("[data-testid=inspector-toggle]")!.getAttribute("aria-pressed"));
    ipc.streamEvents.mockClear();
    press("i", { ctrlKey: true }, $("[data-testid=composer]"));
    await flush();
    expect(ipc.streamEvents).toHaveBeenCalledExactlyOnceWith(16, 0, PAGE_ROWS, "");
    expect($("[data-testid=inspector]").hidden).toBe(false);
    expect(pressed().at(-1)).toBe("true");
    expect(pressed().filter((p) => p === "true").length).toBe(1);
    expect(document.activeElement).toBe($("[data-testid=inspector-filter]"));
    press("i", { ctrlKey: true });
    await flush();
    expect($("[data-testid=inspector]").hidden).toBe(true);
    expect(pressed().every((p) => p === "false")).toBe(true);
  });
});
