/**
 * Whether an answer's text is flowing: `data-flowing` on its element from the first text until the
 * text pauses for `PAUSE_MS`, and off at its end. The caret is solid while text flows and blinks
 * while the answer waits (app.css), as an editor's caret is solid while one types: a blink is a CSS
 * animation, which WebKit keeps running at every frame, and while text streamed, stopping it cut
 * the page's CPU by 5–23 % in two pairs of runs (docs/PERFORMANCE.md).
 */

/** How long the text must pause before the caret blinks. */
export const PAUSE_MS = 500;

export class TextFlow {
  private lastTextAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly el: HTMLElement) {}

  /** Text arrived: flowing now, until it pauses (one timer at a time, however much arrives). */
  text(): void {
    this.lastTextAt = Date.now();
    if (this.timer) return;
    this.el.dataset.flowing = "";
    this.timer = setTimeout(() => this.check(), PAUSE_MS);
  }

  /** The answer ended (or the text paused): not flowing. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    delete this.el.dataset.flowing;
  }

  private check(): void {
    const quiet = Date.now() - this.lastTextAt;
    if (quiet >= PAUSE_MS) return this.stop();
    this.timer = setTimeout(() => this.check(), PAUSE_MS - quiet);
  }
}
