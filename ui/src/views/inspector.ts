/**
 * The stream inspector: a panel beside the conversation showing one answer's stream (or an
 * opened `.sse` file) as it came off the wire — a row per SSE event and comment line, with its
 * arrival time, name, size, the fields the streaming guides print, and the events Runnel decoded
 * from it; a row opens its detail below the list, its data pretty-printed. Above the rows: a
 * filter, "Copy as JSON Lines", Export, the summary and the timeline.
 *
 * It shows what it is given and reports clicks; where rows come from (`stream_events`, a live
 * inspection, a file) is the app's business. The rows are a virtual list (`inspector/virtual-list`):
 * only those in view exist in the DOM, a finished stream's are fetched a page at a time as the list
 * scrolls (`inspector/sources`), and a live answer's batches are taken at once and drawn at the
 * next frame. Rust keeps at most `Limits::inspector_rows` rows of a stream; the events past them
 * are counted, and the list's last row says how many.
 */
import { button, h } from "../dom";
import { icon } from "../icons";
import { timelineChart } from "../inspector/chart";
import { loadingRow, moreRow, rowElement } from "../inspector/row-element";
import { prettyData, summaryItems, toJsonLines } from "../inspector/rows";
import { type FetchWindow, LiveRowSet, PagedRows, type RowSource } from "../inspector/sources";
import { VirtualList } from "../inspector/virtual-list";
import { animationFrame, type FrameScheduler } from "../stream";
import type { EventRow, LiveRows, StreamEvents, StreamSummary, Timeline, UiError } from "../types";

/** Every row's height, px: three lines (app.css sizes `.insp-row` from `--insp-row-height`). */
export const ROW_HEIGHT = 66;
/** Rows drawn beyond those in view, above and below. */
const OVERSCAN = 8;
/** The most rows "Copy as JSON Lines" copies. */
export const COPY_ROWS = 10_000;
/** The summary and chart are redrawn at most this often while live rows arrive. */
const REDRAW_INTERVAL_MS = 250;

/** A number for a person: "33,554,331". */
const grouped = (n: number): string => n.toLocaleString("en-US");

export interface InspectorHooks {
  onClose(): void;
  /** Exports the shown answer's stream; resolves to the saved file's path. */
  onExport(): Promise<string>;
  onCopy(text: string): Promise<boolean>;
  /** Opens the `.sse` file at `path` (typed into the panel's file field). */
  onOpenFile(path: string): void;
}

export class InspectorView {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly count: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly rowsBox: HTMLElement;
  private readonly list: VirtualList;
  private readonly detail: HTMLElement;
  private readonly status: HTMLElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly copyButton: HTMLButtonElement;
  private readonly fileForm: HTMLFormElement;
  private readonly pathInput: HTMLInputElement;
  private readonly schedule: FrameScheduler;

