// Generated from the Rust types and commands by tests/bindings.rs (ts-rs). Do not edit: run scripts/gen-types.
import type { Channel } from "@tauri-apps/api/core";

/** One typed event of a chat stream, whatever the provider. */
export type StreamEvent = { "type": "start", id: string | null, model: string | null, } | { "type": "text", text: string, } | { "type": "thinking", text: string, } | { "type": "refusal", text: string, } | { "type": "tool_call", index: number, id: string | null, name: string | null, arguments: string, } | { "type": "usage" } & Usage | { "type": "finish", reason: FinishReason, raw_reason: string | null, } | { "type": "error" } & StreamError | { "type": "stopped" } | { "type": "raw" } & RawFrame;

/** Token counts for one answer. */
export type Usage = { input_tokens: number | null, output_tokens: number | null, cached_input_tokens?: number, reasoning_tokens?: number, generation_ns?: number, };

/** A model's price in US dollars per million tokens. */
export type Price = { input: number, output: number, cached_input?: number, reasoning?: number, };

/** Why an answer ended, in one vocabulary for every provider. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "other";

/** One SSE event as it came off the wire, with its arrival time. */
export type RawFrame = { at_ms: number, event: string, data: string, };

/** Why a stream (or a request beside one, such as listing models) failed. */
export type StreamError = { kind: ErrorKind, message: string, status: number | null, error_type: string | null, retry_after: number | null, timeout: TimeoutPhase | null, };

/** What kind of failure ended a stream. */
export type ErrorKind = "authentication" | "permission" | "not_found" | "rate_limited" | "overloaded" | "invalid_request" | "server" | "network" | "timeout" | "protocol" | "incomplete" | "too_large" | "config";

/** Which timeout expired. */
export type TimeoutPhase = "connect" | "first_byte" | "idle";

/** Who wrote a message. In the app's generated types it is a TypeScript `enum` (`Role.user`), so the page compares roles by name, never by a string of its own. */
export enum Role { "system" = "system", "user" = "user", "assistant" = "assistant" }

/** One message of a stream's channel: the core's event, numbered for acks. Its JSON is the event's own (the CLI's `--events` shape) with `seq` beside `type`, the answer's numbers so far in `stats`, and `saved` on the ending. */
export type StreamMessage = { seq: number, stats?: Stats, saved?: Saved, } & ({ "type": "start", id: string | null, model: string | null, } | { "type": "text", text: string, } | { "type": "thinking", text: string, } | { "type": "refusal", text: string, } | { "type": "tool_call", index: number, id: string | null, name: string | null, arguments: string, } | { "type": "usage" } & Usage | { "type": "finish", reason: FinishReason, raw_reason: string | null, } | { "type": "error" } & StreamError | { "type": "stopped" } | { "type": "raw" } & RawFrame);

/** What the page needs of an ended answer's save; its text is what the deltas carried. */
export type Saved = { id: number, state: MessageState, error: UiError | null, stats: Stats | null, };

/** An error as the page shows it: every command's error and every answer's error. */
export type UiError = { kind: string, message: string, status: number | null, error_type: string | null, retry_after: number | null, retryable: boolean, };

/** Where an assistant message stands, in the words of the core's [`Outcome`]. */
export type MessageState = "streaming" | "done" | "stopped" | "error";

/** A stream's numbers as the page shows them (under an answer, in the compare table and a live column, in the inspector's summary): the core's `Metrics`, which define them, and how the answer finished. */
export type Stats = { ttft_ms: number | null, tokens_per_sec: number | null, output_tokens: number | null, tokens_estimated: boolean, input_tokens: number | null, duration_ms: number, finish_reason: string | null, reasoning_tokens?: number, server_tokens_per_sec?: number, cost_usd?: number, };

/** One message of a conversation. */
export type MessageView = { id: number, conversation_id: number, role: Role, content: string, thinking: string, model: string | null, state: MessageState, error: UiError | null, stats: Stats | null, created_at: number, versions: Versions | null, };

/** The versions of an answer's turn (docs/VERSIONS.md): every answer to its user message and to that message's edits, in the order they were made. */
export type Versions = { index: number, answers: Array<number>, };

