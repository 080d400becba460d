/**
 * One message of the transcript. A user turn is a lightly tinted block of plain text with Edit;
 * an answer is Markdown on the page, headed by the model that wrote it, with a stats line whose
 * height is reserved from the start, and — while streaming — a caret at its growing end. An
 * answer whose turn has several versions (docs/VERSIONS.md) shows `‹ 2 / 3 ›` to switch.
 *
 * While streaming, `receive` puts each stream message on the page as it arrives and `paint`
 * formats the new text once per frame; on the ending the message becomes the final, saved
 * MessageView.
 */
import { copyText } from "../clipboard";
import { button, h } from "../dom";
import { describeError, pointsToSettings } from "../errors";
import { formatCost, formatStats, modelLabel } from "../format";
import { icon } from "../icons";
import { IncrementalMarkdown } from "../render/incremental";
import { normalizeNewlines } from "../render/markdown";
import { isSubmitKey } from "../shortcuts";
import { isEnding } from "../stream";
import { Role, type MessageView, type StreamMessage } from "../types";
import { TextFlow } from "./text-flow";

export interface MessageHooks {
  providerName(model: string | null): string | null;
  /** Save & resend of an edited user message. */
  onEdit(message: MessageElement, text: string): void;
  /** Retry after an error, or Regenerate: both answer the last user message again. */
  onRegenerate(message: MessageElement): void;
  /** "Another model" (shown when given): answer the last user message again with a model chosen in the picker. */
  onAnswerAgain?(message: MessageElement): void;
  /** `‹` / `›` (shown when given): show version `answerId` of this answer's turn. */
  onShowVersion?(message: MessageElement, answerId: number): void;
  onOpenSettings(): void;
  /** A finished edit or cancelled one: focus goes back to the composer. */
  onEditClosed(): void;
  /** The answer's "Inspect" button (shown when given): open or close the stream inspector on it. */
  onInspect?(message: MessageElement): void;
}

interface ToolCall {
  name: string;
  args: string;
  el: HTMLElement;
}

export class MessageElement {
  readonly el: HTMLElement;
  view: MessageView;
  private readonly text: HTMLElement;
  private md: IncrementalMarkdown | null = null;
  private flow: TextFlow | null = null;
  private stats: HTMLElement | null = null;
  private errorBox: HTMLElement | null = null;
  private thinking: HTMLDetailsElement | null = null;
  private thinkingText: Text | null = null;
  private refusal: HTMLElement | null = null;
  private tools: HTMLElement | null = null;
  private toolCalls = new Map<number, ToolCall>();
  private regenerateBtn: HTMLButtonElement | null = null;
  private answerAgainBtn: HTMLButtonElement | null | undefined = null;
  private versionNav: HTMLElement | null = null;
  private versionsLocked = false;
  private editor: HTMLElement | null = null;

  /** `live`: a stream is painting into this message now (else a streaming view is shown as is). */
  constructor(
    view: MessageView,
    private readonly hooks: MessageHooks,
    private readonly live = false,
  ) {
    this.view = view;
    this.text = h("div", { class: "msg-text", "data-testid": "message-text" });
    if (view.role === Role.user) {
      this.el = this.buildUser();
    } else {
      this.el = this.buildAssistant();
      this.flow = new TextFlow(this.el);
    }
    this.el.dataset.testid = "message";
    this.el.dataset.role = view.role;
    this.render();
  }

  get id(): number {
    return this.view.id;
  }

  /** The text shown now (while streaming, what arrived so far). */
  get content(): string {
    return this.md && this.streaming ? this.md.source : this.view.content;
  }

  /**
   * Takes the ids of the saved message (from the command's `Turn`) without repainting: the
   * stream may already have painted text into this element.
   */
  adopt(view: MessageView): void {
    if (this.view.state === "streaming") this.view = { ...view, content: this.view.content, state: "streaming" };
    else this.view = { ...this.view, versions: view.versions };
    this.renderVersions();
  }

  get streaming(): boolean {
    return this.view.state === "streaming";
  }

  // ---- building -------------------------------------------------------------------------------

  private buildUser(): HTMLElement {
    const actions = h(
      "div",
      { class: "msg-actions" },
      button("Edit message", () => this.startEdit(), { class: "text-button", "data-action": "edit" }, icon("pencil"), h("span", null, "Edit")),
      button("Copy message", () => void copyText(this.view.content), { class: "text-button" }, icon("copy"), h("span", null, "Copy")),
    );
    return h(
      "article",
      { class: "msg msg-user", "aria-label": "You" },
      h("div", { class: "msg-head" }, h("span", { class: "msg-author" }, "You")),
      h("div", { class: "user-block" }, this.text),
      actions,
    );
  }

