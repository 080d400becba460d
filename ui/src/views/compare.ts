/**
 * Models side by side: choose 2–4 models, type one prompt, and each model answers in its own
 * column, all streaming at once. A column is an answer like the chat's — its own `AnswerStream`,
 * painted by the same `MessageElement` — with live stats while it streams, its own
 * Stop, and its error with Retry; no column's fate touches another's. When every column has
 * ended, a table sums them up (time to first token, total time, tokens, tokens/s, characters,
 * cost).
 * "Continue with this answer" hands one column to the app, which opens the chat Rust made of it.
 *
 * A run keeps streaming while another view is shown; coming back to it shows the same columns.
 * Runs from history are shown as saved.
 */
import { AnswerStream, type StreamFollower } from "../answer-stream";
import { EndFollower, button, h } from "../dom";
import { allEnded, summaryRows } from "../compare-stats";
import { formatStats, modelLabel } from "../format";
import { icon } from "../icons";
import type { Ipc, StreamHandler } from "../ipc";
import { handleOutputClicks } from "../render/output-clicks";
import { isSubmitKey } from "../shortcuts";
import { animationFrame, hasContent, sharedFrames, type FrameScheduler } from "../stream";
import { COMPARE_MODELS, Role, type Conversation, type ConversationSummary, type MessageView, type ProviderView, type Stats, type Turn, type UiError } from "../types";
import { MessageElement } from "./message";

/** The fewest and most models a run compares (Rust checks them, compare.rs; generated). */
const { min: MIN_MODELS, max: MAX_MODELS } = COMPARE_MODELS;

/** The commands a compare view calls. */
export type CompareIpc = Pick<Ipc, "createCompare" | "compareColumn" | "retryColumn" | "keepAnswer" | "stopStream" | "ackStream">;

export interface CompareHooks {
  providerName(model: string | null): string | null;
  /** Run `run` was saved and its columns are starting: it is the run shown now. */
  onStarted(run: ConversationSummary): void;
  /** A column ended: the sidebar may have changed. */
  onChanged(): void;
  /** "Continue with this answer": Rust made `chat` of the prompt and that column's answer. */
  onKeep(chat: ConversationSummary, model: string): void;
  onOpenSettings(): void;
  onOpenLink(url: string): void;
  /** A column's Inspect button (shown when given): the stream inspector on its answer. */
  onInspect?(answer: MessageElement, live: { streamId: number | null } | null): void;
}

/** One model's column: its answer element, its stream while it runs, its live numbers. */
class Column {
  readonly el: HTMLElement;
  element!: MessageElement;
  stream: AnswerStream | null = null;
  /** The answer's numbers so far, as the last stream message carried them (Rust's). */
  live: Stats | null = null;
  private readonly body: HTMLElement;
  private readonly follower: EndFollower;
  /** The answer's stats line (found once: a query from the column would walk the whole answer). */
  private stats: Element | null = null;
  /** Painted in this frame, not yet scrolled to its end. */
  painted = false;
  readonly stop: HTMLButtonElement;
  readonly keep: HTMLButtonElement;

  constructor(
    readonly model: string,
    provider: string | null,
    onStop: () => void,
    onKeep: () => void,
  ) {
    this.stop = button(`Stop ${model}`, onStop, { class: "text-button", "data-testid": "compare-stop", "data-scope": "column" }, icon("stop"), h("span", null, "Stop"));
    this.keep = button(
      `Continue with this answer, from ${model}`,
      onKeep,
      { class: "text-button", "data-testid": "compare-keep" },
      icon("check"),
      h("span", null, "Continue with this answer"),
    );
    this.body = h("div", { class: "compare-body" });
    this.follower = new EndFollower(this.body, 24);
    this.el = h(
      "section",
      { class: "compare-column", "data-testid": "compare-column", "data-model": model, "aria-label": `Answer of ${model}` },
      h(
        "header",
        { class: "compare-head" },
        h("span", { class: "compare-model-name", title: model }, modelLabel(model)),
        provider ? h("span", { class: "compare-provider muted" }, provider) : null,
        h("span", { class: "spacer" }),
        this.stop,
      ),
      this.body,
      h("footer", { class: "compare-foot" }, this.keep),
    );
  }

  /** Shows `element` as this column's answer (a new one on Retry). */
  show(element: MessageElement): void {
    this.element = element;
    element.el.dataset.testid = "compare-answer";
    element.el.querySelector("[data-testid=message-text]")?.setAttribute("data-testid", "compare-text");
    this.stats = element.el.querySelector("[data-testid=message-stats]");
    this.stats?.setAttribute("data-testid", "compare-stats");
    this.body.replaceChildren(element.el);
    this.sync();
  }