/** What a conversation of the history is: a chat, or a compare run (one prompt, one answer per model, each a column). */
export type ConversationKind = "chat" | "compare";

/** A conversation in the sidebar. */
export type ConversationSummary = { id: number, title: string, updated_at: number, last_model: string | null, kind: ConversationKind, };

/** A conversation with its messages. */
export type Conversation = { id: number, title: string, kind: ConversationKind, created_at: number, updated_at: number, messages: Array<MessageView>, };

/** What `send_message`, `regenerate` and `edit_message` return. */
export type Turn = { user: MessageView, assistant: MessageView, stream_id: number, deleted: Array<number>, };

/** Where a provider's key comes from (never the key). */
export type KeyState = "keychain" | "env" | "none" | "unavailable";

/** A wire protocol's id, as `add_custom_provider` takes it and `ProviderView::protocol` names it: one of the core's registry (`PROTOCOLS`), learned through `list_protocols` (the page writes none of its own), and checked by the core wherever one comes in. An open set, not a union of today's ids: a protocol is added in the core alone. */
export type ProtocolId = string;

/** A provider as the page shows it: a group of the model picker and a row of Settings. Never carries a key, only where one comes from. */
export type ProviderView = { id: string, name: string, protocol: ProtocolId, protocols: Array<ProtocolView>, base_url: string, custom: boolean, local: boolean, detectable: boolean, takes_key: boolean, key_required: boolean, key: KeyState, key_env: string | null, models: Array<string>, prices: Array<ModelPrice>, available: boolean, hint: string | null, };

/** A model's price as Settings shows it (US dollars per million tokens). */
export type ModelPrice = { model: string, price: Price | null, written: Price | null, set: boolean, as_of: string | null, };

/** A wire protocol a provider may speak, as the page offers it for a new endpoint: from the core's registry (`PROTOCOLS`). */
export type ProtocolView = { id: ProtocolId, name: string, };

/** Facts the page needs at start. */
export type AppInfo = { version: string, data_dir: string, first_run: boolean, has_key: boolean, default_model: string, gone_model: string | null, demo_provider: string, startup_problems: Array<StartupProblem>, };

/** A start-up problem as the page receives it (`AppInfo.startup_problems`, docs/IPC.md). */
export type StartupProblem = { kind: string, message: string, action: string, path: string, line: number | null, column: number | null, };

/** Settings the page reads. */
export type Settings = { last_model: string, recordings_keep_days: number, layout: Layout, };

/** The window's panels as they were left (`set_layout`; bounds in layout.rs, generated for the page as `PANEL_WIDTHS`). */
export type Layout = { sidebar_width: number | null, sidebar_open: boolean, inspector_width: number | null, };

/** A window of a recorded stream's inspector rows (`stream_events`, `open_stream_file`): the rows asked for, how many there are, and the stream's summary and timeline. */
export type StreamEvents = { start: number, rows: Array<EventRow>, total: number, more: number, summary: StreamSummary, timeline: Timeline, };

/** One row of an inspector: an event (SSE, or an NDJSON line), or a comment line. */
export type EventRow = { at_ms: number, event: string, bytes: number, data: string, fields: Array<Field>, decoded: Array<StreamEvent>, };

/** One labelled value an inspector shows of an event (`content` → `"Hello"`). */
export type Field = { label: string, value: string, };

/** What the inspector says of a stream above its rows: where it came from, its size, and its numbers (an answer's saved stats, else counted by the core from the recording). */
export type StreamSummary = { protocol: ProtocolId, model: string | null, status: number | null, events: number, bytes: number, ttfb_ms: number | null, truncated: boolean, stats: Stats, };

/** The inspector's chart of a stream: its rows counted per slice of time (every slice the same length, the last ending at the last row), so it is small whatever the number of rows. */
export type Timeline = { span_ms: number, events: Array<number>, comments: Array<number>, content: Array<number>, longest_gap_ms: number, };

/** A batch of a running answer's inspector rows (`inspect_stream`), with the stream's summary and timeline so far. */
export type LiveRows = { rows: Array<EventRow>, more: number, summary: StreamSummary, timeline: Timeline, };

