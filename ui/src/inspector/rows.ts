/**
 * The inspector's rows as pure functions: what a row shows of its data (the fields the OpenAI and
 * Anthropic streaming guides print), its decoded events in words, the filter, "Copy as JSON
 * Lines", and a summary worked out from rows while an answer still streams (Rust's summary
 * replaces it when the answer ends).
 */
import type { EventRow, StreamEvent, StreamSummary } from "../types";

/** The event name of a comment line's row (`: ping`): no real event has it (docs/IPC.md). */
export const COMMENT = "";

/** A row's label for its event name: `comment` for a comment line. */
export function eventLabel(row: Pick<EventRow, "event">): string {
  return row.event === COMMENT ? ": comment" : row.event;
}

/** One field a row shows beside its event name, e.g. ["content", '"Hello"']. */
export type Field = [label: string, value: string];

type Json = Record<string, unknown>;

function parse(data: string): Json | null {
  const first = data.trimStart()[0];
  if (first !== "{") return null;
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null;
  }
}

function obj(value: unknown): Json | null {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : null;
}

/** A value shown exactly: strings quoted (so `""` and a missing one look different), JSON otherwise. */
function exact(value: unknown): string {
  return value === undefined ? "(absent)" : JSON.stringify(value);
}

/**
 * The fields the streaming guides print for this row: an OpenAI chunk's `id`, `model`, its
 * delta's `content` exactly (`""`, `null` and absent all differ) and `finish_reason`; an
 * Anthropic event's type-specific parts (its delta's text or JSON, a block's type, the stop
 * reason, usage, an error). Empty for anything else (`[DONE]`, a comment, a ping's `{}`).
 */
export function rowFields(row: EventRow): Field[] {
  if (row.event === COMMENT) return [];
  const json = parse(row.data);
  if (!json) return [];
  if (Array.isArray(json.choices) || json.object === "chat.completion.chunk") return openaiFields(json);
  if (typeof json.type === "string") return anthropicFields(json);
  const error = obj(json.error);
  return error ? [["error", `${String(error.type ?? error.code ?? "")} ${String(error.message ?? "")}`.trim()]] : [];
}

function openaiFields(json: Json): Field[] {
  const fields: Field[] = [];
  if (json.id !== undefined) fields.push(["id", String(json.id)]);
  if (json.model !== undefined) fields.push(["model", String(json.model)]);
  const choices = Array.isArray(json.choices) ? json.choices : [];
  const choice = obj(choices[0]);
  if (choice) {
    const delta = obj(choice.delta) ?? {};
    if (typeof delta.role === "string") fields.push(["role", delta.role]);
    fields.push(["content", exact(delta.content)]);
    if (delta.reasoning_content !== undefined) fields.push(["reasoning", exact(delta.reasoning_content)]);
    if (delta.refusal !== undefined && delta.refusal !== null) fields.push(["refusal", exact(delta.refusal)]);
    if (Array.isArray(delta.tool_calls)) fields.push(["tool_calls", JSON.stringify(delta.tool_calls)]);
    fields.push(["finish_reason", exact(choice.finish_reason)]);
  } else if (choices.length === 0 && "choices" in json) {
    fields.push(["choices", "[]"]);
  }
  const usage = obj(json.usage);
  if (usage) fields.push(["usage", `${String(usage.prompt_tokens ?? "?")} in · ${String(usage.completion_tokens ?? "?")} out`]);
  return fields;
}