  private buildAssistant(): HTMLElement {
    this.text.classList.add("markdown");
    this.md = new IncrementalMarkdown(this.text, { caret: true });
    this.stats = h("span", { class: "msg-stats", "data-testid": "message-stats" });
    this.regenerateBtn = button(
      "Regenerate this answer",
      () => this.hooks.onRegenerate(this),
      { class: "text-button", "data-testid": "regenerate", hidden: true },
      icon("retry"),
      h("span", null, "Regenerate"),
    );
    const onAnswerAgain = this.hooks.onAnswerAgain;
    this.answerAgainBtn = onAnswerAgain && button(
      "Answer again with another model",
      () => onAnswerAgain(this),
      { class: "text-button", "data-testid": "answer-again", hidden: true },
      icon("chevron"),
      h("span", null, "Another model"),
    );
    this.versionNav = this.hooks.onShowVersion ? h("span", { class: "msg-versions", "data-testid": "versions", hidden: true }) : null;
    const copy = button("Copy answer", () => void copyText(this.content), { class: "text-button" }, icon("copy"), h("span", null, "Copy"));
    const onInspect = this.hooks.onInspect;
    const inspect = onInspect && button(
      "Inspect this answer's stream",
      () => onInspect(this),
      { class: "text-button inspect-button", "data-testid": "inspector-toggle", "aria-pressed": "false" },
      icon("pulse"),
      h("span", null, "Inspect"),
    );
    return h(
      "article",
      { class: "msg msg-assistant" },
      h("div", { class: "msg-head" }, h("span", { class: "msg-author msg-model" })),
      this.text,
      h(
        "footer",
        { class: "msg-foot" },
        this.versionNav,
        this.stats,
        h("span", { class: "msg-actions" }, copy, inspect, this.regenerateBtn, this.answerAgainBtn),
      ),
    );
  }

  // ---- rendering a whole view ------------------------------------------------------------------

  /** Shows `view` as it is (a stored message, or the final one of a stream). */
  update(view: MessageView): void {
    this.view = view;
    this.render();
  }

  private render(): void {
    const v = this.view;
    this.el.dataset.state = v.state;
    if (v.role === Role.user) {
      if (!this.editor) this.text.textContent = v.content;
      return;
    }
    const model = this.el.querySelector(".msg-model") as HTMLElement;
    model.textContent = modelLabel(v.model) || "Assistant";
    if (v.model) model.title = v.model;
    this.el.setAttribute("aria-label", `Answer from ${modelLabel(v.model) || "the assistant"}`);

    if (v.state === "streaming" && this.live) {
      this.el.setAttribute("aria-busy", "true");
      if (v.content && !this.md!.source) this.md!.append(v.content);
      this.md!.render();
      if (v.thinking) this.appendThinking(v.thinking);
    } else {
      this.el.removeAttribute("aria-busy");
      this.md!.reset(v.content);
      this.setThinking(v.thinking);
    }
    this.renderFoot();
  }

  /** `‹ 2 / 3 ›` when the turn has more than one version; `data-version(s)` whenever known. */
  private renderVersions(): void {
    const nav = this.versionNav;
    const versions = this.view.versions;
    if (!versions) {
      delete this.el.dataset.version;
      delete this.el.dataset.versions;
      if (nav) nav.hidden = true;
      return;
    }
    const { index, answers } = versions;
    this.el.dataset.version = String(index);
    this.el.dataset.versions = String(answers.length);
    if (!nav) return;
    nav.hidden = answers.length < 2;
    if (nav.hidden) return;
    const step = (to: number, label: string, glyph: string, hook: string) =>
      button(
        label,
        () => this.hooks.onShowVersion?.(this, answers[to - 1]),
        { class: "icon-button small version-step", "data-testid": hook, disabled: to < 1 || to > answers.length || this.versionsLocked },
        glyph,
      );
    nav.replaceChildren(
      step(index - 1, "Previous version", "‹", "version-prev"),
      h("span", { class: "version-label", "data-testid": "version-label", "aria-label": `Version ${index} of ${answers.length}` }, `${index} / ${answers.length}`),
      step(index + 1, "Next version", "›", "version-next"),
    );
  }

