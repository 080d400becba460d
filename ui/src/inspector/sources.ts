/**
 * Where the inspector's list gets its rows. A finished stream's rows (an answer's recording, an
 * `.sse` file) stay in Rust, which keeps at most `Limits::inspector_rows` of them: `PagedRows`
 * fetches them a page at a time as the list scrolls to them, and keeps at most `KEPT_PAGES`
 * pages. A live answer's rows arrive in batches and are all held here (`LiveRowSet`; Rust sends
 * at most the bound's), with the summary and timeline of the last batch. Both filter by the same rule: Rust over a finished stream's rows, the page
 * over a live one's (`rowMatches`), each over every row kept.
 */
import type { EventRow, LiveRows, StreamEvents, StreamSummary, Timeline } from "../types";
import { rowMatches } from "./rows";

/** Rows the list fetches at once. */
export const PAGE_ROWS = 100;
/** Pages kept: those farthest from the rows in view go first. */
export const KEPT_PAGES = 20;
/** The most rows one window holds (Rust's `row_windows::WINDOW_ROWS`). */
export const WINDOW_ROWS = 2_000;

/** Asks Rust for `count` rows from `start` among those passing `filter`. */
export type FetchWindow = (start: number, count: number, filter: string) => Promise<StreamEvents>;

/** The rows the list shows, by position among those passing the filter. */
export interface RowSource {
  /** Rows passing the filter. */
  readonly total: number;
  /** Rows kept, filtered or not. */
  readonly kept: number;
  /** Events past the bound: counted, no row built. */
  readonly more: number;
  /** The row at `index`, when it is at hand. */
  row(index: number): EventRow | undefined;
  /** The rows [first, last) are in view: fetches those not at hand. */
  want(first: number, last: number): void;
  /** Shows only the rows passing `query` from now on. */
  filter(query: string): void;
  /** The first `limit` rows passing the filter. */
  collect(limit: number): Promise<EventRow[]>;
}

/** A finished stream's rows, a page at a time from Rust. */
export class PagedRows implements RowSource {
  total: number;
  more: number;
  readonly kept: number;
  private query = "";
  private readonly pages = new Map<number, EventRow[]>();
  private readonly loading = new Set<number>();
  /** Bumped by a new filter: pages fetched for an older one are dropped. */
  private generation = 0;
  /** The first page in view: the pages farthest from it go first. */
  private focus = 0;

  /**
   * The stream whose first window (from row 0, unfiltered) is `first`; `fetch` asks for more,
   * `onChange` hears that rows arrived, `onError` that a fetch failed.
   */
  constructor(
    first: StreamEvents,
    private readonly fetch: FetchWindow,
    private readonly onChange: () => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.total = first.total;
    this.kept = first.total;
    this.more = first.more;
    for (let at = 0; at < first.rows.length; at += PAGE_ROWS) {
      const page = first.rows.slice(at, at + PAGE_ROWS);
      if (page.length === PAGE_ROWS || at + page.length === first.total) this.pages.set(at / PAGE_ROWS, page);
    }
  }

  row(index: number): EventRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_ROWS))?.[index % PAGE_ROWS];
  }

  want(first: number, last: number): void {
    this.focus = Math.floor(first / PAGE_ROWS);
    for (let page = this.focus; page * PAGE_ROWS < Math.min(last, this.total); page++) {
      if (!this.pages.has(page) && !this.loading.has(page)) this.load(page);
    }
  }

  filter(query: string): void {
    if (query === this.query) return;
    this.query = query;
    this.generation++;
    this.pages.clear();
    this.loading.clear();
    this.load(0);
  }

  async collect(limit: number): Promise<EventRow[]> {
    const rows: EventRow[] = [];
    const wanted = Math.min(limit, this.total);
    while (rows.length < wanted) {
      const window = await this.fetch(rows.length, Math.min(WINDOW_ROWS, wanted - rows.length), this.query);
      if (!window.rows.length) break;
      rows.push(...window.rows);
    }
    return rows;
  }

  private load(page: number): void {
    const generation = this.generation;
    this.loading.add(page);
    this.fetch(page * PAGE_ROWS, PAGE_ROWS, this.query).then(
      (window) => {
        if (generation !== this.generation) return;
        this.loading.delete(page);
        this.total = window.total;
        this.more = window.more;
        this.pages.set(page, window.rows);
        this.evict();
        this.onChange();
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.loading.delete(page);
        this.onError(error);
      },
    );
  }

  private evict(): void {
    while (this.pages.size > KEPT_PAGES) {
      const distance = (page: number) => Math.abs(page - this.focus);
      const farthest = [...this.pages.keys()].reduce((far, page) => (distance(page) > distance(far) ? page : far));
      this.pages.delete(farthest);
    }
  }
}

/** A live answer's rows, as they arrive. */
export class LiveRowSet implements RowSource {
  /** Every row received, in order. */
  readonly rows: EventRow[] = [];
  more = 0;
  /** The stream's summary and timeline as of the last batch; null before the first. */
  summary: StreamSummary | null = null;
  timeline: Timeline | null = null;
  private query = "";
  /** The positions of the rows passing the filter; null without one. */
  private matched: number[] | null = null;

  get total(): number {
    return this.matched ? this.matched.length : this.rows.length;
  }

  get kept(): number {
    return this.rows.length;
  }

  /** Takes the next batch. */
  append(batch: LiveRows): void {
    for (const row of batch.rows) {
      if (this.matched && rowMatches(row, this.query)) this.matched.push(this.rows.length);
      this.rows.push(row);
    }
    this.more = batch.more;
    this.summary = batch.summary;
    this.timeline = batch.timeline;
  }

  row(index: number): EventRow | undefined {
    return this.matched ? this.rows[this.matched[index]] : this.rows[index];
  }

  want(): void {}

  filter(query: string): void {
    this.query = query;
    this.matched = query.trim() ? this.rows.flatMap((row, index) => (rowMatches(row, query) ? [index] : [])) : null;
  }

  collect(limit: number): Promise<EventRow[]> {
    const count = Math.min(limit, this.total);
    return Promise.resolve(Array.from({ length: count }, (_, index) => this.row(index)!));
  }
}
