import { describe, expect, it, vi } from "vitest";
import { flush, liveRows, streamSummary } from "../testing";
import type { EventRow, StreamEvents } from "../types";
import { KEPT_PAGES, LiveRowSet, PAGE_ROWS, PagedRows, WINDOW_ROWS } from "./sources";

const row = (n: number, event = "message"): EventRow => ({ at_ms: n, event, bytes: 1, data: `d${n}`, fields: [], decoded: [] });

/** A stream of `total` rows kept in "Rust", and `more` past the bound, that windows are cut from. */
function stream(total: number, more = 0) {
  const rows = Array.from({ length: total }, (_, n) => row(n, n % 10 ? "message" : ""));
  const window = (start: number, count: number, filter: string): StreamEvents => {
    const passing = filter ? rows.filter((r) => (r.event === "" ? "comment" : r.event).includes(filter)) : rows;
    return {
      start,
      rows: passing.slice(start, start + Math.min(count, WINDOW_ROWS)),
      total: passing.length,
      more,
      summary: streamSummary({ events: total + more }),
      timeline: { span_ms: 1, events: [], comments: [], content: [], longest_gap_ms: 0 },
    };
  };
  const pending: (() => void)[] = [];
  const fetch = vi.fn(
    (start: number, count: number, filter: string) =>
      new Promise<StreamEvents>((resolve) => pending.push(() => resolve(window(start, count, filter)))),
  );
  const answer = async () => {
    pending.splice(0).forEach((go) => go());
    await flush();
  };
  const onChange = vi.fn();
  const paged = new PagedRows(window(0, PAGE_ROWS, ""), fetch, onChange, vi.fn());
  return { paged, fetch, answer, onChange };
}

describe("a finished stream's rows, a page at a time", () => {
  it("fetches each page in view it lacks once, and keeps the pages nearest the view", async () => {
    const { paged, fetch, answer, onChange } = stream(100_000, 5);
    expect([paged.total, paged.kept, paged.more, paged.row(99)?.data]).toEqual([100_000, 100_000, 5, "d99"]);
    paged.want(0, 40);
    expect(fetch).not.toHaveBeenCalled();
    paged.want(50_090, 50_110);
    paged.want(50_090, 50_110);
    expect(fetch.mock.calls).toEqual([
      [50_000, PAGE_ROWS, ""],
      [50_100, PAGE_ROWS, ""],
    ]);
    expect(paged.row(50_095)).toBeUndefined();
    await answer();
    expect([paged.row(50_095)?.data, paged.row(50_105)?.data]).toEqual(["d50095", "d50105"]);
    expect(onChange).toHaveBeenCalledTimes(2);
    // Pages 0, 500 and 501 are kept; 18 more make one too many.
    for (let page = 600; page < 600 + KEPT_PAGES - 2; page++) paged.want(page * PAGE_ROWS, page * PAGE_ROWS + 1);
    await answer();
    expect(paged.row(60_000)?.data).toBe("d60000");
    expect(paged.row(0), "the page farthest from the view went").toBeUndefined();
    expect(paged.row(50_095)).toBeDefined();
  });

  it("filters in Rust: pages of the old filter are dropped, the total is the rows that pass", async () => {
    const { paged, fetch, answer } = stream(1_000);
    paged.want(300, 310);
    paged.filter("comment");
    expect(fetch).toHaveBeenLastCalledWith(0, PAGE_ROWS, "comment");
    await answer();
    expect([paged.total, paged.kept, paged.row(3)?.data]).toEqual([100, 1_000, "d30"]);
    expect(paged.row(300)).toBeUndefined();
    const copied = await Promise.all([paged.collect(2_500), answer()]);
    expect(copied[0].map((r) => r.data)).toEqual(Array.from({ length: 100 }, (_, n) => `d${n * 10}`));
  });

  it("collects rows for a copy in windows of at most WINDOW_ROWS, up to the limit", async () => {
    const { paged, fetch, answer } = stream(10_000);
    const copy = paged.collect(4_500);
    for (let i = 0; i < 3; i++) await answer();
    const rows = await copy;
    expect(rows.map((r) => r.at_ms)).toEqual(Array.from({ length: 4_500 }, (_, n) => n));
    expect(fetch.mock.calls).toEqual([
      [0, WINDOW_ROWS, ""],
      [2_000, WINDOW_ROWS, ""],
      [4_000, 500, ""],
    ]);
  });
});

describe("a live answer's rows", () => {
  it("holds every batch, filters them here, and keeps the count past the bound and the last summary", async () => {
    const live = new LiveRowSet();
    live.append(liveRows([row(0, ""), row(1), row(2, "ping")], 0, { events: 3 }));
    live.filter("comment");
    live.append(liveRows([row(3, "")], 7, { events: 11 }));
    expect([live.total, live.kept, live.more, live.row(1)?.at_ms]).toEqual([2, 4, 7, 3]);
    expect(live.summary?.events).toBe(11);
    expect((await live.collect(1)).map((r) => r.at_ms)).toEqual([0]);
    live.filter("");
    expect([live.total, live.row(2)?.event]).toEqual([4, "ping"]);
  });
});
