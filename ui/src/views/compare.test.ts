import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StreamHandler } from "../ipc";
import { flush, manualFrames, providerView } from "../testing";
import { Role, type MessageView, type Saved, type StreamMessage, type Turn } from "../types";
import { CompareView, type CompareHooks, type CompareIpc } from "./compare";

const catalog = [
  providerView({ id: "fast", models: ["a"] }),
  providerView({ id: "failing", models: ["b"] }),
  providerView({ id: "slow", models: ["c", "d", "e"] }),
  providerView({ id: "locked", models: ["x"], available: false }),
];

const { schedule, frame } = manualFrames();

const answer = (id: number, model: string): MessageView => ({
  id,
  conversation_id: 7,
  role: Role.assistant,
  content: "",
  thinking: "",
  model,
  state: "streaming",
  error: null,
  stats: null,
  created_at: 0,
  versions: null,
});
const prompt: MessageView = { ...answer(1, ""), role: Role.user, model: null, state: "done", content: "Which is best?" };

let handlers: Record<string, StreamHandler>;
let ipc: { [K in keyof CompareIpc]: ReturnType<typeof vi.fn> };
let hooks: CompareHooks;
let view: CompareView;

const $ = (sel: string, root: ParentNode = view.el) => root.querySelector(sel) as HTMLElement;
const column = (model: string) => $(`[data-testid=compare-column][data-model="${model}"]`);
const ending = (seq: number, state: Saved["state"], id: number, extra: Partial<Saved> = {}): StreamMessage => {
  const saved: Saved = { id, state, error: null, stats: null, ...extra };
  if (state === "done") return { seq, type: "finish", reason: "stop", raw_reason: "stop", saved };
  if (state === "stopped") return { seq, type: "stopped", saved };
  return { seq, type: "error", kind: "rate_limited", message: "slow down", status: 429, error_type: null, retry_after: 20, timeout: null, saved };
};

beforeEach(() => {
  handlers = {};
  let stream = 40;
  ipc = {
    createCompare: vi.fn(async (text: string) => ({ id: 7, title: text, updated_at: 0, last_model: null, kind: "compare" })),
    compareColumn: vi.fn(async (_id: number, model: string, on: StreamHandler): Promise<Turn> => {
      handlers[model] = on;
      return { user: prompt, assistant: answer(10 + Object.keys(handlers).length, model), stream_id: ++stream, deleted: [] };
    }),
    retryColumn: vi.fn(async (_id: number, message: number, on: StreamHandler): Promise<Turn> => {
      handlers.retry = on;
      return { user: prompt, assistant: answer(message, "failing/b"), stream_id: 50, deleted: [] };
    }),
    keepAnswer: vi.fn(async () => ({ id: 9, title: "Which is best?", updated_at: 0, last_model: "slow/c", kind: "chat" })),
    stopStream: vi.fn(async () => null),
    ackStream: vi.fn(async () => null),
  };
  hooks = { providerName: () => null, onStarted: vi.fn(), onChanged: vi.fn(), onKeep: vi.fn(), onOpenSettings: vi.fn(), onOpenLink: vi.fn() };
  view = new CompareView(ipc as unknown as CompareIpc, hooks, { schedule });
  document.body.replaceChildren(view.el);
  view.openNew(catalog);
});

async function startThree(): Promise<void> {
  for (const model of ["fast/a", "failing/b", "slow/c"]) $(`[data-testid=compare-model][data-model="${model}"]`).click();
  const textarea = $("[data-testid=compare-prompt]") as HTMLTextAreaElement;
  textarea.value = "Which is best?";
  textarea.dispatchEvent(new Event("input"));
  textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  for (let i = 0; i < 6; i++) await flush();
}