  /** No switching versions while an answer of the conversation streams. */
  lockVersions(locked: boolean): void {
    if (this.versionsLocked === locked) return;
    this.versionsLocked = locked;
    this.renderVersions();
  }

  /** Focuses this answer's `‹` or `›` (after a switch re-rendered the transcript), else its switcher. */
  focusVersionStep(hook: "version-prev" | "version-next"): void {
    const step = this.versionNav?.querySelector<HTMLButtonElement>(`[data-testid=${hook}]`);
    const target = step && !step.disabled ? step : this.versionNav?.querySelector<HTMLButtonElement>("button:not(:disabled)");
    target?.focus();
  }

  private renderFoot(): void {
    this.renderVersions();
    const v = this.view;
    const stats = formatStats(v.stats);
    this.stats!.replaceChildren();
    if (v.state === "stopped") this.stats!.append(h("span", { class: "badge badge-quiet" }, "Stopped"));
    if (v.state === "error") this.stats!.append(h("span", { class: "badge badge-error" }, "Error"));
    if (stats) this.stats!.append(h("span", null, stats));
    if (v.stats?.cost_usd != null)
      this.stats!.append(
        h("span", { class: "msg-cost", "data-testid": "message-cost", title: "What this answer cost, from the server's token counts" }, formatCost(v.stats.cost_usd)),
      );
    this.renderError();
  }

  private renderError(): void {
    this.errorBox?.remove();
    this.errorBox = null;
    const error = this.view.error;
    if (this.view.state !== "error" || !error) return;
    const sentence = describeError(error, this.hooks.providerName(this.view.model));
    const detail = error.message && error.message !== sentence ? error.message : "";
    const buttons = h(
      "div",
      { class: "error-actions" },
      button(
        "Retry",
        () => this.hooks.onRegenerate(this),
        { class: error.retryable ? "button button-primary" : "button", "data-testid": "retry" },
        icon("retry"),
        h("span", null, "Retry"),
      ),
      pointsToSettings(error) ? button("Open Settings", () => this.hooks.onOpenSettings(), { class: "button" }) : null,
    );
    this.errorBox = h(
      "div",
      { class: "msg-error", "data-testid": "message-error" },
      h("p", { class: "error-sentence" }, sentence),
      detail ? h("p", { class: "error-detail" }, detail) : null,
      buttons,
    );
    this.el.querySelector(".msg-foot")!.before(this.errorBox);
  }

  /** Regenerate is offered under the last answer only. */
  setLast(last: boolean): void {
    // (an error has its own Retry)
    if (this.regenerateBtn) this.regenerateBtn.hidden = !last || this.view.state === "streaming" || this.view.state === "error";
    if (this.answerAgainBtn) this.answerAgainBtn.hidden = !last || this.view.state === "streaming";
    this.el.classList.toggle("is-last", last);
  }

  // ---- streaming -------------------------------------------------------------------------------

  /**
   * Takes one stream message as it arrives: its text goes onto the page at once, as plain text
   * at the growing end (`paint` formats it at the next frame). On the ending, returns the final
   * view and shows it (`endStream`): state, stats and error now, the text's final formatting at
   * the next `paint`.
   */
  receive(m: StreamMessage): MessageView | null {
    if (isEnding(m)) {
      // The ending carries what was saved, not the text (IPC.md): the text is what was
      // assembled from the deltas, which is exactly what was saved.
      const { id, state, error, stats } = m.saved;
      const end = { ...this.view, id, state, error, stats, content: this.content, thinking: this.thinkingText?.data ?? "" };
      this.endStream(end, "at next paint");
      return end;
    }
    switch (m.type) {
      case "start":
        if (m.model) (this.el.querySelector(".msg-model") as HTMLElement).title = `${this.view.model ?? ""} (${m.model})`;
        break;
      case "text":
        this.md!.append(m.text);
        this.flow?.text();
        break;
      case "thinking":
        this.appendThinking(m.text);
        break;
      case "refusal":
        this.appendRefusal(m.text);
        break;
      case "tool_call":
        this.applyToolCall(m.index, m.name, m.arguments);
        break;
    }
    return null;
  }

  /** The frame's work while streaming (and after, while `behind`): formats the text received since the last frame. */
  paint(): void {
    this.md!.render();
    if (this.view.state !== "streaming" && !this.md!.behind) this.el.removeAttribute("aria-busy");
  }

