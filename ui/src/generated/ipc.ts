// Generated from the Rust types by tests/bindings.rs (ts-rs). Do not edit: run scripts/gen-types.

/**
 * One typed event of a chat stream, whatever the provider.
 */
export type StreamEvent = { "type": "start", 
/**
 * The provider's id for this response (`chatcmpl-…`, `msg_…`), when it sends one.
 */
id: string | null, 
/**
 * The model that answers, as the provider names it.
 */
model: string | null, } | { "type": "text", 
/**
 * The fragment, in order.
 */
text: string, } | { "type": "thinking", 
/**
 * The fragment, in order.
 */
text: string, } | { "type": "refusal", 
/**
 * The fragment, in order.
 */
text: string, } | { "type": "tool_call", 
/**
 * Which tool call of this answer (0, 1, …), counted among tool calls only.
 */
index: number, 
/**
 * The call's id, on its first fragment.
 */
id: string | null, 
/**
 * The tool's name, on its first fragment.
 */
name: string | null, 
/**
 * A fragment of the JSON arguments.
 */
arguments: string, } | { "type": "usage" } & Usage | { "type": "finish", 
/**
 * The reason, normalized across providers.
 */
reason: FinishReason, 
/**
 * The provider's own word for it (`stop`, `end_turn`, …), when it gave one.
 */
raw_reason: string | null, } | { "type": "error" } & StreamError | { "type": "stopped" } | { "type": "raw" } & RawFrame;

/**
 * Token counts for one answer.
 */
export type Usage = { 
/**
 * Tokens of the prompt, when reported.
 */
input_tokens: number | null, 
/**
 * Tokens of the answer, when reported.
 */
output_tokens: number | null, };

/**
 * Why an answer ended, in one vocabulary for every provider.
 */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "other";

/**
 * One SSE event as it came off the wire, with its arrival time.
 */
export type RawFrame = { 
/**
 * Milliseconds since the request was sent.
 */
at_ms: number, 
/**
 * The SSE `event:` name (`message` when the event had none).
 */
event: string, 
/**
 * The event's data, lines joined by `\n`.
 */
data: string, };

/**
 * Why a stream (or a request beside one, such as listing models) failed.
 */
export type StreamError = { 
/**
 * What kind of failure; the word a UI switches on.
 */
kind: ErrorKind, 
/**
 * A sentence for a person, with the provider's own message when it sent one.
 */
message: string, 
/**
 * The HTTP status, when the failure came with one.
 */
status: number | null, 
/**
 * The provider's error type (`rate_limit_error`, `invalid_api_key`, …), when it sent one.
 */
error_type: string | null, 
/**
 * Seconds to wait before retrying, from `retry-after` / `retry-after-ms`.
 */
retry_after: number | null, 
/**
 * Which timeout expired, for [`ErrorKind::Timeout`].
 */
timeout: TimeoutPhase | null, };

/**
 * What kind of failure ended a stream.
 */
export type ErrorKind = "authentication" | "permission" | "not_found" | "rate_limited" | "overloaded" | "invalid_request" | "server" | "network" | "timeout" | "protocol" | "incomplete" | "too_large" | "config";

/**
 * Which timeout expired.
 */
export type TimeoutPhase = "connect" | "first_byte" | "idle";

/**
 * One message of a stream's channel: the core's event, numbered for acks. Its JSON is the
 * event's own (the CLI's `--events` shape) with `seq` beside `type`, and `saved` on the ending.
 */
export type StreamMessage = { 
/**
 * Order of this message in its stream, from 1.
 */
seq: number, 
/**
 * Only on the ending (`finish`, `error`, `stopped`): the answer as saved.
 */
saved?: Saved, } & ({ "type": "start", 
/**
 * The provider's id for this response (`chatcmpl-…`, `msg_…`), when it sends one.
 */
id: string | null, 
/**
 * The model that answers, as the provider names it.
 */
model: string | null, } | { "type": "text", 
/**
 * The fragment, in order.
 */
text: string, } | { "type": "thinking", 
/**
 * The fragment, in order.
 */
text: string, } | { "type": "refusal", 
/**
 * The fragment, in order.
 */
text: string, } | { "type": "tool_call", 
/**
 * Which tool call of this answer (0, 1, …), counted among tool calls only.
 */
index: number, 
/**
 * The call's id, on its first fragment.
 */
id: string | null, 
/**
 * The tool's name, on its first fragment.
 */
name: string | null, 
/**
 * A fragment of the JSON arguments.
 */
arguments: string, } | { "type": "usage" } & Usage | { "type": "finish", 
/**
 * The reason, normalized across providers.
 */
reason: FinishReason, 
/**
 * The provider's own word for it (`stop`, `end_turn`, …), when it gave one.
 */
raw_reason: string | null, } | { "type": "error" } & StreamError | { "type": "stopped" } | { "type": "raw" } & RawFrame);

/**
 * What the page needs of an ended answer's save; its text is what the deltas carried.
 */
export type Saved = { 
/**
 * The saved message's id.
 */
id: number, 
/**
 * Its state: the ending's, or `error` when it could not be saved.
 */
state: MessageState, 
/**
 * Why it failed: the stream's error, or a `storage` error when it could not be saved.
 */
error: UiError | null, 
/**
 * Its numbers.
 */
stats: Stats | null, };

/**
 * An error as the page shows it: every command's error and every answer's error.
 */