  /** Keeps the growing end in view while the reader stays at it (as the chat does). */
  followEnd(): void {
    this.painted = false;
    this.follower.toEnd();
  }

  get state(): MessageView["state"] {
    return this.element.view.state;
  }

  /** Paints the live numbers into the stats line, until the ending replaces them with the saved ones. */
  paintLive(): void {
    if (this.state !== "streaming") return;
    if (this.stats) this.stats.textContent = formatStats(this.live) || "Waiting for the first token…";
  }

  /** The column's state attribute and buttons follow its answer. */
  sync(): void {
    const state = this.state;
    this.el.dataset.state = state;
    this.stop.hidden = state !== "streaming";
    // Only an ended answer with text can be continued.
    this.keep.hidden = state === "streaming" || !this.element.content.trim();
  }
}

/** A compare run as saved: its id, its prompt and its columns. */
interface Run {
  id: number;
  prompt: string;
  columns: Column[];
}

export class CompareView {
  readonly el: HTMLElement;
  private readonly chooser: HTMLElement;
  private readonly prompt: HTMLTextAreaElement;
  private readonly go: HTMLButtonElement;
  private readonly stopAllButton: HTMLButtonElement;
  private readonly choiceHint: HTMLElement;
  private readonly runArea: HTMLElement;
  private readonly announcer: HTMLElement;
  private catalog: ProviderView[] = [];
  private chosen: string[] = [];
  private run: Run | null = null;
  /** Runs whose columns still stream, by id, so coming back shows the same columns. */
  private readonly live = new Map<number, Run>();
  /** Every column's stream paints in one frame; then the columns that painted follow their ends. */
  private readonly frames: FrameScheduler;

  constructor(
    private readonly ipc: CompareIpc,
    private readonly hooks: CompareHooks,
    private readonly options: { schedule?: FrameScheduler; follower?: StreamFollower } = {},
  ) {
    this.frames = sharedFrames(options.schedule ?? animationFrame, () => this.followColumns());
    this.chooser = h("div", { class: "compare-models", role: "group", "aria-label": "Models to compare" });
    this.choiceHint = h("p", { class: "compare-hint muted", "aria-live": "polite" });
    this.prompt = h("textarea", {
      class: "compare-prompt",
      "data-testid": "compare-prompt",
      rows: 2,
      placeholder: "One prompt for every model…",
      "aria-label": "Prompt to compare",
    });
    this.prompt.addEventListener("input", () => this.updateGo());
    this.prompt.addEventListener("keydown", (e) => {
      if (isSubmitKey(e)) {
        e.preventDefault();
        void this.start();
      }
    });
    this.go = button("Compare (Enter)", () => void this.start(), { class: "button button-primary", "data-testid": "compare-send" }, icon("send"), h("span", null, "Compare"));
    this.stopAllButton = button(
      "Stop all (Esc)",
      () => this.stopAll(),
      { class: "button", "data-testid": "compare-stop", "data-scope": "all", hidden: true },
      icon("stop"),
      h("span", null, "Stop all"),
    );
    this.runArea = h("div", { class: "compare-run" });
    this.announcer = h("div", { class: "visually-hidden", "aria-live": "polite", "data-testid": "compare-announcer" });
    this.el = h(
      "div",
      { class: "compare", "data-testid": "compare" },
      h(
        "div",
        { class: "compare-setup" },
        h("h1", { class: "compare-title" }, "Compare models"),
        this.chooser,
        this.choiceHint,
        h("div", { class: "compare-form" }, this.prompt, h("div", { class: "compare-buttons" }, this.go, this.stopAllButton)),
      ),
      this.runArea,
      this.announcer,
    );
    handleOutputClicks(this.runArea, (url) => hooks.onOpenLink(url));
  }

  /** A new comparison: the models offered are `catalog`'s available ones; earlier choices stay. */
  openNew(catalog: ProviderView[]): void {
    this.setCatalog(catalog);
    this.showRun(null);
    this.focus();
  }

  /** Shows saved run `conversation` (or, while it streams, the same live columns). */
  openSaved(conversation: Conversation, catalog: ProviderView[]): void {
    this.setCatalog(catalog);
    const live = this.live.get(conversation.id);
    if (live) {
      this.showRun(live);
      return;
    }
    const prompt = conversation.messages.find((m) => m.role === Role.user)?.content ?? "";
    const run: Run = { id: conversation.id, prompt, columns: [] };
    for (const answer of conversation.messages.filter((m) => m.role === Role.assistant)) {
      const column = this.column(run, answer.model ?? "");
      column.show(this.answer(run, column, answer, false));
      run.columns.push(column);
    }
    // The next comparison starts from this run's models, those still offered.
    const offered = new Set(this.catalog.flatMap((g) => g.models.map((id) => `${g.id}/${id}`)));
    this.chosen = run.columns.map((c) => c.model).filter((m) => offered.has(m));
    this.showRun(run);
  }