  /** Whether text received is still waiting to be formatted (after a burst): `paint` again next frame. */
  get behind(): boolean {
    return this.md?.behind ?? false;
  }

  /**
   * The stream is over and the message becomes `final`: its state, stats and error are shown now
   * (it stays `aria-busy` until its text is formatted), and the painted text is kept if it already is the final text (else replaced by a full render
   * of it). The text's final formatting is done `"now"` (a command that failed), or `"at next
   * paint"`: by the `paint`s that follow (`behind` until then), as a stream's ending does, so that
   * receiving the ending is not delayed by a frame's work.
   */
  endStream(final: MessageView, formatting: "now" | "at next paint" = "now"): void {
    this.view = final;
    this.el.dataset.state = final.state;
    this.flow?.stop();
    const md = this.md!;
    if (md.source !== normalizeNewlines(final.content)) md.reset(final.content);
    else if (formatting === "now") md.endAndFormatNow();
    else md.endAndFormatOnNextRender();
    // Busy until the text is in its final form (the next `paint`s, when they format it).
    if (!md.behind) this.el.removeAttribute("aria-busy");
    this.setThinking(final.thinking);
    if (this.thinking) this.thinking.querySelector("summary")!.textContent = "Thoughts";
    this.renderFoot();
    this.setLast(this.el.classList.contains("is-last"));
  }

  private ensureThinking(): void {
    if (this.thinking) return;
    this.thinkingText = document.createTextNode("");
    this.thinking = h(
      "details",
      { class: "msg-thinking" },
      h("summary", null, this.streaming ? "Thinking…" : "Thoughts"),
      h("div", { class: "thinking-text" }, this.thinkingText),
    );
    this.text.before(this.thinking);
  }

  private appendThinking(text: string): void {
    if (!text) return;
    this.ensureThinking();
    this.thinkingText!.appendData(text);
  }

  private setThinking(text: string): void {
    if (!text) {
      this.thinking?.remove();
      this.thinking = null;
      return;
    }
    this.ensureThinking();
    if (this.thinkingText!.data !== text) this.thinkingText!.data = text;
  }

  private appendRefusal(text: string): void {
    if (!this.refusal) {
      this.refusal = h("p", { class: "msg-refusal" });
      this.text.after(this.refusal);
    }
    this.refusal.append(text);
  }

  private applyToolCall(index: number, name: string | null, args: string): void {
    if (!this.tools) {
      this.tools = h("div", { class: "msg-tools" });
      (this.refusal ?? this.text).after(this.tools);
    }
    let call = this.toolCalls.get(index);
    if (!call) {
      call = { name: "", args: "", el: h("div", { class: "tool-call" }) };
      this.toolCalls.set(index, call);
      this.tools.append(call.el);
    }
    if (name) call.name += name;
    call.args += args;
    call.el.textContent = `Tool call · ${call.name || "…"}(${call.args})`;
  }

  // ---- editing a user message -------------------------------------------------------------------

  /** Turns the user message into a textarea with Save & resend and Cancel. */
  startEdit(): void {
    if (this.view.role !== Role.user || this.editor) return;
    const area = h("textarea", {
      class: "edit-area",
      rows: 1,
      "aria-label": "Edit your message",
      "data-testid": "edit-input",
    });
    area.value = this.view.content;
    const save = () => {
      const text = area.value.trim();
      if (!text) return;
      this.closeEdit(false);
      this.hooks.onEdit(this, text);
    };
    area.addEventListener("keydown", (e) => {
      if (isSubmitKey(e)) {
        e.preventDefault();
        save();
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.closeEdit(true);
      }
    });
    const grow = () => {
      area.style.height = "auto";
      area.style.height = `${area.scrollHeight}px`;
    };
    area.addEventListener("input", grow);
    this.editor = h(
      "div",
      { class: "editor" },
      area,
      h(
        "div",
        { class: "editor-actions" },
        button("Cancel", () => this.closeEdit(true), { class: "button" }),
        button("Save & resend", save, { class: "button button-primary", "data-testid": "edit-save" }),
      ),
    );
    this.text.replaceWith(this.editor);
    this.el.classList.add("editing");
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    grow();
  }

  private closeEdit(cancelled: boolean): void {
    if (!this.editor) return;
    this.editor.replaceWith(this.text);
    this.editor = null;
    this.el.classList.remove("editing");
    this.text.textContent = this.view.content;
    if (cancelled) this.hooks.onEditClosed();
  }
}