export type UiError = { 
/**
 * Stable snake_case kind.
 */
kind: string, 
/**
 * A sentence for a person.
 */
message: string, 
/**
 * The HTTP status, if any.
 */
status: number | null, 
/**
 * The provider's error type, if any.
 */
error_type: string | null, 
/**
 * Seconds to wait before retrying, if the provider said.
 */
retry_after: number | null, 
/**
 * Whether Retry may help ([`is_retryable`]); the page offers Retry first when it may.
 */
retryable: boolean, };

/**
 * Where an assistant message stands, in the words of the core's [`Outcome`].
 */
export type MessageState = "streaming" | "done" | "stopped" | "error";

/**
 * The numbers under an answer.
 */
export type Stats = { 
/**
 * Milliseconds to the first token.
 */
ttft_ms: number | null, 
/**
 * Output tokens per second.
 */
tokens_per_sec: number | null, 
/**
 * Output tokens.
 */
output_tokens: number | null, 
/**
 * True when `output_tokens` counts deltas rather than the provider's usage.
 */
tokens_estimated: boolean, 
/**
 * Prompt tokens, when reported.
 */
input_tokens: number | null, 
/**
 * Milliseconds from request to end.
 */
duration_ms: number, 
/**
 * The normalized finish reason, when the answer finished.
 */
finish_reason: string | null, };

/**
 * One message of a conversation.
 */
export type MessageView = { 
/**
 * Its id.
 */
id: number, 
/**
 * Its conversation.
 */
conversation_id: number, 
/**
 * `user` or `assistant`.
 */
role: "user" | "assistant", 
/**
 * Its text.
 */
content: string, 
/**
 * The model's reasoning, if any.
 */
thinking: string, 
/**
 * `provider/model` that wrote it (assistant messages).
 */
model: string | null, 
/**
 * Where it stands.
 */
state: MessageState, 
/**
 * Why it failed, for `state: error`.
 */
error: UiError | null, 
/**
 * Its numbers, once ended.
 */
stats: Stats | null, 
/**
 * Unix milliseconds.
 */
created_at: number, };

/**
 * A conversation in the sidebar.
 */
export type ConversationSummary = { 
/**
 * Its id.
 */
id: number, 
/**
 * Its title.
 */
title: string, 
/**
 * Unix milliseconds of the last change.
 */
updated_at: number, 
/**
 * The model of its last answer.
 */
last_model: string | null, };

/**
 * A conversation with its messages.
 */
export type Conversation = { 
/**
 * Its id.
 */
id: number, 
/**
 * Its title.
 */
title: string, 
/**
 * Unix milliseconds.
 */
created_at: number, 
/**
 * Unix milliseconds of the last change.
 */
updated_at: number, 
/**
 * Oldest first.
 */
messages: Array<MessageView>, };

/**
 * What `send_message`, `regenerate` and `edit_message` return.
 */
export type Turn = { 
/**
 * The user message answered.
 */
user: MessageView, 
/**
 * The answer, streaming (or already failed).
 */
assistant: MessageView, 
/**
 * The id to stop or ack the stream by.
 */
stream_id: number, };

/**
 * Where a provider's key comes from (never the key).
 */
export type KeyState = "keychain" | "env" | "none" | "unavailable";

/**
 * A provider as the page shows it: a group of the model picker and a row of Settings. Never
 * carries a key, only where one comes from.
 */
export type ProviderView = { 
/**
 * Provider id.
 */
id: string, 
/**
 * Provider name.
 */
name: string, 
/**
 * `openai` or `anthropic`.
 */
protocol: string, 
/**
 * Its base URL.
 */
base_url: string, 
/**
 * Added by the person in Settings; removable.
 */
custom: boolean, 
/**
 * Runs on this machine (answers cost nothing and leave it).
 */
local: boolean, 
/**
 * Shows a key field.
 */
takes_key: boolean, 
/**
 * Fails without a key.
 */
key_required: boolean, 
/**
 * Where its key comes from.
 */
key: KeyState, 
/**
 * The env var its key may come from.
 */
key_env: string | null, 
/**
 * Its models (live when fetched, else its own list), without the provider prefix.
 */
models: Array<string>, 
/**
 * It can answer now: a key is set or none is needed.
 */
available: boolean, 
/**
 * Why it cannot answer, when it cannot.
 */
hint: string | null, };

/**
 * Facts the page needs at start.
 */
export type AppInfo = { 
/**
 * The app's version.
 */
version: string, 
/**
 * Where history is kept.
 */
data_dir: string, 
/**
 * No conversation exists yet.
 */
first_run: boolean, 
/**
 * Some provider has a key.
 */
has_key: boolean, 
/**
 * The model a new conversation starts on.
 */
default_model: string, 
/**
 * What went wrong at start-up (the page shows a banner for each); usually empty.
 */
startup_problems: Array<StartupProblem>, };

/**
 * A start-up problem as the page receives it (`AppInfo.startup_problems`, docs/IPC.md).
 */
export type StartupProblem = { 
/**
 * `providers_file`, `history_unavailable`, `database_too_new` or `database_corrupt`.
 */
kind: string, 
/**
 * What failed, a sentence naming the file.
 */
message: string, 
/**
 * What to do, and what works meanwhile.
 */
action: string, 
/**
 * The file or folder concerned.
 */
path: string, 
/**
 * For `providers_file`: the line of the mistake (1-based).
 */
line: number | null, 
/**
 * For `providers_file`: its column (1-based).
 */
column: number | null, };

/**
 * Settings the page reads.
 */
export type Settings = { 
/**
 * The last model picked, `provider/model`.
 */
last_model: string, };
