import { describe, expect, it, vi } from "vitest";
import { PAGE_ROWS, WINDOW_ROWS } from "../inspector/sources";
import { flush, liveRows, manualFrames, stats, streamSummary } from "../testing";
import type { EventRow, StreamEvents, StreamSummary } from "../types";
import { COPY_ROWS, InspectorView, ROW_HEIGHT } from "./inspector";

const row = (at_ms: number, event = "message", data = "{}"): EventRow => ({ at_ms, event, bytes: data.length, data, fields: [], decoded: [] });

/** Windows of `rows` (kept in "Rust", with `more` past the bound), as `stream_events` cuts them. */
function recorded(rows: EventRow[], more = 0, fields: Partial<StreamSummary> = {}) {
  const window = (start: number, count: number, filter: string): StreamEvents => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const passing = rows.filter((r) => words.every((w) => (r.event === "" ? "comment" : r.event).includes(w) || r.data.toLowerCase().includes(w)));
    return {
      start,
      rows: passing.slice(start, start + Math.min(count, WINDOW_ROWS)),
      total: passing.length,
      more,
      summary: streamSummary({ events: rows.length + more, ...fields }),
      timeline: { span_ms: 30, events: [1, 1], comments: [1, 0], content: [0, 0], longest_gap_ms: 10 },
    };
  };
  const fetch = vi.fn(async (start: number, count: number, filter: string) => window(start, count, filter));
  return { first: window(0, PAGE_ROWS, ""), fetch };
}

/** A panel whose rows box is 330 px tall: five rows in view, eight drawn beyond on each side. */
function view() {
  const frames = manualFrames();
  const hooks = { onClose: vi.fn(), onExport: vi.fn(async () => "/home/u/Downloads/Hi.sse"), onCopy: vi.fn(async (_text: string) => true), onOpenFile: vi.fn() };
  const inspector = new InspectorView(hooks, { schedule: frames.schedule });
  document.body.replaceChildren(inspector.el);
  Object.defineProperty($("inspector-rows"), "clientHeight", { value: 5 * ROW_HEIGHT, configurable: true });
  return { inspector, hooks, frame: frames.frame };
}

const shownRows = () => Array.from(document.querySelectorAll<HTMLElement>("[data-testid=inspector-event]"));
const $ = (id: string) => document.querySelector(`[data-testid=${id}]`) as HTMLElement;
const indexOf = (el: HTMLElement) => Number(el.closest<HTMLElement>(".vlist-row")!.dataset.index);
const scrollTo = (index: number) => {
  const box = $("inspector-rows");
  box.scrollTop = index * ROW_HEIGHT;
  box.dispatchEvent(new Event("scroll"));
};