/** What a conversation is exported as (`export_conversation`). */
export type ExportFormat = "markdown" | "json";

/** A conversation written to the downloads folder. */
export type ExportedFile = { path: string, id: number, };

/** The fewest and most models a compare run takes (compare.rs checks them). */
export const COMPARE_MODELS = { min: 2, max: 4 } as const;

/** The panels' widths in CSS pixels a splitter may set (layout.rs checks them). */
export const PANEL_WIDTHS = { sidebar: { min: 180, max: 480 }, inspector: { min: 280, max: 900 } } as const;

/** Every command of the page (src-tauri/src/command_list.rs): the arguments `invoke` takes, by their snake_case names, and what it resolves to; each rejects with a `UiError`. */
export type Commands = {
  app_info: { args: Record<string, never>, returns: AppInfo },
  get_settings: { args: Record<string, never>, returns: Settings },
  set_recordings_keep_days: { args: { days: number }, returns: Settings },
  set_layout: { args: { layout: Layout }, returns: Layout },
  model_catalog: { args: Record<string, never>, returns: ProviderView[] },
  refresh_models: { args: { provider: string }, returns: ProviderView },
  list_providers: { args: Record<string, never>, returns: ProviderView[] },
  list_protocols: { args: Record<string, never>, returns: ProtocolView[] },
  set_provider_protocol: { args: { provider: string, protocol: ProtocolId }, returns: ProviderView },
  set_model_price: { args: { provider: string, model: string, price: Price | null }, returns: ProviderView },
  set_api_key: { args: { provider: string, key: string }, returns: ProviderView },
  delete_api_key: { args: { provider: string }, returns: ProviderView },
  test_provider: { args: { provider: string }, returns: ProviderView },
  add_custom_provider: { args: { name: string, protocol: ProtocolId, base_url: string }, returns: ProviderView },
  remove_custom_provider: { args: { provider: string }, returns: null },
  detect_local_servers: { args: Record<string, never>, returns: ProviderView[] },
  list_conversations: { args: { query: string | null }, returns: ConversationSummary[] },
  create_conversation: { args: Record<string, never>, returns: ConversationSummary },
  get_conversation: { args: { id: number }, returns: Conversation },
  rename_conversation: { args: { id: number, title: string }, returns: ConversationSummary },
  delete_conversation: { args: { id: number }, returns: null },
  send_message: { args: { conversation_id: number, text: string, model: string, on_event: Channel<StreamMessage> }, returns: Turn },
  regenerate: { args: { conversation_id: number, model: string, on_event: Channel<StreamMessage> }, returns: Turn },
  edit_message: { args: { conversation_id: number, message_id: number, text: string, model: string, on_event: Channel<StreamMessage> }, returns: Turn },
  show_version: { args: { conversation_id: number, message_id: number }, returns: Conversation },
  create_compare: { args: { prompt: string, models: string[] }, returns: ConversationSummary },
  compare_column: { args: { compare_id: number, model: string, on_event: Channel<StreamMessage> }, returns: Turn },
  retry_column: { args: { compare_id: number, message_id: number, on_event: Channel<StreamMessage> }, returns: Turn },
  keep_answer: { args: { compare_id: number, message_id: number }, returns: ConversationSummary },
  stop_stream: { args: { stream_id: number }, returns: null },
  ack_stream: { args: { stream_id: number, seq: number }, returns: null },
  open_link: { args: { url: string }, returns: null },
  stream_events: { args: { message_id: number, start: number, count: number, filter: string }, returns: StreamEvents },
  export_stream: { args: { message_id: number }, returns: string },
  inspect_stream: { args: { stream_id: number, on_rows: Channel<LiveRows> }, returns: boolean },
  stop_inspecting: { args: { stream_id: number }, returns: null },
  watch_file_drops: { args: { on_drop: Channel<string[]> }, returns: null },
  open_stream_file: { args: { path: string, start: number, count: number, filter: string }, returns: StreamEvents },
  export_conversation: { args: { id: number, format: ExportFormat }, returns: ExportedFile },
  show_exported_file: { args: { id: number }, returns: null },
  import_conversation: { args: { text: string }, returns: ConversationSummary },
};
