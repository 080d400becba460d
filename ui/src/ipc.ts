/**
 * The page's only road to Rust: every Tauri command of docs/IPC.md as a typed function, and one
 * `Channel` per streaming answer. No other module imports `@tauri-apps/api/core`.
 *
 * The commands, their arguments and results are the generated `Commands`
 * (src-tauri/src/command_list.rs, read from the Rust functions): `call` takes only a command of
 * it, with exactly its arguments (snake_case: `conversation_id`, `on_event`…), and `ipc` must
 * wrap every one of them under its camelCase name, so the compiler names any that disagree.
 * Every rejection is normalized to a `UiError`, so callers can always switch on `kind`.
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Commands, ExportFormat, Layout, LiveRows, Price, ProtocolId, StreamMessage, UiError } from "./types";

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

/** `snake_case` → `camelCase`, as a type. */
type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** One wrapper per command, named in camelCase, resolving to what the command returns. */
type Wrappers = { [C in keyof Commands as Camel<C>]: (...args: never[]) => Promise<Commands[C]["returns"]> };

async function call<C extends keyof Commands>(command: C, args: Commands[C]["args"]): Promise<Commands[C]["returns"]> {
  try {
    return await invoke<Commands[C]["returns"]>(command, args);
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
  appInfo: () => call("app_info", {}),
  getSettings: () => call("get_settings", {}),
  setRecordingsKeepDays: (days: number) => call("set_recordings_keep_days", { days }),
  setLayout: (layout: Layout) => call("set_layout", { layout }),

  modelCatalog: () => call("model_catalog", {}),
  refreshModels: (provider: string) => call("refresh_models", { provider }),

  listProviders: () => call("list_providers", {}),
  listProtocols: () => call("list_protocols", {}),
  setProviderProtocol: (provider: string, protocol: ProtocolId) => call("set_provider_protocol", { provider, protocol }),
  setModelPrice: (provider: string, model: string, price: Price | null) => call("set_model_price", { provider, model, price }),
  setApiKey: (provider: string, key: string) => call("set_api_key", { provider, key }),
  deleteApiKey: (provider: string) => call("delete_api_key", { provider }),
  testProvider: (provider: string) => call("test_provider", { provider }),
  addCustomProvider: (name: string, protocol: ProtocolId, base_url: string) =>
    call("add_custom_provider", { name, protocol, base_url }),
  removeCustomProvider: (provider: string) => call("remove_custom_provider", { provider }),
  detectLocalServers: () => call("detect_local_servers", {}),

  listConversations: (query: string | null) => call("list_conversations", { query }),
  createConversation: () => call("create_conversation", {}),
  getConversation: (id: number) => call("get_conversation", { id }),
  renameConversation: (id: number, title: string) => call("rename_conversation", { id, title }),
  deleteConversation: (id: number) => call("delete_conversation", { id }),
  /** Writes the conversation to the downloads folder; resolves to the file's path and id. */
  exportConversation: (id: number, format: ExportFormat) => call("export_conversation", { id, format }),
  /** Opens the folder of a file `exportConversation` wrote, by its id. */
  showExportedFile: (id: number) => call("show_exported_file", { id }),
  /** Restores an exported JSON conversation as a new one. */
  importConversation: (text: string) => call("import_conversation", { text }),

  sendMessage: (conversation_id: number, text: string, model: string, onMessage: StreamHandler) =>
    call("send_message", { conversation_id, text, model, on_event: channel(onMessage) }),
  regenerate: (conversation_id: number, model: string, onMessage: StreamHandler) =>
    call("regenerate", { conversation_id, model, on_event: channel(onMessage) }),
  editMessage: (
    conversation_id: number,
    message_id: number,
    text: string,
    model: string,
    onMessage: StreamHandler,
  ) =>
    call("edit_message", {
      conversation_id,
      message_id,
      text,
      model,
      on_event: channel(onMessage),
    }),
  showVersion: (conversation_id: number, message_id: number) => call("show_version", { conversation_id, message_id }),
  createCompare: (prompt: string, models: string[]) => call("create_compare", { prompt, models }),
  compareColumn: (compare_id: number, model: string, onMessage: StreamHandler) =>
    call("compare_column", { compare_id, model, on_event: channel(onMessage) }),
  retryColumn: (compare_id: number, message_id: number, onMessage: StreamHandler) =>
    call("retry_column", { compare_id, message_id, on_event: channel(onMessage) }),
  keepAnswer: (compare_id: number, message_id: number) => call("keep_answer", { compare_id, message_id }),

  stopStream: (stream_id: number) => call("stop_stream", { stream_id }),
  ackStream: (stream_id: number, seq: number) => call("ack_stream", { stream_id, seq }),

  openLink: (url: string) => call("open_link", { url }),

  /** `count` rows from `start` of an answer's recorded stream, among those passing `filter`. */
  streamEvents: (message_id: number, start: number, count: number, filter: string) =>
    call("stream_events", { message_id, start, count, filter }),
  exportStream: (message_id: number) => call("export_stream", { message_id }),
  /** `count` rows from `start` of an `.sse` file's stream, among those passing `filter`. */
  openStreamFile: (path: string, start: number, count: number, filter: string) =>
    call("open_stream_file", { path, start, count, filter }),
  /** Rows of a running answer from its first event, in batches, until it ends; `false` if it ended. */
  inspectStream: (stream_id: number, onRows: (batch: LiveRows) => void) => {
    const on_rows = new Channel<LiveRows>();
    on_rows.onmessage = onRows;
    return call("inspect_stream", { stream_id, on_rows });
  },
  stopInspecting: (stream_id: number) => call("stop_inspecting", { stream_id }),
  /** Calls `onDrop` with the paths of files dropped onto the window, from now on. */
  watchFileDrops: (onDrop: (paths: string[]) => void) => {
    const on_drop = new Channel<string[]>();
    on_drop.onmessage = onDrop;
    return call("watch_file_drops", { on_drop });
  },
} satisfies Wrappers;

export type Ipc = typeof ipc;