  /** Where the rows come from; null while nothing is shown. */
  private source: RowSource | null = null;
  /** The live answer's rows, while one is shown. */
  private live: LiveRowSet | null = null;
  /** A finished stream's summary and timeline, from Rust. */
  private fixed: { summary: StreamSummary; timeline: Timeline } | null = null;
  /** The row whose detail is open. */
  private selected: EventRow | null = null;
  private cancelFrame: (() => void) | null = null;
  /** The live count of events past the bound the list shows. */
  private shownMore = 0;
  private redrawTimer: ReturnType<typeof setTimeout> | null = null;
  private drawnAt = 0;
  private query = "";
  private filterTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly hooks: InspectorHooks,
    options: { schedule?: FrameScheduler } = {},
  ) {
    this.schedule = options.schedule ?? animationFrame;
    this.title = h("h2", { class: "inspector-title", id: "inspector-title" }, "Stream inspector");
    this.subtitle = h("p", { class: "inspector-subtitle muted" });
    this.filter = h("input", {
      type: "search",
      class: "inspector-filter",
      placeholder: "Filter by event or text",
      "aria-label": "Filter events by name or text",
      "data-testid": "inspector-filter",
    });
    this.filter.addEventListener("input", () => {
      if (this.filterTimer) clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => this.applyFilter(this.filter.value), 80);
    });
    this.filter.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.applyFilter(this.filter.value);
    });
    this.count = h("span", { class: "inspector-count muted", "aria-live": "polite", "data-testid": "inspector-count" });
    this.copyButton = button(
      "Copy as JSON Lines",
      () => void this.copy(),
      { class: "text-button", "data-testid": "inspector-copy" },
      icon("copy"),
      h("span", null, "Copy as JSON Lines"),
    );
    this.exportButton = button(
      "Export .sse file",
      () => void this.export(),
      { class: "text-button", "data-testid": "inspector-export" },
      icon("down"),
      h("span", null, "Export .sse"),
    );
    this.summary = h("dl", { class: "inspector-summary", "data-testid": "inspector-summary", "aria-label": "Summary" });
    this.chart = h("div", { class: "inspector-chart-box", "aria-label": "Timeline" });
    this.status = h("p", { class: "inspector-status", role: "status", "data-testid": "inspector-status" });
    this.pathInput = h("input", {
      type: "text",
      class: "inspector-path",
      placeholder: "/home/you/Downloads/answer.sse",
      "aria-label": "Path of an .sse file",
      "data-testid": "inspector-path",
      spellcheck: "false",
    });
    this.fileForm = h(
      "form",
      { class: "inspector-file", "aria-label": "Open an .sse file", hidden: true },
      h("div", { class: "inspector-file-row" }, this.pathInput, h("button", { type: "submit", class: "button small", "data-testid": "inspector-open" }, "Open")),
      h("p", { class: "muted inspector-hint" }, "Type or paste a path, or drop an .sse file onto the window."),
    );
    this.fileForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const path = this.pathInput.value.trim();
      if (path) this.hooks.onOpenFile(path);
    });
    this.rowsBox = h("div", {
      class: "inspector-rows",
      role: "list",
      "aria-label": "Events",
      "data-testid": "inspector-rows",
      "data-row-height": String(ROW_HEIGHT),
    });
    this.rowsBox.style.setProperty("--insp-row-height", `${ROW_HEIGHT}px`);
    this.rowsBox.addEventListener("click", (e) => {
      const head = (e.target as Element | null)?.closest?.(".insp-row-head");
      const index = head?.closest<HTMLElement>(".vlist-row")?.dataset.index;
      if (index !== undefined) this.toggleDetail(Number(index));
    });
    this.list = new VirtualList(this.rowsBox, {
      rowHeight: ROW_HEIGHT,
      overscan: OVERSCAN,
      render: (index) => this.renderRow(index),
      onRange: (first, last) => this.source?.want(first, last),
      schedule: this.schedule,
    });
    this.detail = h("section", { class: "insp-detail", "aria-label": "The selected event", "data-testid": "inspector-detail", hidden: true });

    this.el = h(
      "aside",
      {
        class: "inspector",
        "data-testid": "inspector",
        role: "complementary",
        "aria-labelledby": "inspector-title",
        hidden: true,
      },
      h(
        "header",
        { class: "inspector-head" },
        h("div", { class: "inspector-heading" }, this.title, this.subtitle),
        button("Close the inspector", () => this.hooks.onClose(), { class: "icon-button small", "data-testid": "inspector-close" }, icon("close")),
      ),
      this.fileForm,
      h("div", { class: "inspector-tools" }, this.filter, h("div", { class: "inspector-actions" }, this.count, this.copyButton, this.exportButton)),
      this.status,
      this.summary,
      this.chart,
      this.rowsBox,
      this.detail,
    );
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.hooks.onClose();
      }
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /**
   * Opens the panel, empty, on a new source: `title` names it, `exportable` says whether Export
   * applies (an answer's recorded stream; not a file, nor an answer still streaming).
   */
  open(title: string, subtitle: string, exportable: boolean): void {
    this.el.hidden = false;
    this.title.textContent = title;
    this.subtitle.textContent = subtitle;
    this.clear();
    this.setExportable(exportable);
    this.setStatus("Loading…");
  }

  /** Says what is shown, under the title. */
  setSubtitle(subtitle: string): void {
    this.subtitle.textContent = subtitle;
  }

  /** Shows or hides the field for a file's path (`path` fills it); shown, it takes the focus. */
  showFileForm(shown: boolean, path = ""): void {
    this.fileForm.hidden = !shown;
    if (!shown) return;
    this.pathInput.value = path;
    this.pathInput.focus();
  }

  /** Export applies now (the answer ended and its stream was kept). */
  setExportable(exportable: boolean): void {
    this.exportButton.disabled = !exportable;
    this.exportButton.title = exportable ? "Save the stream to the downloads folder as an .sse file" : "Export is for an answer's stream, once it has ended";
  }

  close(): void {
    this.el.hidden = true;
    this.clear();
  }

  /**
   * Shows a finished stream, replacing what was shown (a live answer's rows, now saved, stay in
   * place: the list keeps its scroll). `first` is its first window (from row 0, unfiltered);
   * `fetch` asks Rust for the others as the list scrolls to them.
   */
  showStream(first: StreamEvents, fetch: FetchWindow): void {
    this.stopLive();
    this.selectRow(null);
    this.fixed = { summary: first.summary, timeline: first.timeline };
    // A page that arrives for a stream no longer shown changes nothing.
    const paged: PagedRows = new PagedRows(
      first,
      fetch,
      () => {
        if (this.source === paged) this.rowsArrived();
      },
      (e) => {
        if (this.source === paged) this.setStatus((e as UiError).message || "Could not read the stream's rows.", true);
      },
    );
    this.source = paged;
    if (this.query) paged.filter(this.query);
    this.setStatus(first.total || first.more ? "" : "The stream has no events.");
    this.rowsArrived();
    this.renderSummary();
    this.renderChart();
  }

  /** Starts showing a live stream; rows follow with `appendRows`. */
  startLive(): void {
    this.clear();
    this.live = new LiveRowSet();
    this.live.filter(this.query);
    this.source = this.live;
    this.setStatus("Live: events appear as they arrive.");
    this.renderSummary();
  }

  /** Takes a live batch; its rows are drawn at the next frame. */
  appendRows(batch: LiveRows): void {
    if (!this.live || (!batch.rows.length && batch.more === this.live.more)) return;
    this.live.append(batch);
    if (!this.cancelFrame) this.cancelFrame = this.schedule(() => this.liveFrame());
  }

  /** Shows why nothing can be shown. */
  showError(message: string): void {
    this.clear();
    this.setStatus(message, true);
  }

  /** Says something in the status line (empty: nothing). */
  say(text: string): void {
    this.setStatus(text);
  }

  focusFilter(): void {
    this.filter.focus();
  }

  // ---- rows ---------------------------------------------------------------------------------------

  private clear(): void {
    this.stopLive();
    this.source = null;
    this.fixed = null;
    this.selectRow(null);
    this.list.clear();
    this.summary.replaceChildren();
    this.chart.replaceChildren();
    this.updateCount();
    this.setStatus("");
  }

  private stopLive(): void {
    this.cancelFrame?.();
    this.cancelFrame = null;
    if (this.redrawTimer) clearTimeout(this.redrawTimer);
    this.redrawTimer = null;
    this.live = null;
    this.shownMore = 0;
  }

  /** The list's rows: those passing the filter, and a last one for the events past the bound. */
  private rowCount(): number {
    const source = this.source;
    return source ? source.total + (source.more ? 1 : 0) : 0;
  }

  private renderRow(index: number): HTMLElement {
    const source = this.source;
    if (source && index >= source.total) return moreRow(source.more, source.kept);
    const row = source?.row(index);
    return row ? rowElement(row, row === this.selected) : loadingRow();
  }

  /** Rows (or the count past the bound) changed: the list shows them. */
  private rowsArrived(): void {
    this.list.setCount(this.rowCount());
    this.list.refresh();
    this.updateCount();
  }

  private liveFrame(): void {
    this.cancelFrame = null;
    const live = this.live;
    if (!live) return;
    this.list.setCount(this.rowCount());
    // Rows never change once drawn; the last row's count of events past the bound does.
    if (live.more !== this.shownMore) this.list.refresh();
    this.shownMore = live.more;
    this.updateCount();
    // The summary and the chart read every row: redrawn a few times a second, and after the last.
    const since = performance.now() - this.drawnAt;
    if (since >= REDRAW_INTERVAL_MS) this.redraw();
    else this.redrawTimer ??= setTimeout(() => this.redraw(), REDRAW_INTERVAL_MS - since);
  }

  private redraw(): void {
    if (this.redrawTimer) clearTimeout(this.redrawTimer);
    this.redrawTimer = null;
    this.drawnAt = performance.now();
    this.renderSummary();
    this.renderChart();
  }

  private applyFilter(query: string): void {
    if (this.filterTimer) clearTimeout(this.filterTimer);
    this.filterTimer = null;
    if (query === this.query) return;
    this.query = query;
    this.source?.filter(query);
    this.rowsBox.scrollTop = 0;
    this.rowsArrived();
  }

  private updateCount(): void {
    const source = this.source;
    this.rowsBox.dataset.total = String(source?.total ?? 0);
    if (!source) {
      this.count.textContent = "";
      return;
    }
    this.count.textContent = this.query ? `${grouped(source.total)} of ${grouped(source.kept)}` : `${grouped(source.kept + source.more)} events`;
  }

  private toggleDetail(index: number): void {
    const row = this.source?.row(index);
    if (row) this.selectRow(row === this.selected ? null : row);
  }

  /** Opens `row`'s detail below the list (null: closes it). */
  private selectRow(row: EventRow | null): void {
    const changed = row !== this.selected;
    this.selected = row;
    this.detail.hidden = !row;
    if (!row) {
      this.detail.replaceChildren();
    } else {
      this.detail.replaceChildren(
        h(
          "div",
          { class: "insp-detail-head" },
          h("span", { class: "insp-detail-title" }, `${row.event === "" ? ": comment" : row.event} at ${row.at_ms.toFixed(1)} ms`),
          button("Close the event's detail", () => this.selectRow(null), { class: "icon-button small" }, icon("close")),
        ),
        h("pre", { class: "insp-data", "aria-label": "Data" }, prettyData(row.data)),
        h("ul", { class: "insp-decoded-list", "aria-label": "Decoded by Runnel", hidden: !row.decoded.length }, row.decoded.map((e) => h("li", null, JSON.stringify(e)))),
      );
    }
    if (changed) this.list.refresh();
  }

  // ---- summary, chart, actions ---------------------------------------------------------------

  /** The summary shown: a finished stream's, or a live one's as of its last batch (Rust's either way). */
  private currentSummary(): StreamSummary | null {
    return this.fixed?.summary ?? this.live?.summary ?? null;
  }

  private renderSummary(): void {
    const summary = this.currentSummary();
    const items = summary ? summaryItems(summary) : [];
    this.summary.replaceChildren(
      ...items.map(([label, value]) => h("div", { class: "summary-item" }, h("dt", null, label), h("dd", { "data-label": label }, value))),
    );
  }

  private renderChart(): void {
    const timeline = this.fixed?.timeline ?? this.live?.timeline ?? null;
    const rows = timeline ? [...timeline.events, ...timeline.comments].reduce((a, b) => a + b, 0) : 0;
    if (!timeline || !rows) {
      this.chart.replaceChildren();
      return;
    }
    const ttft = this.currentSummary()?.stats.ttft_ms ?? null;
    this.chart.replaceChildren(
      timelineChart(timeline, ttft),
      h(
        "p",
        { class: "chart-legend muted" },
        h("span", { class: "legend-ticks" }, "events"),
        h("span", { class: "legend-ttft" }, ttft === null ? "no first token" : `first token ${Math.round(ttft)} ms`),
        h("span", { class: "legend-rate" }, "tokens/s"),
        h("span", { class: "legend-span" }, `0 – ${Math.round(timeline.span_ms)} ms`),
      ),
    );
  }

  private async copy(): Promise<void> {
    const source = this.source;
    if (!source) return;
    let rows: EventRow[];
    try {
      rows = await source.collect(COPY_ROWS);
    } catch (e) {
      this.setStatus((e as UiError).message || "Could not read the stream's rows.", true);
      return;
    }
    const ok = await this.hooks.onCopy(toJsonLines(rows));
    const part = source.total > rows.length ? ` (the first ${grouped(rows.length)} of ${grouped(source.total)})` : "";
    this.setStatus(ok ? `Copied ${grouped(rows.length)} events as JSON Lines${part}.` : "Could not copy to the clipboard.", !ok);
  }

  private async export(): Promise<void> {
    this.exportButton.disabled = true;
    this.setStatus("Exporting…");
    try {
      const path = await this.hooks.onExport();
      this.setStatus(`Saved to ${path}`);
    } catch (e) {
      this.setStatus(`Export failed: ${(e as { message?: string }).message ?? String(e)}`, true);
    } finally {
      this.exportButton.disabled = false;
    }
  }

  private setStatus(text: string, error = false): void {
    this.status.textContent = text;
    this.status.hidden = !text;
    this.status.classList.toggle("is-error", error);
  }
}
