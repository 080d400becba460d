/**
 * The inspector's rows as pure functions of what Rust sends: a row's event label, its decoded
 * events in words, the filter, "Copy as JSON Lines", and the summary's labelled values. What a row
 * shows of its data (the fields the streaming guides print) and every number come ready from
 * Rust: the page formats them and knows no protocol.
 */
import type { EventRow, StreamEvent, StreamSummary } from "../types";

/** The event name of a comment line's row (`: ping`): no real event has it (docs/IPC.md). */
export const COMMENT = "";

/** A row's label for its event name: `comment` for a comment line. */
export function eventLabel(row: Pick<EventRow, "event">): string {
  return row.event === COMMENT ? ": comment" : row.event;
}

/** One labelled value of the summary, e.g. ["TTFT", "300 ms"]. */
export type Item = [label: string, value: string];

/** One decoded event in words, as the row shows it beside the data. */
export function describeEvent(event: StreamEvent): string {
  switch (event.type) {
    case "start":
      return `start${event.id ? ` id=${event.id}` : ""}${event.model ? ` model=${event.model}` : ""}`;
    case "text":
    case "thinking":
    case "refusal":
      return `${event.type} ${JSON.stringify(event.text)}`;
    case "tool_call":
      return `tool_call #${event.index}${event.name ? ` ${event.name}` : ""} ${JSON.stringify(event.arguments)}`;
    case "usage":
      return `usage ${event.input_tokens ?? "–"} in · ${event.output_tokens ?? "–"} out`;
    case "finish":
      return `finish ${event.reason}${event.raw_reason ? ` (${event.raw_reason})` : ""}`;
    case "error":
      return `error ${event.kind}: ${event.message}`;
    case "stopped":
      return "stopped";
    case "raw":
      return `raw ${event.event}`;
  }
}

/** The data pretty-printed when it is JSON, else as it came. */
export function prettyData(data: string): string {
  const json = data.trimStart().startsWith("{") || data.trimStart().startsWith("[") ? tryParse(data) : undefined;
  return json === undefined ? data : JSON.stringify(json, null, 2);
}

function tryParse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Whether `row` passes the filter: every word of `query` (case-insensitive) is in its event name
 * (`comment` for a comment line) or its data. An empty query passes everything.
 */
export function rowMatches(row: EventRow, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const name = (row.event === COMMENT ? "comment" : row.event).toLowerCase();
  const data = row.data.toLowerCase();
  return words.every((word) => name.includes(word) || data.includes(word));
}

/** The rows as JSON Lines: one object per row (`at_ms`, `event`, `bytes`, `data`, `decoded`). */
export function toJsonLines(rows: EventRow[]): string {
  return rows.map((r) => JSON.stringify({ at_ms: r.at_ms, event: r.event, bytes: r.bytes, data: r.data, decoded: r.decoded })).join("\n") + (rows.length ? "\n" : "");
}

function ms(value: number | null): string {
  if (value === null) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

/** Bytes in words: "812 B", "4.1 KB", "2.30 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** The summary as labelled values, in the order the panel shows them. */
export function summaryItems(s: StreamSummary): Item[] {
  const n = s.stats;
  const items: Item[] = [
    ["Events", String(s.events)],
    ["Bytes", formatBytes(s.bytes)],
    ["Duration", ms(n.duration_ms)],
    ["TTFB", ms(s.ttfb_ms)],
    ["TTFT", ms(n.ttft_ms)],
    ["Tokens/s", n.tokens_per_sec === null || !Number.isFinite(n.tokens_per_sec) ? "–" : n.tokens_per_sec.toFixed(1)],
    ["Finish", n.finish_reason ? n.finish_reason.replace(/_/g, " ") : "–"],
    ["Usage", n.input_tokens === null && n.output_tokens === null ? "–" : `${n.input_tokens ?? "–"} in · ${n.output_tokens ?? "–"} out`],
  ];
  if (s.status !== null && s.status !== 200) items.push(["Status", String(s.status)]);
  if (s.truncated) items.push(["Recorded", "first 64 MiB only"]);
  return items;
}

/** The arrival time a row shows: "123.4 ms". */
export function formatAt(at_ms: number): string {
  return `${at_ms.toFixed(1)} ms`;
}
