/**
 * The transcript: one centered column of messages that scrolls. It follows the growing end of
 * an answer only while the reader is at the bottom; scrolling up stops following and, when new
 * text arrives, shows a small "↓ new text" button that brings it back.
 *
 * The transcript is a `role="log"`, `aria-busy` while an answer streams, so a screen reader reads
 * a finished answer as one block. It also owns the page's single polite live region: an answer's
 * start ("Answering with MODEL…"), a short note every 7 s while it lasts, and its ending
 * ("Answer complete", "Stopped", or the error), never its tokens.
 */
import { EndFollower, button, h } from "../dom";
import { conversationCost } from "../format";
import { icon } from "../icons";
import { handleOutputClicks } from "../render/output-clicks";
import { Role } from "../types";
import type { MessageElement } from "./message";

export interface ChatHooks {
  onOpenLink(url: string): void;
}

/** How often a long answer's progress is announced. */
const PROGRESS_EVERY_MS = 7000;

export class ChatView {
  readonly el: HTMLElement;
  readonly scroller: HTMLElement;
  private readonly list: HTMLElement;
  private readonly jump: HTMLButtonElement;
  private readonly live: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly cost: HTMLElement;
  messages: MessageElement[] = [];
  private progress: ReturnType<typeof setInterval> | null = null;
  private readonly follower: EndFollower;

  constructor(hooks: ChatHooks, emptyState: HTMLElement) {
    this.list = h("div", { class: "column transcript-list" });
    this.empty = emptyState;
    this.scroller = h(
      "div",
      { class: "transcript", "data-testid": "transcript", role: "log", "aria-label": "Conversation", tabindex: "-1" },
      this.empty,
      this.list,
    );
    this.jump = button(
      "Scroll to the new text",
      () => this.scrollToEnd(),
      { class: "jump", "data-testid": "jump-to-end", hidden: true },
      icon("down"),
      h("span", null, "new text"),
    );
    this.live = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite", "aria-atomic": "true", "data-testid": "announcer" });
    this.cost = h("div", {
      class: "conversation-cost",
      "data-testid": "conversation-cost",
      title: "What this conversation's answers cost, from the servers' token counts",
      hidden: true,
    });
    this.el = h("div", { class: "chat" }, this.cost, this.scroller, this.jump, this.live);

    this.follower = new EndFollower(this.scroller, 48, (following) => {
      if (following) this.jump.hidden = true;
    });
    handleOutputClicks(this.list, (url) => hooks.onOpenLink(url));
    this.updateEmpty();
  }

  /**
   * Replaces the transcript: another conversation was opened (shown from its end), or another
   * version of a turn (`"keep scroll"`: the reader stays where they were).
   */
  setMessages(messages: MessageElement[], scroll: "to end" | "keep scroll" = "to end"): void {
    const top = this.scroller.scrollTop;
    if (scroll === "to end") this.answerEnded();
    this.messages = messages;
    this.list.replaceChildren(...messages.map((m) => m.el));
    this.refreshLast();
    this.updateEmpty();
    if (scroll === "to end") this.scrollToEnd();
    else this.scroller.scrollTop = top;
  }

  append(...messages: MessageElement[]): void {
    for (const m of messages) {
      this.messages.push(m);
      this.list.append(m.el);
    }
    this.refreshLast();
    this.updateEmpty();
    this.scrollToEnd();
  }

  /** Removes `message` and everything after it (edit, regenerate). */
  removeFrom(message: MessageElement): void {
    const i = this.messages.indexOf(message);
    if (i < 0) return;
    for (const m of this.messages.splice(i)) m.el.remove();
    this.refreshLast();
    this.updateEmpty();
  }

  /** Removes these messages (an answer answered again, one Rust deleted); any not shown are ignored. */
  remove(...messages: MessageElement[]): void {
    this.messages = this.messages.filter((m) => !messages.includes(m));
    for (const m of messages) m.el.remove();
    this.refreshLast();
    this.updateEmpty();
  }

  /** The messages shown that have one of these ids. */
  withIds(ids: number[]): MessageElement[] {
    return this.messages.filter((m) => ids.includes(m.id));
  }

  /** Called after a frame painted new text: follow it, or offer to. */
  afterPaint(message: MessageElement): void {
    if (!this.messages.includes(message)) return;
    if (this.follower.following) this.follower.toEnd();
    else this.jump.hidden = false;
  }

  scrollToEnd(): void {
    this.jump.hidden = true;
    this.follower.toEnd(true);
  }

  /**
   * Says an answer began ("Answering with MODEL…") and, while it lasts, a short note every
   * `every` ms: a screen reader hears its progress, never its tokens. `answerEnded` stops it.
   */
  answering(model: string, every = PROGRESS_EVERY_MS): void {
    this.answerEnded();
    this.announce(model ? `Answering with ${model}…` : "Answering…");
    this.progress = setInterval(() => this.announce("Still answering…"), every);
  }

  /** Stops the progress notes of the answer that was announced. */
  answerEnded(): void {
    if (this.progress !== null) clearInterval(this.progress);
    this.progress = null;
  }

  announce(text: string): void {
    // Clear first so the same words twice in a row are still read.
    this.live.textContent = "";
    setTimeout(() => (this.live.textContent = text), 50);
  }

  setBusy(busy: boolean): void {
    if (busy) this.scroller.setAttribute("aria-busy", "true");
    else this.scroller.removeAttribute("aria-busy");
  }

  lastUserMessage(): MessageElement | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].view.role === Role.user) return this.messages[i];
    return undefined;
  }

  lastAssistant(): MessageElement | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].view.role === Role.assistant) return this.messages[i];
    return undefined;
  }

  refreshLast(): void {
    const last = this.lastAssistant();
    for (const m of this.messages) if (m.view.role === Role.assistant) m.setLast(m === last);
    this.refreshCost();
  }

  /** The conversation's cost: its ended answers' costs (the core's) added up, those without one named. */
  private refreshCost(): void {
    const ended = this.messages.filter((m) => m.view.role === Role.assistant && m.view.state !== "streaming");
    const text = conversationCost(ended.map((m) => m.view.stats?.cost_usd));
    this.cost.textContent = text ? `Conversation: ${text}` : "";
    this.cost.hidden = !text;
  }

  private updateEmpty(): void {
    this.empty.hidden = this.messages.length > 0;
  }
}