describe("the inspector panel", () => {
  it("shows a recorded stream's rows with their hooks, summary and chart", () => {
    const { inspector } = view();
    inspector.open("Stream inspector", "gpt", true);
    const numbers = stats({ finish_reason: "stop", input_tokens: 1, output_tokens: 2, ttft_ms: 12.4, tokens_per_sec: 96.44, duration_ms: 1234 });
    const { first, fetch } = recorded([row(10.25, "message", '{"a":1}'), row(20, ""), row(30, "message", "[DONE]")], 0, { bytes: 4_100, ttfb_ms: 10.25, stats: numbers });
    inspector.showStream(first, fetch);
    expect(shownRows().map((r) => [r.dataset.event, r.dataset.tMs])).toEqual([["message", "10.25"], ["", "20"], ["message", "30"]]);
    // Rust's numbers, formatted.
    const shown = Object.fromEntries([...$("inspector-summary").querySelectorAll("dd")].map((dd) => [dd.dataset.label, dd.textContent]));
    expect(shown).toEqual({ Events: "3", Bytes: "4.1 KB", Duration: "1.23 s", TTFB: "10 ms", TTFT: "12 ms", "Tokens/s": "96.4", Finish: "stop", Usage: "1 in · 2 out" });
    expect($("inspector-chart")).not.toBeNull();
    expect($("inspector-more")).toBeNull();
    expect($("inspector-count").textContent).toBe("3 events");
    expect(($("inspector-export") as HTMLButtonElement).disabled).toBe(false);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("holds only the rows in view, fetches the window scrolled to, and ends with a row counting the events not shown", async () => {
    const { inspector, frame } = view();
    inspector.open("t", "", true);
    const kept = 100_000;
    const { first, fetch } = recorded(Array.from({ length: kept }, (_, n) => row(n)), 33_454_332);
    inspector.showStream(first, fetch);
    expect(shownRows().map((r) => indexOf(r))).toEqual(Array.from({ length: 13 }, (_, n) => n));
    expect($("inspector-count").textContent).toBe("33,554,332 events");
    expect($("inspector-rows").dataset.total).toBe(String(kept));

    scrollTo(50_000);
    frame();
    expect(fetch.mock.calls).toEqual([[49_900, PAGE_ROWS, ""], [50_000, PAGE_ROWS, ""]]);
    expect(document.querySelectorAll(".insp-row.is-loading")).toHaveLength(21);
    await flush();
    const shown = shownRows();
    expect(shown.map((r) => [indexOf(r), Number(r.dataset.tMs)])).toEqual(Array.from({ length: 21 }, (_, n) => [49_992 + n, 49_992 + n]));
    expect(document.querySelectorAll(".vlist-row")).toHaveLength(21);

    scrollTo(kept);
    frame();
    await flush();
    const more = $("inspector-more");
    expect(more.textContent).toContain("… 33,454,332 more events not shown");
    expect(indexOf(more)).toBe(kept);
    expect(Number(shownRows().at(-1)!.dataset.tMs)).toBe(kept - 1);
  });

  it("opens a row's detail below the list, its data pretty-printed, and closes it", () => {
    const { inspector } = view();
    inspector.open("t", "", false);
    const { first, fetch } = recorded([row(1, "message", '{"a":[1,2]}')]);
    inspector.showStream(first, fetch);
    const head = shownRows()[0].querySelector("button")!;
    head.click();
    expect(shownRows()[0].querySelector("button")!.getAttribute("aria-expanded")).toBe("true");
    expect($("inspector-detail").hidden).toBe(false);
    expect($("inspector-detail").querySelector("pre")!.textContent).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    shownRows()[0].querySelector("button")!.click();
    expect($("inspector-detail").hidden).toBe(true);
    expect(shownRows()[0].querySelector("button")!.getAttribute("aria-expanded")).toBe("false");
  });

  it("takes live batches at once and draws them at the next frame, with a live summary and the count past the bound", () => {
    const { inspector, frame } = view();
    inspector.open("t", "", false);
    inspector.startLive();
    const rows = Array.from({ length: 1_500 }, (_, i) => row(i));
    inspector.appendRows(liveRows(rows.slice(0, 1_000), 0, { events: 1_000 }));
    inspector.appendRows(liveRows(rows.slice(1_000), 0, { events: 1_500, stats: stats({ ttft_ms: 300 }) }));
    expect(shownRows()).toHaveLength(0);
    frame();
    expect(shownRows().map((r) => Number(r.dataset.tMs))).toEqual(Array.from({ length: 13 }, (_, n) => n));
    expect($("inspector-summary").textContent).toContain(`Events${rows.length}`);
    expect($("inspector-summary").textContent).toContain("TTFT300 ms");
    expect($("inspector-count").textContent).toBe("1,500 events");
    inspector.appendRows(liveRows([], 40));
    frame();
    scrollTo(1_500);
    frame();
    expect($("inspector-more").textContent).toContain("… 40 more events not shown");
    inspector.appendRows(liveRows([], 41));
    frame();
    expect($("inspector-more").textContent).toContain("… 41 more events not shown");
    expect($("inspector-count").textContent).toBe("1,541 events");
  });

  it("filters a live answer's rows here, new ones too, and copies those that pass as JSON Lines", async () => {
    const { inspector, hooks, frame } = view();
    inspector.open("t", "", false);
    inspector.startLive();
    inspector.appendRows(liveRows([row(1, "ping"), row(2, "content_block_delta", '{"text":"hi"}')]));
    frame();
    const filter = $("inspector-filter") as HTMLInputElement;
    filter.value = "ping";
    filter.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    inspector.appendRows(liveRows([row(3, "ping"), row(4, "message_stop")]));
    frame();
    expect(shownRows().map((r) => r.dataset.tMs)).toEqual(["1", "3"]);
    expect($("inspector-count").textContent).toBe("2 of 4");
    $("inspector-copy").click();
    await flush();
    const line = ({ fields: _, ...copied }: EventRow) => JSON.stringify(copied);
    expect(hooks.onCopy).toHaveBeenCalledWith(`${line(row(1, "ping"))}\n${line(row(3, "ping"))}\n`);
    expect($("inspector-status").textContent).toBe("Copied 2 events as JSON Lines.");
  });

  it("filters a finished stream in Rust, windows of what passes, and copies at most COPY_ROWS of them", async () => {
    const { inspector, hooks } = view();
    inspector.open("t", "", true);
    const rows = Array.from({ length: 30_000 }, (_, n) => row(n, n % 2 ? "message" : "ping"));
    const { first, fetch } = recorded(rows);
    inspector.showStream(first, fetch);
    const filter = $("inspector-filter") as HTMLInputElement;
    filter.value = "ping";
    filter.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(fetch).toHaveBeenLastCalledWith(0, PAGE_ROWS, "ping");
    await flush();
    expect(shownRows().every((r) => r.dataset.event === "ping")).toBe(true);
    expect($("inspector-count").textContent).toBe("15,000 of 30,000");
    $("inspector-copy").click();
    for (let i = 0; i < 8; i++) await flush();
    const copied = hooks.onCopy.mock.calls[0][0].trimEnd().split("\n");
    expect(copied).toHaveLength(COPY_ROWS);
    expect(fetch).toHaveBeenLastCalledWith(8_000, WINDOW_ROWS, "ping");
    expect($("inspector-status").textContent).toBe("Copied 10,000 events as JSON Lines (the first 10,000 of 15,000).");
  });

  it("keeps the live rows' place when the saved recording replaces them", async () => {
    const { inspector, frame } = view();
    inspector.open("t", "", false);
    inspector.startLive();
    const live = Array.from({ length: 300 }, (_, n) => row(n));
    inspector.appendRows(liveRows(live));
    frame();
    scrollTo(200);
    frame();
    const saved = [...live.slice(0, 299), { ...live[299], decoded: [{ type: "finish" as const, reason: "stop" as const, raw_reason: null }] }];
    const { first, fetch } = recorded(saved, 0, { stats: stats({ finish_reason: "stop" }) });
    inspector.showStream(first, fetch);
    await flush();
    expect(shownRows().map((r) => indexOf(r))).toEqual(Array.from({ length: 21 }, (_, n) => 192 + n));
    scrollTo(299);
    frame();
    await flush();
    expect(shownRows().at(-1)!.textContent).toContain("→ finish stop");
    expect($("inspector-summary").textContent).toContain("Finishstop");
  });

  it("shows each row's data exactly as it came, with the fields Rust sent beside it", () => {
    const { inspector, frame } = view();
    inspector.open("t", "", false);
    inspector.startLive();
    const chunk = { ...row(1, "message", '{"id":"c1","choices":[{"delta":{"content":""}}]}'), fields: [{ label: "id", value: "c1" }, { label: "content", value: '""' }] };
    inspector.appendRows(liveRows([chunk, row(2, "", " ping")]));
    frame();
    expect(shownRows().map((r) => r.querySelector("[data-testid=inspector-data]")!.textContent)).toEqual(['{"id":"c1","choices":[{"delta":{"content":""}}]}', " ping"]);
    expect(shownRows()[0].querySelector("[data-field=content]")!.textContent).toBe('""');
    expect(shownRows()[0].querySelector(".insp-identity [data-field=id]")!.textContent).toBe("c1");
    expect(shownRows()[1].querySelector(".insp-event")!.textContent).toBe(": comment");
  });

  it("exports and shows the saved path; Esc closes", async () => {
    const { inspector, hooks } = view();
    inspector.open("t", "", true);
    $("inspector-export").click();
    await flush();
    expect($("inspector-status").textContent).toBe("Saved to /home/u/Downloads/Hi.sse");
    $("inspector-filter").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(hooks.onClose).toHaveBeenCalled();
  });

  it("opens a typed path from its file field", () => {
    const { inspector, hooks } = view();
    inspector.open("Open an .sse file", "", false);
    inspector.showFileForm(true);
    const path = $("inspector-path") as HTMLInputElement;
    expect(document.activeElement).toBe(path);
    path.value = "  /tmp/a b.sse ";
    $("inspector-open").click();
    expect(hooks.onOpenFile).toHaveBeenCalledWith("/tmp/a b.sse");
  });

  it("says why there is nothing to show, or that a window could not be read", async () => {
    const { inspector, frame } = view();
    inspector.open("t", "", true);
    inspector.showError("answer 3 has no recorded stream");
    expect($("inspector-status").textContent).toBe("answer 3 has no recorded stream");
    expect($("inspector-status").classList.contains("is-error")).toBe(true);
    const { first } = recorded(Array.from({ length: 1_000 }, (_, n) => row(n)));
    inspector.showStream(first, async () => Promise.reject({ kind: "not_found", message: "answer 3 has no recorded stream" }));
    expect($("inspector-status").hidden).toBe(true);
    scrollTo(500);
    frame();
    await flush();
    expect($("inspector-status").textContent).toBe("answer 3 has no recorded stream");
  });
});
