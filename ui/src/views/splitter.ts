/**
 * A splitter: the handle on a panel's edge that sets its width, by dragging or from the keyboard
 * (a focusable `role="separator"` with `aria-valuenow` in pixels; ←/→ move it 16 px, with Shift
 * 64 px; Home and End go to the narrowest and widest). It reports each width as it changes and
 * the width to keep once a drag or a key press is over; the app decides where that goes.
 */
import { h } from "../dom";

export interface SplitterHooks {
  /** The width while it changes (a drag, each key press). */
  onResize(width: number): void;
  /** The width to keep: a drag ended, or a key moved it. */
  onCommit(width: number): void;
}

export interface SplitterOptions {
  /** What it resizes, for its accessible name ("Resize the sidebar"). */
  label: string;
  /** Its `data-testid`. */
  testId: string;
  min: number;
  max: number;
  /** Which edge of its panel it is on: a panel on the left grows as the handle goes right. */
  edge: "right" | "left";
  /** The panel's width on screen, read when a drag or a key starts (a default width is the stylesheet's). */
  measure?: () => number;
}

/** How far one arrow key press moves a splitter, in CSS pixels (with Shift: four times that). */
export const SPLITTER_STEP = 16;

/** `width` kept within `min`…`max` and rounded to a whole pixel. */
export function clampWidth(width: number, min: number, max: number): number {
  return Math.round(Math.min(max, Math.max(min, width)));
}

export class Splitter {
  readonly el: HTMLElement;
  private width: number;
  private drag: { pointer: number; startX: number; startWidth: number } | null = null;

  constructor(private readonly options: SplitterOptions, private readonly hooks: SplitterHooks, width: number) {
    this.width = clampWidth(width, options.min, options.max);
    this.el = h("div", {
      class: `splitter splitter-${options.edge}`,
      role: "separator",
      tabindex: "0",
      "aria-orientation": "vertical",
      "aria-label": options.label,
      "aria-valuemin": String(options.min),
      "aria-valuemax": String(options.max),
      "data-testid": options.testId,
    });
    this.show(this.width);
    this.el.addEventListener("keydown", (e) => this.onKey(e));
    this.el.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    this.el.addEventListener("pointermove", (e) => this.onPointerMove(e));
    this.el.addEventListener("pointerup", (e) => this.onPointerUp(e));
    this.el.addEventListener("pointercancel", (e) => this.onPointerUp(e));
  }

  /** The width shown now. */
  get value(): number {
    return this.width;
  }

  /** Sets the width from outside (a stored layout), without reporting it. */
  set(width: number): void {
    this.show(clampWidth(width, this.options.min, this.options.max));
  }

  private show(width: number): void {
    this.width = width;
    this.el.setAttribute("aria-valuenow", String(width));
    this.el.setAttribute("aria-valuetext", `${width} pixels`);
  }

  private move(width: number, commit: boolean): void {
    const next = clampWidth(width, this.options.min, this.options.max);
    if (next !== this.width) {
      this.show(next);
      this.hooks.onResize(next);
    }
    if (commit) this.hooks.onCommit(next);
  }

  /** Starts from the panel's width on screen, when it can be measured. */
  private startFromScreen(): void {
    const measured = this.options.measure?.();
    if (measured) this.show(clampWidth(measured, this.options.min, this.options.max));
  }

  private onKey(e: KeyboardEvent): void {
    if (!["ArrowRight", "ArrowLeft", "Home", "End"].includes(e.key)) return;
    this.startFromScreen();
    const step = e.shiftKey ? SPLITTER_STEP * 4 : SPLITTER_STEP;
    // A panel on the left widens as its handle goes right; one on the right, as it goes left.
    const grow = this.options.edge === "right" ? 1 : -1;
    let width: number;
    if (e.key === "ArrowRight") width = this.width + step * grow;
    else if (e.key === "ArrowLeft") width = this.width - step * grow;
    else if (e.key === "Home") width = this.options.min;
    else if (e.key === "End") width = this.options.max;
    else return;
    e.preventDefault();
    this.move(width, true);
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.startFromScreen();
    this.el.setPointerCapture?.(e.pointerId);
    this.drag = { pointer: e.pointerId, startX: e.clientX, startWidth: this.width };
    this.el.classList.add("dragging");
    this.el.focus();
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.drag || e.pointerId !== this.drag.pointer) return;
    const moved = e.clientX - this.drag.startX;
    this.move(this.drag.startWidth + (this.options.edge === "right" ? moved : -moved), false);
  }

  private onPointerUp(e: PointerEvent): void {
    if (!this.drag || e.pointerId !== this.drag.pointer) return;
    this.drag = null;
    this.el.classList.remove("dragging");
    this.hooks.onCommit(this.width);
  }
}
