/**
 * An in-memory stand-in for the Rust side, for the browser tests only (never in ui/dist).
 * It implements every command of docs/IPC.md and streams answers through the real `Channel`
 * the page created, the way Tauri delivers them (`runCallback(channel.id, { index, message })`),
 * with timers, in the wire shape of the generated types: one delta per message, each with the
 * answer's numbers so far, then the ending. Rust's rules are not imitated — the ack window,
 * coalescing, which answers a regenerate keeps until the new one has text, what a command
 * refuses (a compare of 1 or 5 models, a link that is not http(s) or mailto), how a title is
 * cut — they are tested in Rust (tests/commands.rs); the page takes their outcome from what Rust
 * sends, and a browser test sees what the page itself asked for (`mockState`).
 *
 * What the answer is depends on the question: "xss" → hostile Markdown/HTML, "error" → a
 * rate-limit error after some text, "auth" → a rejected key, "long" → a long, slow answer,
 * "think" → reasoning first; anything else → a short Markdown answer with code. A compare run's
 * column depends on its model instead (`pickColumn`).
 */
import { mockIPC } from "@tauri-apps/api/mocks";
import {
  Role,
  type Conversation,
  type ConversationSummary,
  type ErrorKind,
  type MessageView,
  type ProtocolId,
  type ProtocolView,
  type ProviderView,
  type Saved,
  type Stats,
  type EventRow,
  type StreamError,
  type StreamEvent,
  type StreamEvents,
  type StreamMessage,
  type Turn,
  type UiError,
} from "../../src/types";

interface MockConfig {
  tickMs: number;
  seed: boolean;
  firstRun: boolean;
}

interface Internals {
  runCallback(id: number, data: unknown): void;
}

const config: MockConfig = {
  tickMs: 28,
  seed: true,
  firstRun: true,
  ...((window as unknown as { __mockConfig?: Partial<MockConfig> }).__mockConfig ?? {}),
};

const now = Date.now();

