/**
 * Where the page's scripts spend their time on streams, summed since the last `reset`: read by the
 * window benchmark (`window.__runnelPerf`, docs/PERFORMANCE.md) to split the time from a flush to
 * the frame into Rust + IPC, the page's scripts (and which of them), and WebKit's layout and paint.
 * Each figure costs two `performance.now()` calls where it is taken.
 */
export const pagePerf = {
  /** Stream messages received, and the milliseconds `receive` took for them. */
  messages: 0,
  receiveMs: 0,
  /** Of `receiveMs`, the endings' (an ending paints the rest of the answer at once). */
  endingMs: 0,
  /** Frames painted, the milliseconds `paint` took in all, and the longest one. */
  paints: 0,
  paintMs: 0,
  paintMaxMs: 0,
  /**
   * Of the rendering: Markdown to HTML (marked's lexer and parser, highlight.js), sanitizing,
   * making nodes, putting them on the page.
   */
  markdownMs: 0,
  sanitizeMs: 0,
  nodesMs: 0,
  insertMs: 0,
  /** Following the growing end: reading the scroll height makes WebKit lay out what changed. */
  layoutMs: 0,
  /** When an answer's text was last all formatted (no backlog left): wall-clock ms, as `timeOrigin + now()`. */
  formattedAt: 0,
  reset(): void {
    this.messages = this.receiveMs = this.endingMs = this.paints = this.paintMs = this.paintMaxMs = 0;
    this.markdownMs = this.sanitizeMs = this.nodesMs = this.insertMs = this.layoutMs = this.formattedAt = 0;
  },
};

/** Runs `work`, adding the milliseconds it took to `pagePerf[field]`. */
export function timed<T>(field: "markdownMs" | "sanitizeMs" | "nodesMs" | "insertMs" | "layoutMs", work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    pagePerf[field] += performance.now() - start;
  }
}