function anthropicFields(json: Json): Field[] {
  const fields: Field[] = [["type", String(json.type)]];
  const message = obj(json.message);
  if (message) {
    if (message.id !== undefined) fields.push(["id", String(message.id)]);
    if (message.model !== undefined) fields.push(["model", String(message.model)]);
  }
  if (typeof json.index === "number") fields.push(["index", String(json.index)]);
  const block = obj(json.content_block);
  if (block) fields.push(["block", String(block.type)]);
  const delta = obj(json.delta);
  if (delta) {
    if (typeof delta.type === "string") fields.push(["delta", delta.type]);
    for (const key of ["text", "partial_json", "thinking", "signature"]) {
      if (key in delta) fields.push([key, exact(delta[key])]);
    }
    if ("stop_reason" in delta) fields.push(["stop_reason", exact(delta.stop_reason)]);
  }
  const usage = obj(json.usage) ?? obj(message?.usage);
  if (usage) fields.push(["usage", `${String(usage.input_tokens ?? "–")} in · ${String(usage.output_tokens ?? "–")} out`]);
  const error = obj(json.error);
  if (error) fields.push(["error", `${String(error.type ?? "")}: ${String(error.message ?? "")}`]);
  return fields;
}

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

const isContent = (e: StreamEvent): boolean =>
  e.type === "tool_call" || ((e.type === "text" || e.type === "thinking" || e.type === "refusal") && e.text !== "");

/**
 * A summary worked out from rows alone, for an answer still streaming: bytes are the events'
 * data, duration runs to the last event, and tokens are the provider's usage when it reported
 * one, else the content deltas counted.
 */
export function summarizeRows(rows: EventRow[], protocol: string, model: string | null): StreamSummary {
  let ttft: number | null = null;
  let finish: string | null = null;
  let input: number | null = null;
  let output: number | null = null;
  let deltas = 0;
  let bytes = 0;
  for (const row of rows) {
    bytes += row.bytes;
    for (const e of row.decoded) {
      if (isContent(e)) {
        deltas++;
        if (ttft === null) ttft = row.at_ms;
      } else if (e.type === "usage") {
        input = e.input_tokens ?? input;
        output = e.output_tokens ?? output;
      } else if (e.type === "finish") {
        finish = e.reason;
      }
    }
  }
  const last = rows.length ? rows[rows.length - 1].at_ms : null;
  const tokens = output ?? (deltas || null);
  const rate = ttft !== null && last !== null && tokens !== null && last > ttft ? (tokens * 1000) / (last - ttft) : null;
  return {
    protocol,
    model,
    status: null,
    events: rows.length,
    bytes,
    duration_ms: last,
    ttfb_ms: rows.length ? rows[0].at_ms : null,
    ttft_ms: ttft,
    tokens_per_sec: rate,
    finish_reason: finish,
    input_tokens: input,
    output_tokens: output,
    truncated: false,
  };
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
export function summaryItems(s: StreamSummary): Field[] {
  const items: Field[] = [
    ["Events", String(s.events)],
    ["Bytes", formatBytes(s.bytes)],
    ["Duration", ms(s.duration_ms)],
    ["TTFB", ms(s.ttfb_ms)],
    ["TTFT", ms(s.ttft_ms)],
    ["Tokens/s", s.tokens_per_sec === null || !Number.isFinite(s.tokens_per_sec) ? "–" : s.tokens_per_sec.toFixed(1)],
    ["Finish", s.finish_reason ? s.finish_reason.replace(/_/g, " ") : "–"],
    ["Usage", s.input_tokens === null && s.output_tokens === null ? "–" : `${s.input_tokens ?? "–"} in · ${s.output_tokens ?? "–"} out`],
  ];
  if (s.status !== null && s.status !== 200) items.push(["Status", String(s.status)]);
  if (s.truncated) items.push(["Recorded", "first 64 MiB only"]);
  return items;
}

/** The arrival time a row shows: "123.4 ms". */
export function formatAt(at_ms: number): string {
  return `${at_ms.toFixed(1)} ms`;
}

/** Whether a row carries answer content (text, thinking, refusal or a tool call). */
export function hasContent(row: EventRow): boolean {
  return row.decoded.some(isContent);
}

/** How many content deltas a row carries (tokens, near enough, for the chart). */
export function contentCount(row: EventRow): number {
  return row.decoded.filter(isContent).length;
}
