/**
 * The stream inspector: a panel beside the conversation showing one answer's stream (or an
 * opened `.sse` file) as it came off the wire — a row per SSE event and comment line, with its
 * arrival time, name, size, the fields the streaming guides print, and the events Runnel decoded
 * from it; a row opens to its data, pretty-printed. Above the rows: a filter, "Copy as JSON
 * Lines", Export, the summary and the timeline.
 *
 * It shows what it is given and reports clicks; where rows come from (`stream_events`, a live
 * inspection, a file) is the app's business. Live rows are queued and appended once per animation
 * frame, at most `ROWS_PER_FRAME` at a time, into groups of `ROWS_PER_CHUNK`, so a stream of
 * thousands of events stays smooth while every row stays in the DOM.
 */
import { button, h } from "../dom";
import { icon } from "../icons";
import { timelineChart } from "../inspector/chart";
import {
  describeEvent,
  eventLabel,
  type Field,
  formatAt,
  formatBytes,
  prettyData,
  rowFields,
  rowMatches,
  summarizeRows,
  summaryItems,
  toJsonLines,
} from "../inspector/rows";
import { animationFrame, type FrameScheduler } from "../stream";
import type { EventRow, StreamEvents, StreamSummary } from "../types";

/**
 * Rows are kept in groups of this many: appending a row lays out its group and steps over the
 * others, where a flat list of thousands of rows was laid out whole at every append (measured in
 * WebKitGTK: 0.2 ms a row already shown).
 */
export const ROWS_PER_CHUNK = 100;
/** The most rows appended in one frame while rows pour in. */
export const ROWS_PER_FRAME = 200;
/** The summary and chart are redrawn at most this often while rows arrive. */
const REDRAW_INTERVAL_MS = 250;

export interface InspectorHooks {
  onClose(): void;
  /** Exports the shown answer's stream; resolves to the saved file's path. */
  onExport(): Promise<string>;
  onCopy(text: string): Promise<boolean>;
  /** Opens the `.sse` file at `path` (typed into the panel's file field). */
  onOpenFile(path: string): void;
}

interface ShownRow {
  row: EventRow;
  el: HTMLElement;
}

export class InspectorView {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly count: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly copyButton: HTMLButtonElement;
  private readonly fileForm: HTMLFormElement;
  private readonly pathInput: HTMLInputElement;
  private readonly schedule: FrameScheduler;