describe("the compare view", () => {
  it("offers the available models, 2 to 4 of them, and one prompt", () => {
    const offered = [...view.el.querySelectorAll<HTMLElement>("[data-testid=compare-model]")].map((b) => b.dataset.model);
    expect(offered).toEqual(["fast/a", "failing/b", "slow/c", "slow/d", "slow/e"]);
    const go = $("[data-testid=compare-send]") as HTMLButtonElement;
    $("[data-model='fast/a']").click();
    const textarea = $("[data-testid=compare-prompt]") as HTMLTextAreaElement;
    textarea.value = "hi";
    textarea.dispatchEvent(new Event("input"));
    expect(go.disabled).toBe(true);
    for (const model of ["failing/b", "slow/c", "slow/d", "slow/e"]) $(`[data-model="${model}"]`).click();
    expect(go.disabled).toBe(false);
    const pressed = [...view.el.querySelectorAll<HTMLElement>("[aria-pressed=true]")].map((b) => b.dataset.model);
    expect(pressed).toEqual(["fast/a", "failing/b", "slow/c", "slow/d"]);
  });

  it("streams each column apart: live stats, one error with Retry, one stopped, then the table", async () => {
    await startThree();
    expect(ipc.createCompare).toHaveBeenCalledWith("Which is best?", ["fast/a", "failing/b", "slow/c"]);
    expect(hooks.onStarted).toHaveBeenCalledWith(expect.objectContaining({ id: 7, kind: "compare" }));
    expect(ipc.compareColumn.mock.calls.map((call) => call[1])).toEqual(["fast/a", "failing/b", "slow/c"]);
    const states = () => ["fast/a", "failing/b", "slow/c"].map((m) => column(m).dataset.state);
    expect(states()).toEqual(["streaming", "streaming", "streaming"]);

    // Each message brings the column's numbers so far, as Rust counted them: the page formats them.
    const soFar = { ttft_ms: 300, tokens_per_sec: 1, output_tokens: 1, tokens_estimated: true, input_tokens: null, duration_ms: 1300, finish_reason: null };
    expect($("[data-testid=compare-stats]", column("fast/a")).textContent).toBe("Waiting for the first token…");
    // Four pieces: the page acks once ACK_EVERY messages are painted.
    ["Fast", " ", "**one", "**"].forEach((text, i) => handlers["fast/a"]({ seq: i + 1, type: "text", text, stats: soFar }));
    handlers["slow/c"]({ seq: 1, type: "text", text: "Slow" });
    handlers["failing/b"](ending(1, "error", 12, { error: { kind: "rate_limited", message: "slow down", status: 429, error_type: null, retry_after: 20, retryable: true } }));
    frame();
    expect(states()).toEqual(["streaming", "error", "streaming"]);
    expect($("[data-testid=compare-text]", column("fast/a")).textContent?.trim()).toBe("Fast one");
    expect($("strong", column("fast/a")).textContent).toBe("one");
    expect($("[data-testid=compare-stats]", column("fast/a")).textContent).toBe("0.30 s to first token · ~1 tok/s · ~1 tok");
    expect($("[data-testid=retry]", column("failing/b"))).toBeTruthy();
    expect($("[data-testid=compare-table]")).toBeNull();
    expect(ipc.ackStream).toHaveBeenCalledExactlyOnceWith(41, 4);

    $("[data-testid=compare-stop]", column("slow/c")).click();
    expect(ipc.stopStream).toHaveBeenCalledWith(43);
    expect(ipc.stopStream).toHaveBeenCalledTimes(1);
    handlers["slow/c"](ending(2, "stopped", 13));
    const stats = { ttft_ms: 300, tokens_per_sec: 50, output_tokens: 20, tokens_estimated: false, input_tokens: 3, duration_ms: 700, finish_reason: "stop", cost_usd: 0.0042 };
    handlers["fast/a"](ending(5, "done", 11, { stats }));
    frame();
    expect(states()).toEqual(["done", "error", "stopped"]);
    const rows = [...view.el.querySelectorAll<HTMLElement>("[data-testid=compare-table] tbody tr")];
    expect(rows.map((r) => r.dataset.model)).toEqual(["fast/a", "failing/b", "slow/c"]);
    expect([...rows[0].querySelectorAll("td")].map((td) => td.textContent)).toEqual(["0.30 s", "0.70 s", "20", "50.0", "12", "$0.0042"]);
    expect(rows[2].querySelector("td[data-column=cost]")!.textContent).toBe("–");

    // Retry answers the failed column again, in its place; the table waits for it.
    ($("[data-testid=retry]", column("failing/b")) as HTMLButtonElement).click();
    await flush();
    expect(ipc.retryColumn).toHaveBeenCalledWith(7, 12, expect.any(Function));
    expect(column("failing/b").dataset.state).toBe("streaming");
    expect($("[data-testid=compare-table]")).toBeNull();
    handlers.retry({ seq: 1, type: "text", text: "Now it works" });
    handlers.retry(ending(2, "done", 12));
    frame();
    expect(states()).toEqual(["done", "done", "stopped"]);
    expect($("[data-testid=compare-text]", column("failing/b")).textContent?.trim()).toBe("Now it works");
    expect($("[data-testid=compare-table]")).toBeTruthy();

    // Continue with the stopped answer.
    $("[data-testid=compare-keep]", column("slow/c")).click();
    await flush();
    expect(ipc.keepAnswer).toHaveBeenCalledWith(7, 13);
    expect(hooks.onKeep).toHaveBeenCalledWith(expect.objectContaining({ id: 9 }), "slow/c");
  });

  it("Stop all stops every streaming column, and a column stopped before its id is known stops once it is", async () => {
    let release: () => void = () => undefined;
    const pending = new Promise<void>((ok) => (release = ok));
    const original = ipc.compareColumn.getMockImplementation() as (id: number, model: string, on: StreamHandler) => Promise<Turn>;
    ipc.compareColumn.mockImplementation(async (id: number, model: string, on: StreamHandler) => {
      if (model === "slow/c") await pending;
      return original(id, model, on);
    });
    const started = startThree();
    await flush();
    await flush();
    const stopAll = $("[data-testid=compare-stop][data-scope=all]");
    expect(stopAll.hidden).toBe(false);
    view.stopAll();
    expect(ipc.stopStream.mock.calls.map((call) => call[0])).toEqual([41, 42]);
    release();
    await started;
    expect(ipc.stopStream.mock.calls.map((call) => call[0])).toEqual([41, 42, 43]);
  });

  it("shows a saved run as it was, with its table", () => {
    const done = { ...answer(11, "fast/a"), state: "done" as const, content: "Saved text", stats: null };
    const failed = { ...answer(12, "failing/b"), state: "error" as const, error: { kind: "authentication", message: "bad key", status: 401, error_type: null, retry_after: null, retryable: false } };
    view.openSaved({ id: 7, title: "Which is best?", kind: "compare", created_at: 0, updated_at: 0, messages: [prompt, done, failed, { ...done, id: 13, model: "locked/x" }] }, catalog);
    expect(column("fast/a").dataset.state).toBe("done");
    expect($("[data-testid=compare-text]", column("fast/a")).textContent?.trim()).toBe("Saved text");
    expect(column("failing/b").dataset.state).toBe("error");
    expect($("[data-testid=compare-keep]", column("failing/b")).hidden).toBe(true);
    expect($("[data-testid=compare-keep]", column("fast/a")).hidden).toBe(false);
    expect(view.el.querySelectorAll("[data-testid=compare-table] tbody tr").length).toBe(3);
    // The next comparison starts from its models, those still offered.
    const pressed = [...view.el.querySelectorAll<HTMLElement>("[aria-pressed=true]")].map((b) => b.dataset.model);
    expect(pressed).toEqual(["fast/a", "failing/b"]);
  });

  it("offers each column's stream to the inspector, live while it runs, and says when it starts and ends", async () => {
    hooks.onInspect = vi.fn();
    const follower = { streamStarted: vi.fn(), answerEnded: vi.fn() };
    view = new CompareView(ipc as unknown as CompareIpc, hooks, { schedule, follower });
    document.body.replaceChildren(view.el);
    view.openNew(catalog);
    await startThree();
    expect(follower.streamStarted).toHaveBeenCalledTimes(3);
    $("[data-testid=inspector-toggle]", column("fast/a")).click();
    expect(hooks.onInspect).toHaveBeenLastCalledWith(expect.anything(), { streamId: 41 });
    handlers["fast/a"](ending(1, "done", 11));
    frame();
    expect(follower.answerEnded).toHaveBeenCalledWith(expect.anything(), 11);
    $("[data-testid=inspector-toggle]", column("fast/a")).click();
    expect(hooks.onInspect).toHaveBeenLastCalledWith(expect.anything(), null);
  });
});
