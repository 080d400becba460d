/**
 * The types that cross IPC, exactly as docs/IPC.md defines them (snake_case on both sides).
 * Nothing here has behaviour; `ipc.ts` is the only module that moves these values.
 */

export type MessageState = "streaming" | "done" | "stopped" | "error";

/**
 * Every command error and every answer's error. `kind` is a stable snake_case word; `retryable`
 * (whether Retry may help) is decided in Rust.
 */
export interface UiError {
  kind: string;
  message: string;
  status: number | null;
  error_type: string | null;
  retry_after: number | null;
  retryable: boolean;
}

export interface Stats {
  ttft_ms: number | null;
  tokens_per_sec: number | null;
  output_tokens: number | null;
  tokens_estimated: boolean;
  input_tokens: number | null;
  duration_ms: number;
  finish_reason: string | null;
}

export interface MessageView {
  id: number;
  conversation_id: number;
  role: "user" | "assistant";
  content: string;
  thinking: string;
  model: string | null;
  state: MessageState;
  error: UiError | null;
  stats: Stats | null;
  created_at: number;
}

export interface ConversationSummary {
  id: number;
  title: string;
  updated_at: number;
  last_model: string | null;
}

export interface Conversation {
  id: number;
  title: string;
  created_at: number;
  updated_at: number;
  messages: MessageView[];
}

/** One group of the model picker. */
export interface ProviderModels {
  provider: string;
  name: string;
  models: string[];
  available: boolean;
  hint: string | null;
}

export type KeyState = "keychain" | "env" | "none" | "unavailable";

/** One row of Settings. Never carries a key, only where one comes from. */
export interface ProviderView {
  id: string;
  name: string;
  protocol: "openai" | "anthropic";
  base_url: string;
  custom: boolean;
  local: boolean;
  takes_key: boolean;
  key_required: boolean;
  key: KeyState;
  key_env: string | null;
  models: string[];
}

export interface Turn {
  user: MessageView;
  assistant: MessageView;
  stream_id: number;
}

/** Something that went wrong while the app opened; the page shows a banner for each. */
export interface StartupProblem {
  /** providers_file | history_unavailable | database_too_new | database_corrupt */
  kind: string;
  message: string;
  action: string;
  path: string;
  line: number | null;
  column: number | null;
}

export interface AppInfo {
  version: string;
  data_dir: string;
  first_run: boolean;
  has_key: boolean;
  default_model: string;
  startup_problems: StartupProblem[];
}

export interface Settings {
  last_model: string;
}

/** Why an answer ended, in one vocabulary for every provider (the core's `FinishReason`). */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "other";

/** Token counts (the core's `Usage`). */
export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
}

/** The core's `StreamError`, as the CLI's `--events` prints it. */
export interface StreamError {
  kind: string;
  message: string;
  status: number | null;
  error_type: string | null;
  retry_after: number | null;
  timeout: "connect" | "first_byte" | "idle" | null;
}

/** One SSE event as it came off the wire (the core's `RawFrame`); never sent to the page today. */
export interface RawFrame {
  at_ms: number;
  event: string;
  data: string;
}

/** The core's `StreamEvent`: the CLI's `--events` shape. */
export type StreamEvent =
  | { type: "start"; id: string | null; model: string | null }
  | { type: "text"; text: string }
  | { type: "thinking"; text: string }
  | { type: "refusal"; text: string }
  | { type: "tool_call"; index: number; id: string | null; name: string | null; arguments: string }
  | ({ type: "usage" } & Usage)
  | { type: "finish"; reason: FinishReason; raw_reason: string | null }
  | ({ type: "error" } & StreamError)
  | { type: "stopped" }
  | ({ type: "raw" } & RawFrame);

/** What the page needs of an ended answer's save; its text is what the deltas carried. */
export interface Saved {
  id: number;
  state: MessageState;
  error: UiError | null;
  stats: Stats | null;
}

/** One message of a stream's channel: the core's event with `seq`, and `saved` on the ending. */
export type StreamMessage = { seq: number; saved?: Saved } & StreamEvent;
