/**
 * A virtual list of rows of one fixed height: a scrolling box whose content is a spacer as tall as
 * every row together, over which only the rows in view (and `overscan` more on each side) exist
 * in the DOM, each placed at its index × the row height. Scrolling draws the rows that come into
 * view at the next frame and removes the others, so 100,000 rows cost the DOM a screenful.
 *
 * Fixed heights keep it simple and exact: where a row is never depends on rows not drawn. The
 * spacer must stay under the engine's largest box (WebKit's is about 33 million px).
 */
import { h } from "../dom";
import type { FrameScheduler } from "../stream";

export interface VirtualListOptions {
  /** Every row's height, px. */
  rowHeight: number;
  /** Rows drawn beyond those in view, above and below. */
  overscan: number;
  /** Builds row `index`'s element (drawn again by `refresh`). */
  render(index: number): HTMLElement;
  /** The rows [first, last) are drawn now: the ones to have at hand. */
  onRange?(first: number, last: number): void;
  schedule: FrameScheduler;
}

export class VirtualList {
  private readonly spacer: HTMLElement;
  private readonly drawn = new Map<number, HTMLElement>();
  private count = 0;
  private pending: (() => void) | null = null;

  /** Lists rows in `el`, the scrolling box. */
  constructor(
    readonly el: HTMLElement,
    private readonly options: VirtualListOptions,
  ) {
    this.spacer = h("div", { class: "vlist-spacer", role: "none" });
    el.append(this.spacer);
    el.addEventListener("scroll", () => this.drawSoon(), { passive: true });
  }

  /** How many rows there are. */
  get length(): number {
    return this.count;
  }

  /** The rows [first, last) drawn now. */
  get range(): [number, number] {
    const indexes = [...this.drawn.keys()];
    return indexes.length ? [Math.min(...indexes), Math.max(...indexes) + 1] : [0, 0];
  }

  /** Sets how many rows there are, and draws the ones in view. */
  setCount(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * this.options.rowHeight}px`;
    this.draw();
  }

  /**
   * Draws the rows in view anew (what they show changed), and any that came into view. A row
   * that held the focus hands it to its new element's first control.
   */
  refresh(): void {
    for (const [index, el] of this.drawn) {
      const fresh = this.place(this.options.render(index), index);
      const focused = el.contains(document.activeElement);
      el.replaceWith(fresh);
      this.drawn.set(index, fresh);
      if (focused) fresh.querySelector<HTMLElement>("button, [tabindex]")?.focus({ preventScroll: true });
    }
    this.draw();
  }

  /** Removes every row and scrolls back to the top. */
  clear(): void {
    for (const el of this.drawn.values()) el.remove();
    this.drawn.clear();
    this.el.scrollTop = 0;
    this.setCount(0);
  }

  /** Draws the rows in view now (they are drawn at the next frame after a scroll). */
  draw(): void {
    this.pending?.();
    this.pending = null;
    const { rowHeight, overscan } = this.options;
    const top = Math.max(0, Math.floor(this.el.scrollTop / rowHeight) - overscan);
    const bottom = Math.ceil((this.el.scrollTop + this.el.clientHeight) / rowHeight) + overscan;
    const first = Math.min(top, this.count);
    const last = Math.min(Math.max(bottom, first), this.count);
    for (const [index, el] of this.drawn) {
      if (index < first || index >= last) {
        el.remove();
        this.drawn.delete(index);
      }
    }
    // The drawn rows are one run of indexes: new ones go before it or after it, so the DOM's
    // order stays the rows' order.
    const [kept] = this.range;
    const before = this.drawn.get(kept) ?? null;
    for (let index = first; index < last; index++) {
      if (this.drawn.has(index)) continue;
      const el = this.place(this.options.render(index), index);
      if (before && index < kept) before.before(el);
      else this.el.append(el);
      this.drawn.set(index, el);
    }
    this.options.onRange?.(first, last);
  }

  private drawSoon(): void {
    if (!this.pending) this.pending = this.options.schedule(() => this.draw());
  }

  private place(el: HTMLElement, index: number): HTMLElement {
    el.classList.add("vlist-row");
    el.style.top = `${index * this.options.rowHeight}px`;
    el.dataset.index = String(index);
    return el;
  }
}