  focus(): void {
    this.prompt.focus();
  }

  /** Stops every streaming column of the run shown (Esc, Stop all). */
  stopAll(): void {
    for (const column of this.run?.columns ?? []) column.stream?.stop();
  }

  /** Stops the streams of run `id` and forgets it (it was deleted). */
  forget(id: number): void {
    const run = this.live.get(id);
    for (const column of run?.columns ?? []) column.stream?.stop();
    this.live.delete(id);
    if (this.run?.id === id) this.showRun(null);
  }

  // ---- choosing ---------------------------------------------------------------------------------

  private setCatalog(catalog: ProviderView[]): void {
    this.catalog = catalog.filter((g) => g.available && g.models.length);
    this.renderChooser();
  }

  private renderChooser(): void {
    this.chooser.replaceChildren(
      ...this.catalog.map((group) =>
        h(
          "div",
          { class: "compare-group" },
          h("span", { class: "compare-group-name muted" }, group.name),
          ...group.models.map((id) => {
            const model = `${group.id}/${id}`;
            const on = this.chosen.includes(model);
            return button(`${on ? "Remove" : "Add"} ${model}`, () => this.toggle(model), {
              class: on ? "chip chip-on" : "chip",
              "data-testid": "compare-model",
              "data-model": model,
              "aria-pressed": String(on),
              title: model,
            }, on ? icon("check") : null, h("span", null, id));
          }),
        ),
      ),
    );
    this.updateGo();
  }

