// Generated from the Rust types by tests/bindings.rs (ts-rs). Do not edit: run scripts/gen-types.

/** One typed event of a chat stream, whatever the provider. */
export type StreamEvent = { "type": "start", id: string | null, model: string | null, } | { "type": "text", text: string, } | { "type": "thinking", text: string, } | { "type": "refusal", text: string, } | { "type": "tool_call", index: number, id: string | null, name: string | null, arguments: string, } | { "type": "usage" } & Usage | { "type": "finish", reason: FinishReason, raw_reason: string | null, } | { "type": "error" } & StreamError | { "type": "stopped" } | { "type": "raw" } & RawFrame;

/** Token counts for one answer. */
export type Usage = { input_tokens: number | null, output_tokens: number | null, };

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

/** One message of a stream's channel: the core's event, numbered for acks. Its JSON is the event's own (the CLI's `--events` shape) with `seq` beside `type`, the answer's numbers so far in `stats`, and `saved` on the ending. */
export type StreamMessage = { seq: number, stats?: Stats, saved?: Saved, } & ({ "type": "start", id: string | null, model: string | null, } | { "type": "text", text: string, } | { "type": "thinking", text: string, } | { "type": "refusal", text: string, } | { "type": "tool_call", index: number, id: string | null, name: string | null, arguments: string, } | { "type": "usage" } & Usage | { "type": "finish", reason: FinishReason, raw_reason: string | null, } | { "type": "error" } & StreamError | { "type": "stopped" } | { "type": "raw" } & RawFrame);

/** What the page needs of an ended answer's save; its text is what the deltas carried. */
export type Saved = { id: number, state: MessageState, error: UiError | null, stats: Stats | null, };

/** An error as the page shows it: every command's error and every answer's error. */
export type UiError = { kind: string, message: string, status: number | null, error_type: string | null, retry_after: number | null, retryable: boolean, };

/** Where an assistant message stands, in the words of the core's [`Outcome`]. */
export type MessageState = "streaming" | "done" | "stopped" | "error";

/** A stream's numbers as the page shows them (under an answer, in the compare table and a live column, in the inspector's summary): the core's `Metrics`, which define them, and how the answer finished. */
export type Stats = { ttft_ms: number | null, tokens_per_sec: number | null, output_tokens: number | null, tokens_estimated: boolean, input_tokens: number | null, duration_ms: number, finish_reason: string | null, };

/** One message of a conversation. */
export type MessageView = { id: number, conversation_id: number, role: "user" | "assistant", content: string, thinking: string, model: string | null, state: MessageState, error: UiError | null, stats: Stats | null, created_at: number, };

/** What a conversation of the history is: a chat, or a compare run (one prompt, one answer per model, each a column). */
export type ConversationKind = "chat" | "compare";

/** A conversation in the sidebar. */
export type ConversationSummary = { id: number, title: string, updated_at: number, last_model: string | null, kind: ConversationKind, };

/** A conversation with its messages. */
export type Conversation = { id: number, title: string, kind: ConversationKind, created_at: number, updated_at: number, messages: Array<MessageView>, };

/** What `send_message`, `regenerate` and `edit_message` return. */
export type Turn = { user: MessageView, assistant: MessageView, stream_id: number, deleted: Array<number>, superseded: Array<number>, };

/** Where a provider's key comes from (never the key). */
export type KeyState = "keychain" | "env" | "none" | "unavailable";

/** A provider as the page shows it: a group of the model picker and a row of Settings. Never carries a key, only where one comes from. */
export type ProviderView = { id: string, name: string, protocol: string, base_url: string, custom: boolean, local: boolean, takes_key: boolean, key_required: boolean, key: KeyState, key_env: string | null, models: Array<string>, available: boolean, hint: string | null, };

/** Facts the page needs at start. */
export type AppInfo = { version: string, data_dir: string, first_run: boolean, has_key: boolean, default_model: string, startup_problems: Array<StartupProblem>, };

/** A start-up problem as the page receives it (`AppInfo.startup_problems`, docs/IPC.md). */
export type StartupProblem = { kind: string, message: string, action: string, path: string, line: number | null, column: number | null, };

/** Settings the page reads. */
export type Settings = { last_model: string, recordings_keep_days: number, };

/** A window of a recorded stream's inspector rows (`stream_events`, `open_stream_file`): the rows asked for, how many there are, and the stream's summary and timeline. */
export type StreamEvents = { start: number, rows: Array<EventRow>, total: number, more: number, summary: StreamSummary, timeline: Timeline, };

/** One row of an inspector: an SSE event, or a comment line. */
export type EventRow = { at_ms: number, event: string, bytes: number, data: string, fields: Array<Field>, decoded: Array<StreamEvent>, };

/** One labelled value an inspector shows of an event (`content` → `"Hello"`). */
export type Field = { label: string, value: string, };

/** What the inspector says of a stream above its rows: where it came from, its size, and its numbers (an answer's saved stats, else counted by the core from the recording). */
export type StreamSummary = { protocol: string, model: string | null, status: number | null, events: number, bytes: number, ttfb_ms: number | null, truncated: boolean, stats: Stats, };

/** The inspector's chart of a stream: its rows counted per slice of time (every slice the same length, the last ending at the last row), so it is small whatever the number of rows. */
export type Timeline = { span_ms: number, events: Array<number>, comments: Array<number>, content: Array<number>, longest_gap_ms: number, };

/** A batch of a running answer's inspector rows (`inspect_stream`), with the stream's summary and timeline so far. */
export type LiveRows = { rows: Array<EventRow>, more: number, summary: StreamSummary, timeline: Timeline, };