  private shown: ShownRow[] = [];
  /** The group the next row goes into (see `ROWS_PER_CHUNK`). */
  private chunk: HTMLElement | null = null;
  private queue: EventRow[] = [];
  private cancelFrame: (() => void) | null = null;
  private drawnAt = 0;
  private query = "";
  private filterTimer: ReturnType<typeof setTimeout> | null = null;
  private summaryFixed: StreamSummary | null = null;
  private protocol = "";
  private model: string | null = null;

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
    this.count = h("span", { class: "inspector-count muted", "aria-live": "polite" });
    this.copyButton = button(
      "Copy as JSON Lines",
      () => void this.copy(),
      { class: "text-button", "data-testid": "inspector-copy" },
      icon("copy"),
      h("span", null, "Copy as JSON Lines"),
    );
    this.exportButton = button(
      "Export as .sse file",
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
    this.list = h("div", { class: "inspector-rows", role: "list", "aria-label": "Events" });
    this.list.addEventListener("click", (e) => {
      const head = (e.target as Element | null)?.closest?.(".insp-row-head");
      if (head) this.toggleRow(head.parentElement as HTMLElement);
    });

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
      this.list,
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

  /** The rows shown now (all of them, filtered or not). */
  get rows(): EventRow[] {
    return this.shown.map((s) => s.row).concat(this.queue);
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
   * Shows a whole recorded stream, replacing what was shown. Rows already shown that are the same
   * (a live answer's, now saved) stay as they are; the others are appended over the next frames.
   */
  setEvents(events: StreamEvents): void {
    this.cancelFrame?.();
    this.cancelFrame = null;
    let kept = 0;
    while (kept < this.shown.length && kept < events.rows.length && sameRow(this.shown[kept].row, events.rows[kept])) kept++;
    for (const gone of this.shown.splice(kept)) gone.el.remove();
    for (const chunk of Array.from(this.list.children)) if (!chunk.childElementCount) chunk.remove();
    this.chunk = (this.list.lastElementChild as HTMLElement | null) ?? null;
    this.summaryFixed = events.summary;
    this.protocol = events.summary.protocol;
    this.model = events.summary.model;
    this.setStatus(events.rows.length ? "" : "The stream has no events.");
    this.queue = events.rows.slice(kept);
    this.flush();
  }

  /** Starts showing a live stream in `protocol` for `model`; rows follow with `appendRows`. */
  startLive(protocol: string, model: string | null): void {
    this.clear();
    this.protocol = protocol;
    this.model = model;
    this.setStatus("Live: events appear as they arrive.");
    this.renderSummary();
  }

  /** Queues live rows; they are appended at the next frame. */
  appendRows(rows: EventRow[]): void {
    if (!rows.length) return;
    this.queue.push(...rows);
    if (!this.cancelFrame) this.cancelFrame = this.schedule(() => this.flush());
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
    this.cancelFrame?.();
    this.cancelFrame = null;
    this.queue = [];
    this.shown = [];
    this.chunk = null;
    this.list.replaceChildren();
    this.summaryFixed = null;
    this.summary.replaceChildren();
    this.chart.replaceChildren();
    this.count.textContent = "";
    this.setStatus("");
  }

  private flush(): void {
    this.cancelFrame = null;
    const batch = this.queue.splice(0, ROWS_PER_FRAME);
    this.appendNow(batch);
    // The summary and the chart read every row: redrawn a few times a second, and at the end.
    if (performance.now() - this.drawnAt >= REDRAW_INTERVAL_MS || !this.queue.length) {
      this.drawnAt = performance.now();
      this.renderSummary();
      this.renderChart();
    }
    if (this.queue.length) this.cancelFrame = this.schedule(() => this.flush());
  }

  private appendNow(rows: EventRow[]): void {
    let next = 0;
    while (next < rows.length) {
      if (!this.chunk || this.chunk.childElementCount >= ROWS_PER_CHUNK) {
        this.chunk = h("div", { class: "insp-chunk", role: "none" });
        this.list.append(this.chunk);
      }
      const fragment = document.createDocumentFragment();
      for (const row of rows.slice(next, next + ROWS_PER_CHUNK - this.chunk.childElementCount)) {
        const el = rowElement(row, this.shown.length);
        el.hidden = !rowMatches(row, this.query);
        this.shown.push({ row, el });
        fragment.append(el);
        next++;
      }
      this.chunk.append(fragment);
    }
    this.updateCount();
  }

  private applyFilter(query: string): void {
    if (this.filterTimer) clearTimeout(this.filterTimer);
    this.filterTimer = null;
    this.query = query;
    for (const s of this.shown) s.el.hidden = !rowMatches(s.row, query);
    this.updateCount();
  }

  private updateCount(): void {
    const total = this.shown.length;
    const passing = this.query ? this.shown.filter((s) => !s.el.hidden).length : total;
    this.count.textContent = this.query ? `${passing} of ${total}` : `${total} events`;
  }

  private toggleRow(el: HTMLElement): void {
    const head = el.querySelector(".insp-row-head") as HTMLElement;
    const open = head.getAttribute("aria-expanded") === "true";
    head.setAttribute("aria-expanded", String(!open));
    const detail = el.querySelector(".insp-row-detail");
    if (open) {
      detail?.remove();
      return;
    }
    const row = this.shown[Number(el.dataset.index)]?.row;
    if (!row) return;
    el.append(
      h(
        "div",
        { class: "insp-row-detail" },
        h("pre", { class: "insp-data", "aria-label": "Data" }, prettyData(row.data)),
        row.decoded.length
          ? h("ul", { class: "insp-decoded-list", "aria-label": "Decoded by Runnel" }, row.decoded.map((e) => h("li", null, JSON.stringify(e))))
          : null,
      ),
    );
  }

  // ---- summary, chart, actions ---------------------------------------------------------------

  private currentSummary(): StreamSummary {
    return this.summaryFixed ?? summarizeRows(this.shown.map((s) => s.row), this.protocol, this.model);
  }

  private renderSummary(): void {
    const items = summaryItems(this.currentSummary());
    this.summary.replaceChildren(
      ...items.map(([label, value]) => h("div", { class: "summary-item" }, h("dt", null, label), h("dd", { "data-label": label }, value))),
    );
  }

  private renderChart(): void {
    const rows = this.shown.map((s) => s.row);
    if (!rows.length) {
      this.chart.replaceChildren();
      return;
    }
    const summary = this.currentSummary();
    this.chart.replaceChildren(
      timelineChart(rows, summary.ttft_ms),
      h(
        "p",
        { class: "chart-legend muted" },
        h("span", { class: "legend-ticks" }, "events"),
        h("span", { class: "legend-ttft" }, summary.ttft_ms === null ? "no first token" : `first token ${Math.round(summary.ttft_ms)} ms`),
        h("span", { class: "legend-rate" }, "tokens/s"),
        h("span", { class: "legend-span" }, `0 – ${Math.round(rows[rows.length - 1].at_ms)} ms`),
      ),
    );
  }

  private async copy(): Promise<void> {
    const rows = this.shown.filter((s) => !s.el.hidden).map((s) => s.row);
    const ok = await this.hooks.onCopy(toJsonLines(rows));
    this.setStatus(ok ? `Copied ${rows.length} events as JSON Lines.` : "Could not copy to the clipboard.", !ok);
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

/** Whether two rows show the same: a live row and the saved one differ only by the ending's decoded event. */
function sameRow(a: EventRow, b: EventRow): boolean {
  return (
    // The saved recording keeps times to the microsecond; a live row has them unrounded.
    Math.abs(a.at_ms - b.at_ms) < 0.01 &&
    a.event === b.event &&
    a.data === b.data &&
    a.decoded.length === b.decoded.length &&
    a.decoded.every((event, i) => event.type === b.decoded[i].type)
  );
}

/** The fields that name a stream rather than say what one chunk carries. */
const IDENTITY = ["id", "model"];

/** One line of fields (none: nothing). */
function fieldLine(fields: Field[]): HTMLElement | null {
  if (!fields.length) return null;
  return h(
    "span",
    { class: "insp-fields" },
    fields.map(([label, value]) => h("span", { class: "insp-field" }, h("span", { class: "insp-field-label" }, label), " ", h("span", { class: "insp-field-value", "data-field": label }, value))),
  );
}

/** One row: a button-like head (time, event, size, fields, raw data, decoded) that opens its data. */
function rowElement(row: EventRow, index: number): HTMLElement {
  const fields = rowFields(row);
  const decoded = row.decoded.map(describeEvent);
  return h(
    "div",
    {
      class: `insp-row${row.event === "" ? " is-comment" : ""}`,
      role: "listitem",
      "data-testid": "inspector-event",
      "data-event": row.event,
      "data-t-ms": String(row.at_ms),
      "data-index": String(index),
    },
    h(
      "button",
      { type: "button", class: "insp-row-head", "aria-expanded": "false" },
      h(
        "span",
        { class: "insp-line" },
        h("span", { class: "insp-time" }, formatAt(row.at_ms)),
        h("span", { class: "insp-event" }, eventLabel(row)),
        h("span", { class: "insp-size muted" }, formatBytes(row.bytes)),
      ),
      // What changes from chunk to chunk first; the id and model, the same on every chunk, below.
      fieldLine(fields.filter(([label]) => !IDENTITY.includes(label))),
      fieldLine(fields.filter(([label]) => IDENTITY.includes(label))),
      // The data exactly as it came, on one line (it opens pretty-printed).
      h("span", { class: "insp-raw", "data-testid": "inspector-data" }, row.data),
      decoded.length ? h("span", { class: "insp-decoded" }, decoded.map((d) => h("span", { class: "insp-decoded-event" }, `→ ${d}`))) : null,
    ),
  );
}
