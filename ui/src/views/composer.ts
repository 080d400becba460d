/**
 * The composer: a textarea that grows with its text (up to a limit, then scrolls). Enter sends,
 * Shift+Enter makes a new line, ↑ in an empty composer edits the last message. The Send button
 * turns into Stop while an answer streams (Esc stops too; that key is handled by the app).
 */
import { button, h } from "../dom";
import { icon } from "../icons";
import { isSubmitKey } from "../shortcuts";

export interface ComposerHooks {
  onSend(text: string): void;
  onStop(): void;
  onEditLast(): void;
}

export class ComposerView {
  readonly el: HTMLElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private streaming = false;

  constructor(private readonly hooks: ComposerHooks) {
    this.textarea = h("textarea", {
      class: "composer-input",
      "data-testid": "composer",
      rows: 1,
      placeholder: "Message…",
      "aria-label": "Message",
      autocomplete: "off",
      spellcheck: "true",
    });
    this.send = button("Send (Enter)", () => this.submit(), { class: "icon-button send", "data-testid": "send" }, icon("send"));
    this.stop = button("Stop (Esc)", () => this.hooks.onStop(), { class: "icon-button stop", "data-testid": "stop", hidden: true }, icon("stop"));
    this.el = h(
      "div",
      { class: "composer" },
      h("div", { class: "column composer-box" }, this.textarea, h("div", { class: "composer-buttons" }, this.send, this.stop)),
    );
    this.textarea.addEventListener("input", () => this.grow());
    this.textarea.addEventListener("keydown", (e) => {
      if (isSubmitKey(e)) {
        e.preventDefault();
        if (!this.streaming) this.submit();
      } else if (e.key === "ArrowUp" && this.textarea.value === "" && !e.shiftKey && !e.altKey) {
        e.preventDefault();
        this.hooks.onEditLast();
      }
    });
    this.updateSend();
  }

  get value(): string {
    return this.textarea.value;
  }

  set value(text: string) {
    this.textarea.value = text;
    this.grow();
  }

  focus(): void {
    this.textarea.focus();
  }

  /** Send becomes Stop while the open conversation has an answer streaming. */
  setStreaming(streaming: boolean): void {
    if (this.streaming === streaming) return;
    const hadFocus = document.activeElement === this.send || document.activeElement === this.stop;
    this.streaming = streaming;
    this.send.hidden = streaming;
    this.stop.hidden = !streaming;
    if (hadFocus) (streaming ? this.stop : this.send).focus();
  }

  private submit(): void {
    const text = this.textarea.value.trim();
    if (!text || this.streaming) return;
    this.textarea.value = "";
    this.grow();
    this.hooks.onSend(text);
  }

  private grow(): void {
    const t = this.textarea;
    t.style.height = "auto";
    // scrollHeight leaves out the borders; without them a border-box textarea shows a scrollbar.
    const wanted = t.scrollHeight + (t.offsetHeight - t.clientHeight);
    const limit = Math.round(window.innerHeight * 0.4);
    t.style.height = `${Math.min(wanted, limit)}px`;
    t.style.overflowY = wanted > limit ? "auto" : "hidden";
    this.updateSend();
  }

  private updateSend(): void {
    this.send.disabled = this.textarea.value.trim() === "";
  }
}