  private toggle(model: string): void {
    if (this.chosen.includes(model)) this.chosen = this.chosen.filter((m) => m !== model);
    else if (this.chosen.length < MAX_MODELS) this.chosen = [...this.chosen, model];
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.model;
    this.renderChooser();
    if (focused) (this.chooser.querySelector(`[data-model="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  }

  private updateGo(): void {
    const n = this.chosen.length;
    this.choiceHint.textContent =
      n < MIN_MODELS
        ? `Choose ${MIN_MODELS}–${MAX_MODELS} models (${n} chosen)`
        : `${n} models: ${this.chosen.map(modelLabel).join(", ")}${n === MAX_MODELS ? " (the most)" : ""}`;
    this.go.disabled = n < MIN_MODELS || !this.prompt.value.trim() || this.streaming;
  }

  private get streaming(): boolean {
    return !!this.run?.columns.some((c) => c.state === "streaming");
  }

  // ---- a run ------------------------------------------------------------------------------------

  private showRun(run: Run | null): void {
    this.run = run;
    this.renderChooser();
    if (!run) {
      this.runArea.replaceChildren();
      this.syncRun();
      return;
    }
    const grid = h("div", { class: `compare-columns columns-${run.columns.length}` }, ...run.columns.map((c) => c.el));
    this.runArea.replaceChildren(
      h("div", { class: "compare-prompt-shown" }, h("span", { class: "msg-author" }, "You"), h("div", { class: "user-block" }, run.prompt)),
      grid,
      h("div", { class: "compare-table-slot" }),
    );
    this.syncRun();
  }

  /** Starts a run of the prompt on the chosen models: one column (and one stream) each. */
  async start(): Promise<void> {
    const prompt = this.prompt.value.trim();
    const models = [...this.chosen];
    if (!prompt || models.length < MIN_MODELS || this.streaming) return;
    let saved: ConversationSummary;
    try {
      saved = await this.ipc.createCompare(prompt, models);
    } catch (e) {
      this.choiceHint.textContent = (e as UiError).message;
      return;
    }
    this.prompt.value = "";
    const run: Run = { id: saved.id, prompt, columns: [] };
    for (const model of models) run.columns.push(this.column(run, model));
    const streams = run.columns.map((column) => this.prepare(run, column));
    this.live.set(saved.id, run);
    this.showRun(run);
    this.hooks.onStarted(saved);
    // One after the other: the columns are saved in this order, so they reopen in it.
    for (const [i, column] of run.columns.entries()) {
      await this.begin(streams[i], (on) => this.ipc.compareColumn(saved.id, column.model, on));
    }
  }

  private column(run: Run, model: string): Column {
    const column: Column = new Column(
      model,
      this.hooks.providerName(model),
      () => column.stream?.stop(),
      () => void this.keep(run, column),
    );
    return column;
  }

  private answer(run: Run, column: Column, view: MessageView, live: boolean): MessageElement {
    return new MessageElement(
      view,
      {
        providerName: (model) => this.hooks.providerName(model),
        onRegenerate: () => void this.retry(run, column),
        onOpenSettings: () => this.hooks.onOpenSettings(),
        // A column is an answer: it has no message of the person's to edit.
        onEdit: () => undefined,
        onEditClosed: () => this.focus(),
        onInspect: this.hooks.onInspect && ((message) => this.hooks.onInspect?.(message, column.stream ? { streamId: column.stream.streamId } : null)),
      },
      live,
    );
  }

  /** After a frame's paints: the columns that painted follow their ends. */
  private followColumns(): void {
    for (const run of [this.run, ...this.live.values()]) {
      for (const column of run?.columns ?? []) if (column.painted) column.followEnd();
    }
  }

  /** Gives `column` a fresh streaming answer and the stream that will paint it. */
  private prepare(run: Run, column: Column): AnswerStream {
    const placeholder: MessageView = {
      id: -1,
      conversation_id: run.id,
      role: Role.assistant,
      content: "",
      thinking: "",
      model: column.model,
      state: "streaming",
      error: null,
      stats: null,
      created_at: Date.now(),
      versions: null,
    };
    const element = this.answer(run, column, placeholder, true);
    column.show(element);
    column.live = null;
    let tokenShown = false;
    const stream = new AnswerStream(
      element,
      this.ipc,
      {
        received: (message) => {
          // Each message brings the numbers so far; the paint comes at the next frame.
          if (message.stats) column.live = message.stats;
          if (!tokenShown && hasContent(message)) {
            // The first token is on the page now: so is its time, not at the next frame.
            tokenShown = true;
            column.paintLive();
          }
        },
        painted: () => {
          column.painted = true;
          column.paintLive();
        },
        ended: () => this.ended(run, column),
      },
      { schedule: this.frames, follower: this.options.follower },
    );
    column.stream = stream;
    column.paintLive();
    return stream;
  }

  /** Starts `stream` (its column's) with `command`; it follows the stream to its ending. */
  private async begin(stream: AnswerStream, command: (on: StreamHandler) => Promise<Turn>): Promise<void> {
    this.syncRun();
    await stream.start(command);
  }

  private ended(run: Run, column: Column): void {
    column.stream = null;
    column.sync();
    if (run.columns.every((c) => c.state !== "streaming")) {
      this.live.delete(run.id);
      if (this.run === run) this.announcer.textContent = "Comparison complete";
    }
    if (this.run === run) this.syncRun();
    this.hooks.onChanged();
  }

  private async retry(run: Run, column: Column): Promise<void> {
    const id = column.element.id;
    if (column.state === "streaming" || id < 0) return;
    this.live.set(run.id, run);
    await this.begin(this.prepare(run, column), (on) => this.ipc.retryColumn(run.id, id, on));
  }

  private async keep(run: Run, column: Column): Promise<void> {
    if (column.state === "streaming" || column.element.id < 0) return;
    column.keep.disabled = true;
    try {
      const chat = await this.ipc.keepAnswer(run.id, column.element.id);
      this.hooks.onKeep(chat, column.model);
    } catch (e) {
      this.announcer.textContent = (e as UiError).message;
    } finally {
      column.keep.disabled = false;
    }
  }

  /** Stop all, busy state and the summary table follow the run shown. */
  private syncRun(): void {
    const run = this.run;
    const streaming = this.streaming;
    this.stopAllButton.hidden = !streaming;
    this.runArea.toggleAttribute("aria-busy", streaming);
    this.updateGo();
    const slot = this.runArea.querySelector(".compare-table-slot");
    if (!run || !slot) return;
    const results = run.columns.map((c) => ({ model: c.model, state: c.state, content: c.element.content, stats: c.element.view.stats }));
    slot.replaceChildren(allEnded(results) ? table(results) : "");
  }
}

/** The summary table of an ended run. */
function table(results: Parameters<typeof summaryRows>[0]): HTMLElement {
  const headings = ["Model", "First token", "Total", "Tokens", "Tokens/s", "Characters", "Cost"];
  return h(
    "table",
    { class: "compare-table", "data-testid": "compare-table" },
    h("caption", { class: "visually-hidden" }, "Comparison summary"),
    h("thead", null, h("tr", null, ...headings.map((text) => h("th", { scope: "col", "data-column": text.toLowerCase() }, text)))),
    h(
      "tbody",
      null,
      ...summaryRows(results).map((row) =>
        h(
          "tr",
          { "data-model": row.model, "data-state": row.state },
          h("th", { scope: "row", title: row.model }, modelLabel(row.model), row.state === "done" ? "" : h("span", { class: "badge badge-quiet" }, row.state)),
          ...[row.ttft, row.total, row.tokens, row.tokensPerSec, row.characters].map((text) => h("td", null, text)),
          h("td", { "data-column": "cost" }, row.cost),
        ),
      ),
    ),
  );
}
