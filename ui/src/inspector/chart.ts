/**
 * The inspector's timeline, as SVG built with DOM calls (the CSP allows no inline markup or
 * styles; colours come from classes in app.css): a tick per slice of time holding events (comment
 * lines fainter), so gaps show as empty stretches; a dashed line at the time to first token; and
 * below, tokens per second over the answer (content deltas per time slice, an area).
 *
 * It draws a `Timeline`: rows counted per slice of time, which Rust sends with a finished
 * stream's rows and with each batch of a live answer's (`src-tauri/src/timeline.rs`).
 * `timelineGeometry` is the pure part (paths and numbers), tested on its own.
 */
import type { Timeline } from "../types";

const SVG = "http://www.w3.org/2000/svg";
/** The chart's drawing box; it is stretched to the panel's width. */
export const WIDTH = 600;
export const HEIGHT = 72;
const TICKS_BOTTOM = 26;
/** Time slices for tokens/s: groups of the timeline's slices. */
const RATE_SLICES = 48;

export interface TimelineGeometry {
  /** One `M x y V y` segment per slice holding events (comments apart). */
  ticks: string;
  comments: string;
  /** The tokens/s area, closed along the bottom; "" without content. */
  rate: string;
  /** x of the time to first token, or null. */
  ttftX: number | null;
  /** The time axis's end, ms. */
  spanMs: number;
  /** The highest tokens/s of a slice. */
  peakRate: number;
  /** The longest silence between two events, ms. */
  longestGapMs: number;
  /** The rows the timeline counts. */
  rows: number;
}

/** The chart's shapes for `timeline` and the time to first token. */
export function timelineGeometry(timeline: Timeline, ttftMs: number | null): TimelineGeometry {
  const spanMs = timeline.span_ms;
  const slices = timeline.events.length;
  const x = (ms: number) => round((ms / spanMs) * WIDTH);
  // A slice's tick at its middle.
  const sliceX = (slice: number) => round(((slice + 0.5) / slices) * WIDTH);
  let ticks = "";
  let comments = "";
  let rows = 0;
  const counts = new Array<number>(RATE_SLICES).fill(0);
  for (let slice = 0; slice < slices; slice++) {
    const segment = `M${sliceX(slice)} 2V${TICKS_BOTTOM}`;
    if (timeline.events[slice]) ticks += segment;
    if (timeline.comments[slice]) comments += segment;
    rows += timeline.events[slice] + timeline.comments[slice];
    counts[Math.floor((slice * RATE_SLICES) / slices)] += timeline.content[slice];
  }
  const sliceSeconds = spanMs / RATE_SLICES / 1000;
  const rates = counts.map((c) => c / sliceSeconds);
  const peakRate = Math.max(0, ...rates);
  let rate = "";
  if (peakRate > 0) {
    const top = TICKS_BOTTOM + 6;
    const y = (r: number) => round(HEIGHT - (r / peakRate) * (HEIGHT - top));
    rate = `M0 ${HEIGHT}`;
    rates.forEach((r, i) => {
      rate += `L${round((i / RATE_SLICES) * WIDTH)} ${y(r)}L${round(((i + 1) / RATE_SLICES) * WIDTH)} ${y(r)}`;
    });
    rate += `L${WIDTH} ${HEIGHT}Z`;
  }
  return {
    ticks,
    comments,
    rate,
    ttftX: ttftMs === null ? null : x(Math.min(ttftMs, spanMs)),
    spanMs,
    peakRate,
    longestGapMs: timeline.longest_gap_ms,
    rows,
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** The SVG of `timeline`, with a text alternative in its title. */
export function timelineChart(timeline: Timeline, ttftMs: number | null): SVGSVGElement {
  const g = timelineGeometry(timeline, ttftMs);
  const root = svg("svg", {
    class: "inspector-chart",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    preserveAspectRatio: "none",
    role: "img",
    "data-testid": "inspector-chart",
  });
  const title = svg("title", {});
  title.textContent =
    `${g.rows} events over ${Math.round(g.spanMs)} ms; longest gap ${Math.round(g.longestGapMs)} ms` +
    (ttftMs === null ? "" : `; first token at ${Math.round(ttftMs)} ms`) +
    (g.peakRate > 0 ? `; peak ${Math.round(g.peakRate)} tokens/s` : "");
  root.append(title);
  root.append(svg("line", { class: "chart-axis", x1: "0", x2: String(WIDTH), y1: String(TICKS_BOTTOM + 2), y2: String(TICKS_BOTTOM + 2) }));
  if (g.rate) root.append(svg("path", { class: "chart-rate", d: g.rate }));
  if (g.comments) root.append(svg("path", { class: "chart-tick chart-tick-comment", d: g.comments }));
  if (g.ticks) root.append(svg("path", { class: "chart-tick", d: g.ticks }));
  if (g.ttftX !== null) {
    root.append(svg("line", { class: "chart-ttft", x1: String(g.ttftX), x2: String(g.ttftX), y1: "0", y2: String(HEIGHT), "data-testid": "inspector-ttft" }));
  }
  for (const el of root.querySelectorAll("path, line")) el.setAttribute("vector-effect", "non-scaling-stroke");
  return root;
}