const providers: ProviderView[] = [
  view("openai", "OpenAI", "openai", "https://api.openai.com/v1", { takes_key: true, key_required: true, key_env: "OPENAI_API_KEY", models: ["gpt-4o-mini", "gpt-4o", "o3-mini"] }),
  view("anthropic", "Anthropic", "anthropic", "https://api.anthropic.com", { takes_key: true, key_required: true, key_env: "ANTHROPIC_API_KEY", models: ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"] }),
  view("ollama", "Ollama", "openai", "http://127.0.0.1:11434/v1", { local: true, detectable: true, models: ["llama3.2", "qwen2.5-coder:7b", "mistral-nemo"] }),
  view("demo", "Demo (offline)", "openai", "http://127.0.0.1:0/v1", { local: true, models: ["runnel-demo"] }),
];

const protocols: ProtocolView[] = [
  { id: "openai", name: "OpenAI-compatible" },
  { id: "anthropic", name: "Anthropic-style" },
];

function view(id: string, name: string, protocol: ProtocolId, base_url: string, extra: Partial<ProviderView>): ProviderView {
  return { id, name, protocol, protocols: [], base_url, custom: false, local: false, detectable: false, takes_key: false, key_required: false, key: "none", key_env: null, models: [], prices: [], available: true, hint: null, ...extra };
}

const keys = new Map<string, string>();
let lastModel = "demo/runnel-demo";
let nextId = 100;
const conversations = new Map<number, Conversation & { last_model: string | null }>();
const streams = new Map<number, Stream>();
let nextStream = 1;

export const mockState = {
  calls: [] as { cmd: string; args: Record<string, unknown> }[],
  acks: [] as { stream_id: number; seq: number }[],
  opened: [] as string[],
  stops: [] as number[],
  sentModels: [] as string[],
  streams: 0,
};
(window as unknown as { __runnelMock: typeof mockState }).__runnelMock = mockState;

/** An error as Rust sends it; only the rate limit below is retryable. */
function err(kind: string, message: string, extra: Partial<UiError> = {}): UiError {
  return { kind, message, status: null, error_type: null, retry_after: null, retryable: false, ...extra };
}

/** The core's error an answer's `error` ending names (the page shows `saved.error`). */
function streamError({ retryable: _, kind, ...fields }: UiError): StreamError {
  // The mock's stream errors all have a core kind (rate_limited).
  return { ...fields, kind: kind as ErrorKind, timeout: null };
}

function available(p: ProviderView): boolean {
  return !p.takes_key || !p.key_required || keys.has(p.id);
}

function catalog(): ProviderView[] {
  return providers.map(providerView);
}

/** `p` as the backend sends it now: where its key comes from, and whether it can answer. */
function providerView(p: ProviderView): ProviderView {
  const ready = available(p);
  return { ...p, key: keys.has(p.id) ? "keychain" : "none", available: ready, hint: ready ? null : "Add a key in Settings" };
}

function findProvider(id: unknown): ProviderView {
  const p = providers.find((x) => x.id === id);
  if (!p) throw err("not_found", `No provider “${String(id)}”`);
  return p;
}

function summary(c: Conversation & { last_model: string | null }): ConversationSummary {
  return { id: c.id, title: c.title, updated_at: c.updated_at, last_model: c.last_model, kind: c.kind };
}

function message(conversation_id: number, role: Role, content: string, model: string | null, at: number): MessageView {
  return { id: nextId++, conversation_id, role, content, thinking: "", model, state: "done", error: null, stats: null, created_at: at, versions: null };
}

/**
 * A time `days` calendar days before today: noon then, or for today halfway from midnight to
 * now. The sidebar groups conversations by calendar day, so "20 minutes ago" would be yesterday
 * just after midnight.
 */
function daysAgo(days: number): number {
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (days === 0) return startOfToday + Math.floor((now - startOfToday) / 2);
  return new Date(today.getFullYear(), today.getMonth(), today.getDate() - days, 12).getTime();
}

function seed(): void {
  const add = (title: string, days: number, q: string, a: string, model: string) => {
    const id = nextId++;
    const at = daysAgo(days);
    const answer = message(id, Role.assistant, a, model, at);
    answer.stats = { ttft_ms: 380, tokens_per_sec: 88.4, output_tokens: 142, tokens_estimated: false, input_tokens: 20, duration_ms: 1900, finish_reason: "stop" };
    conversations.set(id, { id, title, kind: "chat", created_at: at, updated_at: at, last_model: model, messages: [message(id, Role.user, q, null, at), answer] });
  };
  add("Regex for ISO dates", 40, "A regex for ISO dates?", "Use `^\\d{4}-\\d{2}-\\d{2}$` — it checks the shape, not the calendar.", "openai/gpt-4o-mini");
  add("Trip ideas for Lisbon", 3, "Three things to do in Lisbon?", "1. Ride tram 28\n2. Eat a pastel de nata in Belém\n3. Watch the sunset from a miradouro", "anthropic/claude-sonnet-4-5");
  add("Rust lifetimes, briefly", 1, "Explain lifetimes in one paragraph.", "A lifetime names how long a reference stays valid, so the compiler can prove no reference outlives its data.", "anthropic/claude-sonnet-4-5");
  add("How do SSE streams end?", 0, "How do SSE streams end?", "An OpenAI stream ends with `data: [DONE]`; an Anthropic stream with `message_stop`.", "demo/runnel-demo");
}
if (config.seed) seed();

// ---- answers ----------------------------------------------------------------------------------

const ANSWER_DEFAULT = `Server-sent events end in one of two ways, depending on the provider:

- **OpenAI** sends a final \`data: [DONE]\` line after the last chunk.
- **Anthropic** sends an \`event: message_stop\` event.

A client that reads the stream should treat anything else — a closed socket before either marker — as an *incomplete* answer, and keep the text it already has.

\`\`\`ts
for await (const event of stream) {
  if (event.data === "[DONE]") break;
  const delta = JSON.parse(event.data).choices[0]?.delta?.content;
  if (delta) render(delta);
}
\`\`\`

That loop renders each delta as it arrives, so the first words show up in well under a second.`;

const ANSWER_LONG = Array.from({ length: 14 }, (_, i) =>
  i % 5 === 3
    ? `\`\`\`python\ndef step_${i}(items):\n    """Process part ${i} of the pipeline."""\n    return [x * ${i} for x in items if x % 2 == 0]\n\`\`\``
    : `## Part ${i + 1}\n\nThis is paragraph ${i + 1} of a long answer that streams slowly, so that a person has time to read, scroll up, or press Stop. It carries **bold**, *italic* and \`code\` words, and a [link](https://example.com/part-${i + 1}).`,
).join("\n\n");

const ANSWER_XSS = `Here are some things that must stay inert:

<script>window.__xss = "script"; alert("script")</script>

<img src="x" onerror="window.__xss='img'; alert('img')">

[click me](javascript:window.__xss='link') and [data link](data:text/html,<script>alert(1)</script>)

<iframe src="javascript:window.__xss='iframe'"></iframe>

<svg onload="window.__xss='svg'"><circle r="5"/></svg>

<a href="https://example.com" onclick="window.__xss='onclick'" style="position:fixed;inset:0">styled link</a> and a [safe link](https://example.com "Example") too.

<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;background:red" data-testid="stop" id="app">overlay</div>

<form action="https://evil.example"><input name="q"><button>submit</button></form>

<details open ontoggle="window.__xss='details'"><summary>Details</summary>hidden</details>

![tracker](https://evil.example/pixel.png) <style>body{display:none}</style>

<math><mtext><table><mglyph><style><img src=x onerror="window.__xss='mxss'">

Plain **bold** text survives.`;

const ANSWER_ERROR = `Let me look that up. The answer starts normally, and then the provider`;

function pickAnswer(text: string): { content: string; error?: UiError; thinking?: string; slow?: boolean } {
  const t = text.toLowerCase();
  if (t.includes("xss")) return { content: ANSWER_XSS };
  if (t.includes("auth")) return { content: "", error: err("authentication", "Incorrect API key provided: sk-…abcd.", { status: 401, error_type: "invalid_api_key" }) };
  if (t.includes("error"))
    return {
      content: ANSWER_ERROR,
      error: err("rate_limited", "Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 30000, Used 30000.", { status: 429, error_type: "rate_limit_exceeded", retry_after: 20, retryable: true }),
    };
  if (t.includes("long")) return { content: ANSWER_LONG, slow: true };
  if (t.includes("think")) return { content: ANSWER_DEFAULT, thinking: "The person asks how streams end. OpenAI uses [DONE]; Anthropic uses message_stop. Mention incomplete streams." };
  return { content: ANSWER_DEFAULT };
}

/** Splits text into small deltas (a word or two, like a model's tokens). */
function deltas(text: string): string[] {
  const parts = text.match(/\s*\S+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push(parts.slice(i, i + 2).join(""));
  const tail = text.length - out.join("").length;
  if (tail > 0) out.push(text.slice(text.length - tail));
  return out;
}

// ---- streams ----------------------------------------------------------------------------------

/**
 * One answer's stream: the wire shape Rust sends (`StreamMessage`, generated from the Rust types),
 * one delta per message. Acknowledging, holding and coalescing are Rust's job (outbox.rs), tested
 * there and in tests/commands.rs; here the page's acks are only recorded.
 */
class Stream {
  seq = 0;
  index = 0;
  text = "";
  timer: ReturnType<typeof setTimeout> | null = null;
  queue: StreamEvent[] = [];
  done = false;
  startedAt = performance.now();
  firstTokenAt: number | null = null;
  deltas = 0;

  constructor(
    readonly id: number,
    readonly channelId: number,
    readonly answer: MessageView,
    readonly conversation: Conversation & { last_model: string | null },
    readonly plan: ReturnType<typeof pickAnswer>,
  ) {
    if (plan.thinking) for (const text of deltas(plan.thinking)) this.queue.push({ type: "thinking", text });
    for (const text of deltas(plan.content)) this.queue.push({ type: "text", text });
  }

  private post(event: StreamEvent, saved?: Saved): void {
    const message: StreamMessage = { seq: ++this.seq, ...event, stats: saved?.stats ?? this.numbers(null), ...(saved ? { saved } : {}) };
    (window as unknown as { __TAURI_INTERNALS__: Internals }).__TAURI_INTERNALS__.runCallback(this.channelId, { index: this.index++, message });
  }

  start(): void {
    this.timer = setTimeout(() => {
      this.post({ type: "start", id: `resp_${this.id}`, model: this.answer.model?.split("/")[1] ?? null });
      this.tick();
    }, config.tickMs * 3);
  }

  private tick(): void {
    if (this.done) return;
    const next = this.queue.shift();
    if (!next) {
      this.finish(this.plan.error ? "error" : "done");
      return;
    }
    this.firstTokenAt ??= performance.now();
    this.deltas++;
    if (next.type === "thinking") this.answer.thinking += next.text;
    if (next.type === "text") this.text += next.text;
    this.post(next);
    this.timer = setTimeout(() => this.tick(), this.plan.slow ? config.tickMs * 2 : config.tickMs);
  }

  stop(): void {
    if (!this.done) this.finish("stopped");
  }

  /** The answer's numbers so far, as Rust sends them with each message. */
  private numbers(finish: string | null): Stats {
    const duration = performance.now() - this.startedAt;
    const ttft = this.firstTokenAt ? this.firstTokenAt - this.startedAt : null;
    return {
      ttft_ms: ttft === null ? null : Math.round(ttft),
      tokens_per_sec: this.deltas && duration > 0 ? (this.deltas * 2) / (duration / 1000) : null,
      output_tokens: this.deltas * 2,
      tokens_estimated: this.answer.model?.startsWith("demo/") ?? false,
      input_tokens: 24,
      duration_ms: Math.round(duration),
      finish_reason: finish,
    };
  }

  private finish(state: "done" | "stopped" | "error"): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    const a = this.answer;
    a.content = this.text;
    a.state = state;
    a.error = state === "error" ? this.plan.error ?? null : null;
    a.stats = this.numbers(state === "done" ? "stop" : null);
    this.post({ type: "usage", input_tokens: 24, output_tokens: this.deltas * 2 });
    this.conversation.updated_at = Date.now();
    // Like the Rust side: the ending carries what was saved and leaves the text to the deltas.
    const saved: Saved = { id: a.id, state, error: structuredClone(a.error), stats: structuredClone(a.stats) };
    const ending: StreamEvent =
      state === "done"
        ? { type: "finish", reason: "stop", raw_reason: "stop" }
        : state === "stopped"
          ? { type: "stopped" }
          : { type: "error", ...streamError(this.plan.error as UiError) };
    this.post(ending, saved);
    (window as unknown as { __TAURI_INTERNALS__: Internals }).__TAURI_INTERNALS__.runCallback(this.channelId, { index: this.index++, end: true });
    streams.delete(this.id);
  }
}

/**
 * Saves the person's `text` (none for a regenerate) and streams the answer to the last user
 * message. The `replaced` messages (what a regenerate or an edit answers anew) leave the
 * conversation: the mock keeps no versions (Rust's tree, versions.rs, is tested in
 * tests/commands.rs and the real window).
 */
function startTurn(conversationId: number, text: string | null, model: string, channel: { id: number }, replaced: MessageView[] = []): Turn {
  const c = conversations.get(conversationId);
  if (!c) throw err("not_found", "That conversation no longer exists.");
  if (typeof model !== "string" || !model.includes("/")) throw err("invalid_input", "Choose a model first.");
  const p = findProvider(model.split("/")[0]);
  if (!available(p)) throw err("authentication", `No API key for ${p.name}.`, { status: 401 });
  c.messages = c.messages.filter((m) => !replaced.includes(m));
  if (text !== null) {
    c.messages.push(message(c.id, Role.user, text, null, Date.now()));
    if (c.title === "New conversation") c.title = text;
  }
  const user = [...c.messages].reverse().find((m) => m.role === Role.user);
  if (!user) throw err("invalid_input", "Nothing to answer.");
  const answer = message(c.id, Role.assistant, "", model, Date.now());
  answer.state = "streaming";
  c.messages.push(answer);
  c.last_model = model;
  lastModel = model;
  return startStream(c, user, answer, channel, pickAnswer(user.content));
}

/** Streams `plan` into `answer` (saved, streaming) over `channel`. */
function startStream(
  c: Conversation & { last_model: string | null },
  user: MessageView,
  answer: MessageView,
  channel: { id: number },
  plan: ReturnType<typeof pickAnswer>,
): Turn {
  c.updated_at = Date.now();
  mockState.sentModels.push(answer.model ?? "");
  mockState.streams++;
  const id = nextStream++;
  const stream = new Stream(id, channel.id, answer, c, plan);
  streams.set(id, stream);
  stream.start();
  return { user: structuredClone(user), assistant: structuredClone(answer), stream_id: id, deleted: [] };
}

// ---- compare runs -----------------------------------------------------------------------------

/**
 * A column's answer depends on its model: "mistral" fails at once with a rate limit (a Retry
 * succeeds), "qwen" answers long and slowly, any other model the short answer.
 */
function pickColumn(model: string, retried: boolean): ReturnType<typeof pickAnswer> {
  if (model.includes("mistral") && !retried) return { content: "", error: pickAnswer("error").error };
  if (model.includes("qwen")) return { content: ANSWER_LONG, slow: true };
  return { content: ANSWER_DEFAULT };
}

function compareRun(id: unknown): Conversation & { last_model: string | null } {
  const c = conversations.get(Number(id));
  if (!c || c.kind !== "compare") throw err("invalid_input", "That is not a compare run.");
  return c;
}

function column(c: Conversation, id: unknown): MessageView {
  const found = c.messages.find((m) => m.id === Number(id) && m.role === Role.assistant);
  if (!found) throw err("not_found", "No such column.");
  return found;
}

const compareCommands: Record<string, (a: Args) => unknown> = {
  create_compare: (a) => {
    const prompt = String(a.prompt);
    const models = a.models as string[];
    const id = nextId++;
    const at = Date.now();
    const c: Conversation & { last_model: string | null } = { id, title: prompt, kind: "compare", created_at: at, updated_at: at, last_model: models[0], messages: [message(id, Role.user, prompt, null, at)] };
    conversations.set(id, c);
    return summary(c);
  },
  compare_column: (a) => {
    const c = compareRun(a.compare_id);
    const model = String(a.model);
    const answer = message(c.id, Role.assistant, "", model, Date.now());
    answer.state = "streaming";
    c.messages.push(answer);
    return startStream(c, c.messages[0], answer, a.on_event as { id: number }, pickColumn(model, false));
  },
  retry_column: (a) => {
    const c = compareRun(a.compare_id);
    const answer = column(c, a.message_id);
    Object.assign(answer, { content: "", thinking: "", state: "streaming", error: null, stats: null });
    return startStream(c, c.messages[0], answer, a.on_event as { id: number }, pickColumn(answer.model ?? "", true));
  },
  keep_answer: (a) => {
    const run = compareRun(a.compare_id);
    const kept = column(run, a.message_id);
    const id = nextId++;
    const at = Date.now();
    const chat: Conversation & { last_model: string | null } = {
      id,
      title: run.title,
      kind: "chat",
      created_at: at,
      updated_at: at,
      last_model: kept.model,
      messages: [message(id, Role.user, run.messages[0].content, null, at), { ...structuredClone(kept), id: nextId++, conversation_id: id }],
    };
    conversations.set(id, chat);
    lastModel = kept.model ?? lastModel;
    return summary(chat);
  },
};

// ---- commands ---------------------------------------------------------------------------------

type Args = Record<string, unknown>;

/** The window's panels as `set_layout` kept them (layout.rs). */
let layout = { sidebar_width: null as number | null, sidebar_open: true, inspector_width: null as number | null };

const commands: Record<string, (a: Args) => unknown> = {
  app_info: () => ({ version: "0.1.0", data_dir: "/tmp/runnel", first_run: config.firstRun, has_key: keys.size > 0, default_model: "demo/runnel-demo", gone_model: null, demo_provider: "demo", startup_problems: [] }),
  get_settings: () => ({ last_model: lastModel, recordings_keep_days: 30, layout }),
  set_layout: (a) => {
    const next = a.layout as typeof layout;
    const within = (width: number | null, min: number, max: number) => width === null || (width >= min && width <= max);
    if (!within(next.sidebar_width, 180, 480) || !within(next.inspector_width, 280, 900)) throw err("invalid_input", "A panel's width is out of bounds.");
    layout = { ...next };
    return layout;
  },
  model_catalog: () => catalog(),
  refresh_models: (a) => {
    const p = findProvider(a.provider);
    if (!available(p)) throw err("authentication", `No API key for ${p.name}.`, { status: 401 });
    return catalog().find((g) => g.id === p.id);
  },
  list_providers: () => providers.map(providerView),
  list_protocols: () => protocols,
  set_api_key: (a) => {
    const p = findProvider(a.provider);
    if (typeof a.key !== "string" || !a.key.trim()) throw err("invalid_input", "The key is empty.");
    keys.set(p.id, a.key);
    return providerView(p);
  },
  delete_api_key: (a) => {
    const p = findProvider(a.provider);
    keys.delete(p.id);
    return providerView(p);
  },
  test_provider: (a) => {
    const p = findProvider(a.provider);
    if (p.takes_key && p.key_required && !keys.has(p.id)) throw err("authentication", `No API key set for ${p.name}.`, { status: 401 });
    return { provider: p.id, name: p.name, models: p.models, available: true, local: p.local, hint: null };
  },
  add_custom_provider: (a) => {
    const name = String(a.name ?? "").trim();
    const base = String(a.base_url ?? "").trim();
    if (!name || !/^https?:\/\//.test(base)) throw err("invalid_input", "A name and an http(s) base URL are needed.");
    const id = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    // The protocol as the page chose it from list_protocols (Rust checks ids: tests/commands.rs).
    const p = view(id, name, String(a.protocol), base, { custom: true, takes_key: true, key_required: false, models: [] });
    providers.splice(providers.length - 1, 0, p);
    return providerView(p);
  },
  remove_custom_provider: (a) => {
    const i = providers.findIndex((p) => p.id === a.provider && p.custom);
    if (i < 0) throw err("not_found", "No such custom provider.");
    providers.splice(i, 1);
    keys.delete(String(a.provider));
    return null;
  },
  detect_local_servers: () => providers.filter((p) => p.id === "ollama").map(providerView),
  list_conversations: (a) => {
    const q = typeof a.query === "string" ? a.query.toLowerCase() : "";
    return [...conversations.values()]
      .filter((c) => !q || c.title.toLowerCase().includes(q) || c.messages.some((m) => m.content.toLowerCase().includes(q)))
      .sort((x, y) => y.updated_at - x.updated_at)
      .map(summary);
  },
  create_conversation: () => {
    const id = nextId++;
    const c: Conversation & { last_model: string | null } = { id, title: "New conversation", kind: "chat", created_at: Date.now(), updated_at: Date.now(), messages: [], last_model: null };
    conversations.set(id, c);
    return summary(c);
  },
  get_conversation: (a) => {
    const c = conversations.get(Number(a.id));
    if (!c) throw err("not_found", "That conversation no longer exists.");
    const { last_model: _ignored, ...rest } = c;
    return structuredClone(rest);
  },
  rename_conversation: (a) => {
    const c = conversations.get(Number(a.id));
    if (!c) throw err("not_found", "That conversation no longer exists.");
    c.title = String(a.title);
    return summary(c);
  },
  delete_conversation: (a) => {
    conversations.delete(Number(a.id));
    return null;
  },
  send_message: (a) => startTurn(Number(a.conversation_id), String(a.text), String(a.model), a.on_event as { id: number }),
  regenerate: (a) => {
    // It answers the last user message anew: what follows it is replaced.
    const messages = conversations.get(Number(a.conversation_id))?.messages ?? [];
    const last = messages.map((m) => m.role).lastIndexOf(Role.user);
    return startTurn(Number(a.conversation_id), null, String(a.model), a.on_event as { id: number }, last < 0 ? [] : messages.slice(last + 1));
  },
  edit_message: (a) => {
    const c = conversations.get(Number(a.conversation_id));
    if (!c) throw err("not_found", "That conversation no longer exists.");
    const i = c.messages.findIndex((m) => m.id === Number(a.message_id) && m.role === Role.user);
    if (i < 0) throw err("not_found", "That message no longer exists.");
    return startTurn(c.id, String(a.text), String(a.model), a.on_event as { id: number }, c.messages.slice(i));
  },
  stop_stream: (a) => {
    mockState.stops.push(Number(a.stream_id));
    streams.get(Number(a.stream_id))?.stop();
    return null;
  },
  ack_stream: (a) => {
    mockState.acks.push({ stream_id: Number(a.stream_id), seq: Number(a.seq) });
    return null;
  },
  stream_events: (a) => recordedStream(Number(a.message_id), Number(a.start), Number(a.count), String(a.filter ?? "")),
  open_link: (a) => {
    mockState.opened.push(String(a.url));
    return null;
  },

};

/**
 * An answer's recorded stream as `stream_events` gives it: an OpenAI Chat Completions stream of
 * one chunk per word of the answer, 40 ms apart, then `[DONE]`; `filter` keeps the rows whose
 * data holds each of its words.
 */
function recordedStream(messageId: number, start: number, count: number, filter: string): StreamEvents {
  const answer = [...conversations.values()].flatMap((c) => c.messages).find((m) => m.id === messageId && m.role === Role.assistant);
  if (!answer) throw err("not_found", "This answer has no recorded stream.");
  const words = answer.content.split(/(?<= )/);
  const all: EventRow[] = words.map((text, i) => {
    const data = JSON.stringify({ id: "chatcmpl-mock", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
    return { at_ms: 120 + 40 * i, event: "", bytes: data.length + 8, data, fields: [{ label: "content", value: JSON.stringify(text) }], decoded: [{ type: "text", text }] };
  });
  all.push({ at_ms: 120 + 40 * words.length, event: "", bytes: 14, data: "[DONE]", fields: [], decoded: [] });
  const terms = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const kept = all.filter((row) => terms.every((t) => row.data.toLowerCase().includes(t)));
  const stats: Stats = answer.stats ?? { ttft_ms: 120, tokens_per_sec: 25, output_tokens: words.length, tokens_estimated: false, input_tokens: 10, duration_ms: 40 * words.length, finish_reason: "stop" };
  const span = all[all.length - 1].at_ms;
  return {
    start,
    rows: kept.slice(start, start + count),
    total: kept.length,
    more: 0,
    summary: { protocol: "openai", model: answer.model, status: 200, events: all.length, bytes: all.reduce((n, r) => n + r.bytes, 0), ttfb_ms: 100, truncated: false, stats },
    timeline: { span_ms: span, events: [all.length], comments: [0], content: [words.length], longest_gap_ms: 40 },
  };
}

mockIPC((cmd, payload) => {
  const args = (payload ?? {}) as Args;
  const logged: Args = {};
  for (const [k, v] of Object.entries(args)) logged[k] = k === "on_event" ? "<channel>" : k === "key" ? "<redacted>" : v;
  mockState.calls.push({ cmd, args: logged });
  const handler = commands[cmd] ?? compareCommands[cmd];
  if (!handler) return Promise.reject(err("not_found", `Unknown command ${cmd}`));
  try {
    return Promise.resolve(handler(args));
  } catch (e) {
    return Promise.reject(e);
  }
});
