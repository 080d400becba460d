import { describe, expect, it, vi } from "vitest";
import { manualFrames } from "../testing";
import type { EventRow, StreamEvents } from "../types";
import { InspectorView, ROWS_PER_CHUNK, ROWS_PER_FRAME } from "./inspector";

const row = (at_ms: number, event = "message", data = "{}"): EventRow => ({ at_ms, event, bytes: data.length, data, decoded: [] });

function view() {
  const frames = manualFrames();
  const hooks = { onClose: vi.fn(), onExport: vi.fn(async () => "/home/u/Downloads/Hi.sse"), onCopy: vi.fn(async () => true), onOpenFile: vi.fn() };
  const inspector = new InspectorView(hooks, { schedule: frames.schedule });
  document.body.replaceChildren(inspector.el);
  return { inspector, hooks, frame: frames.frame };
}

const shownRows = () => Array.from(document.querySelectorAll<HTMLElement>("[data-testid=inspector-event]"));
const $ = (id: string) => document.querySelector(`[data-testid=${id}]`) as HTMLElement;

describe("the inspector panel", () => {
  it("shows a recorded stream's rows with their hooks, summary and chart", () => {
    const { inspector } = view();
    inspector.open("Stream inspector", "gpt", true);
    const events: StreamEvents = {
      rows: [row(10.25, "message", '{"a":1}'), row(20, ""), row(30, "message", "[DONE]")],
      summary: { protocol: "openai", model: "gpt", status: 200, events: 3, bytes: 40, duration_ms: 31, ttfb_ms: 9, ttft_ms: null, tokens_per_sec: null, finish_reason: "stop", input_tokens: 1, output_tokens: 2, truncated: false },
    };
    inspector.setEvents(events);
    expect(shownRows().map((r) => [r.dataset.event, r.dataset.tMs])).toEqual([["message", "10.25"], ["", "20"], ["message", "30"]]);
    expect($("inspector-summary").textContent).toContain("Events3");
    expect($("inspector-summary").textContent).toContain("Usage1 in · 2 out");
    expect($("inspector-chart")).not.toBeNull();
    expect(($("inspector-export") as HTMLButtonElement).disabled).toBe(false);
  });

  it("opens a row to its pretty-printed data", () => {
    const { inspector } = view();
    inspector.open("t", "", false);
    inspector.startLive("openai", null);
    inspector.appendRows([row(1, "message", '{"a":[1,2]}')]);
    inspector.setEvents({ rows: [row(1, "message", '{"a":[1,2]}')], summary: { protocol: "openai", model: null, status: 200, events: 1, bytes: 11, duration_ms: 1, ttfb_ms: 1, ttft_ms: null, tokens_per_sec: null, finish_reason: null, input_tokens: null, output_tokens: null, truncated: false } });
    const head = shownRows()[0].querySelector("button")!;
    head.click();
    expect(head.getAttribute("aria-expanded")).toBe("true");
    expect(shownRows()[0].querySelector("pre")!.textContent).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    head.click();
    expect(shownRows()[0].querySelector("pre")).toBeNull();
  });

  it("appends live rows in batches per frame, in order, and keeps a live summary", () => {
    const { inspector, frame } = view();
    inspector.open("t", "", false);
    inspector.startLive("openai", null);
    const rows = Array.from({ length: ROWS_PER_FRAME + 10 }, (_, i) => row(i));
    inspector.appendRows(rows.slice(0, 5));
    inspector.appendRows(rows.slice(5));
    expect(shownRows()).toHaveLength(0);
    frame();
    expect(shownRows()).toHaveLength(ROWS_PER_FRAME);
    frame();
    expect(shownRows().map((r) => Number(r.dataset.tMs))).toEqual(rows.map((r) => r.at_ms));
    expect($("inspector-summary").textContent).toContain(`Events${rows.length}`);
    expect(inspector.rows).toHaveLength(rows.length);
    const chunks = Array.from(document.querySelectorAll(".insp-chunk"));
    expect(chunks.map((c) => c.childElementCount)).toEqual([ROWS_PER_CHUNK, ROWS_PER_CHUNK, rows.length - 2 * ROWS_PER_CHUNK]);
  });

  it("filters rows by name or text, new ones too, and copies what passes as JSON Lines", async () => {
    const { inspector, hooks, frame } = view();
    inspector.open("t", "", false);
    inspector.startLive("anthropic", null);
    inspector.appendRows([row(1, "ping"), row(2, "content_block_delta", '{"text":"hi"}')]);
    frame();
    const filter = $("inspector-filter") as HTMLInputElement;
    filter.value = "ping";
    filter.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    inspector.appendRows([row(3, "ping"), row(4, "message_stop")]);
    frame();
    expect(shownRows().filter((r) => !r.hidden).map((r) => r.dataset.tMs)).toEqual(["1", "3"]);
    $("inspector-copy").click();
    await Promise.resolve();
    expect(hooks.onCopy).toHaveBeenCalledWith(`${JSON.stringify(row(1, "ping"))}\n${JSON.stringify(row(3, "ping"))}\n`);
  });

  it("exports and shows the saved path; Esc closes", async () => {
    const { inspector, hooks } = view();
    inspector.open("t", "", true);
    $("inspector-export").click();
    await new Promise((r) => setTimeout(r, 0));
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

  it("shows each row's data exactly as it came", () => {
    const { inspector } = view();
    inspector.open("t", "", false);
    inspector.startLive("openai", null);
    inspector.appendRows([row(1, "message", '{"choices":[{"delta":{"content":""}}]}'), row(2, "", " ping")]);
    inspector.setEvents({ rows: inspector.rows, summary: { protocol: "openai", model: null, status: 200, events: 2, bytes: 0, duration_ms: 2, ttfb_ms: 1, ttft_ms: null, tokens_per_sec: null, finish_reason: null, input_tokens: null, output_tokens: null, truncated: false } });
    expect(shownRows().map((r) => r.querySelector("[data-testid=inspector-data]")!.textContent)).toEqual(['{"choices":[{"delta":{"content":""}}]}', " ping"]);
    expect(shownRows()[0].querySelector("[data-field=content]")!.textContent).toBe('""');
    expect(shownRows()[1].querySelector(".insp-event")!.textContent).toBe(": comment");
  });

  it("keeps the live rows when the saved recording replaces them, rebuilding only those that differ", () => {
    const { inspector, frame } = view();
    inspector.open("t", "", false);
    inspector.startLive("openai", null);
    const live = [row(1), row(2), row(3, "message", "[DONE]")];
    inspector.appendRows(live);
    frame();
    const before = shownRows();
    const saved = [...live.slice(0, 2), { ...live[2], decoded: [{ type: "finish" as const, reason: "stop" as const, raw_reason: null }] }];
    inspector.setEvents({ rows: saved, summary: { protocol: "openai", model: null, status: 200, events: 3, bytes: 9, duration_ms: 3, ttfb_ms: 1, ttft_ms: null, tokens_per_sec: null, finish_reason: "stop", input_tokens: null, output_tokens: null, truncated: false } });
    const after = shownRows();
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(after[0]).toBe(before[0]);
    expect(after[2]).not.toBe(before[2]);
    expect(after[2].textContent).toContain("→ finish stop");
    expect($("inspector-summary").textContent).toContain("Finishstop");
  });

  it("says why there is nothing to show", () => {
    const { inspector } = view();
    inspector.open("t", "", true);
    inspector.showError("answer 3 has no recorded stream");
    expect($("inspector-status").textContent).toBe("answer 3 has no recorded stream");
    expect($("inspector-status").classList.contains("is-error")).toBe(true);
  });
});
