/**
 * The page's only road to Rust: every Tauri command of docs/IPC.md as a typed function, and one
 * `Channel` per streaming answer. No other module imports `@tauri-apps/api/core`.
 *
 * Arguments are passed with the snake_case names IPC.md lists (`conversation_id`, `on_event`…).
 * Every rejection is normalized to a `UiError`, so callers can always switch on `kind`.
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AppInfo,
  Conversation,
  ConversationSummary,
  LiveRows,
  ProviderView,
  Settings,
  StreamEvents,
  StreamMessage,
  Turn,
  UiError,
} from "./types";

/** Receives each message of one answer's stream, in `seq` order. */
export type StreamHandler = (message: StreamMessage) => void;

/** Turns whatever a rejected `invoke` carried into a `UiError`. */
export function toUiError(reason: unknown): UiError {
  if (reason && typeof reason === "object" && "kind" in reason && "message" in reason) {
    const r = reason as Partial<UiError>;
    return {
      kind: String(r.kind),
      message: String(r.message ?? ""),
      status: typeof r.status === "number" ? r.status : null,
      error_type: typeof r.error_type === "string" ? r.error_type : null,
      retry_after: typeof r.retry_after === "number" ? r.retry_after : null,
      retryable: r.retryable === true,
    };
  }
  const message =
    typeof reason === "string" ? reason : reason instanceof Error ? reason.message : "Unknown error";
  // Not an error from Rust (the IPC itself failed): trying again may work.
  return { kind: "unknown", message, status: null, error_type: null, retry_after: null, retryable: true };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toUiError(reason);
  }
}

function channel(onMessage: StreamHandler): Channel<StreamMessage> {
  const ch = new Channel<StreamMessage>();
  ch.onmessage = onMessage;
  return ch;
}

export const ipc = {
  appInfo: () => call<AppInfo>("app_info"),
  getSettings: () => call<Settings>("get_settings"),

  modelCatalog: () => call<ProviderView[]>("model_catalog"),
  refreshModels: (provider: string) => call<ProviderView>("refresh_models", { provider }),

  listProviders: () => call<ProviderView[]>("list_providers"),
  setApiKey: (provider: string, key: string) => call<ProviderView>("set_api_key", { provider, key }),
  deleteApiKey: (provider: string) => call<ProviderView>("delete_api_key", { provider }),
  testProvider: (provider: string) => call<ProviderView>("test_provider", { provider }),
  addCustomProvider: (name: string, protocol: "openai" | "anthropic", base_url: string) =>
    call<ProviderView>("add_custom_provider", { name, protocol, base_url }),
  removeCustomProvider: (provider: string) => call<null>("remove_custom_provider", { provider }),
  detectLocalServers: () => call<ProviderView[]>("detect_local_servers"),

  listConversations: (query: string | null) =>
    call<ConversationSummary[]>("list_conversations", { query }),
  createConversation: () => call<ConversationSummary>("create_conversation"),
  getConversation: (id: number) => call<Conversation>("get_conversation", { id }),
  renameConversation: (id: number, title: string) =>
    call<ConversationSummary>("rename_conversation", { id, title }),
  deleteConversation: (id: number) => call<null>("delete_conversation", { id }),

  sendMessage: (conversation_id: number, text: string, model: string, onMessage: StreamHandler) =>
    call<Turn>("send_message", { conversation_id, text, model, on_event: channel(onMessage) }),
  regenerate: (conversation_id: number, model: string, onMessage: StreamHandler) =>
    call<Turn>("regenerate", { conversation_id, model, on_event: channel(onMessage) }),
  editMessage: (
    conversation_id: number,
    message_id: number,
    text: string,
    model: string,
    onMessage: StreamHandler,
  ) =>
    call<Turn>("edit_message", {
      conversation_id,
      message_id,
      text,
      model,
      on_event: channel(onMessage),
    }),
  createCompare: (prompt: string, models: string[]) =>
    call<ConversationSummary>("create_compare", { prompt, models }),
  compareColumn: (compare_id: number, model: string, onMessage: StreamHandler) =>
    call<Turn>("compare_column", { compare_id, model, on_event: channel(onMessage) }),
  retryColumn: (compare_id: number, message_id: number, onMessage: StreamHandler) =>
    call<Turn>("retry_column", { compare_id, message_id, on_event: channel(onMessage) }),
  keepAnswer: (compare_id: number, message_id: number) =>
    call<ConversationSummary>("keep_answer", { compare_id, message_id }),

  stopStream: (stream_id: number) => call<null>("stop_stream", { stream_id }),
  ackStream: (stream_id: number, seq: number) => call<null>("ack_stream", { stream_id, seq }),

  openLink: (url: string) => call<null>("open_link", { url }),

  /** `count` rows from `start` of an answer's recorded stream, among those passing `filter`. */
  streamEvents: (message_id: number, start: number, count: number, filter: string) =>
    call<StreamEvents>("stream_events", { message_id, start, count, filter }),
  exportStream: (message_id: number) => call<string>("export_stream", { message_id }),
  /** `count` rows from `start` of an `.sse` file's stream, among those passing `filter`. */
  openStreamFile: (path: string, start: number, count: number, filter: string) =>
    call<StreamEvents>("open_stream_file", { path, start, count, filter }),
  /** Rows of a running answer from its first event, in batches, until it ends; `false` if it ended. */
  inspectStream: (stream_id: number, onRows: (batch: LiveRows) => void) => {
    const on_rows = new Channel<LiveRows>();
    on_rows.onmessage = onRows;
    return call<boolean>("inspect_stream", { stream_id, on_rows });
  },
  stopInspecting: (stream_id: number) => call<null>("stop_inspecting", { stream_id }),
  /** Calls `onDrop` with the paths of files dropped onto the window, from now on. */
  watchFileDrops: (onDrop: (paths: string[]) => void) => {
    const on_drop = new Channel<string[]>();
    on_drop.onmessage = onDrop;
    return call<null>("watch_file_drops", { on_drop });
  },
};

export type Ipc = typeof ipc;
