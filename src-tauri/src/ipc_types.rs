//! The serde types that cross IPC, exactly as docs/IPC.md describes them.

pub use runnel_core::inspect::EventRow;
use runnel_core::{Completion, FinishReason, Metrics, Outcome, Price, Role, StreamEvent};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::UiError;

/// Where an assistant message stands, in the words of the core's [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Still arriving.
    Streaming,
    /// Complete.
    Done,
    /// Stopped by the person; the text is what arrived.
    Stopped,
    /// Failed; the text is what arrived before the error.
    Error,
}

impl MessageState {
    /// The word stored in the database and sent to the page.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Streaming => "streaming",
            Self::Done => "done",
            Self::Stopped => "stopped",
            Self::Error => "error",
        }
    }

    /// The state an answer ending with `ending` is saved in (`None` while it streams).
    pub fn ending(ending: &StreamEvent) -> Option<Self> {
        match ending {
            StreamEvent::Finish { .. } => Some(Self::Done),
            StreamEvent::Stopped => Some(Self::Stopped),
            StreamEvent::Error(_) => Some(Self::Error),
            _ => None,
        }
    }

    /// Parses a stored word; unknown words read as errors rather than panics.
    pub fn parse(word: &str) -> Self {
        match word {
            "streaming" => Self::Streaming,
            "done" => Self::Done,
            "stopped" => Self::Stopped,
            _ => Self::Error,
        }
    }
}

/// A stream's numbers as the page shows them (under an answer, in the compare table and a live
/// column, in the inspector's summary): the core's `Metrics`, which define them, and how the
/// answer finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Stats {
    /// Milliseconds from the request to the first content event (`StreamEvent::is_content`).
    pub ttft_ms: Option<f64>,
    /// Output tokens per second from the first content event to the last event, the ending
    /// included; none under two tokens.
    pub tokens_per_sec: Option<f64>,
    /// Output tokens: the provider's count, else the content events counted.
    pub output_tokens: Option<u64>,
    /// True when `output_tokens` counts content events rather than the provider's usage.
    pub tokens_estimated: bool,
    /// Prompt tokens, when reported.
    pub input_tokens: Option<u64>,
    /// Milliseconds from the request to the last event.
    pub duration_ms: f64,
    /// The normalized finish reason, when the answer finished.
    pub finish_reason: Option<String>,
    /// Of the output tokens, those the model spent reasoning, when the provider counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reasoning_tokens: Option<u64>,
    /// Output tokens per second of the server's own generation time, when it reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub server_tokens_per_sec: Option<f64>,
    /// What the answer cost in US dollars, worked out by the core from the server's usage and
    /// the model's price when the answer was made; absent without either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cost_usd: Option<f64>,
}

impl Stats {
    /// The numbers `metrics` holds, for an answer that finished for `finish` (if it did).
    pub fn new(metrics: &Metrics, finish: Option<FinishReason>) -> Self {
        Self {
            ttft_ms: metrics.ttft_ms,
            tokens_per_sec: metrics.tokens_per_sec,
            output_tokens: metrics.output_tokens,
            tokens_estimated: metrics.tokens_estimated,
            input_tokens: metrics.input_tokens,
            duration_ms: metrics.duration_ms,
            finish_reason: finish.map(|reason| reason.as_str().to_owned()),
            reasoning_tokens: metrics.reasoning_tokens,
            server_tokens_per_sec: metrics.server_tokens_per_sec,
            cost_usd: metrics.cost_usd,
        }
    }
}

impl From<&Completion> for Stats {
    fn from(completion: &Completion) -> Self {
        let finish = match &completion.outcome {
            Outcome::Done { reason, .. } => Some(*reason),
            _ => None,
        };
        Self::new(&completion.metrics, finish)
    }
}

/// One message of a stream's channel: the core's event, numbered for acks. Its JSON is the
/// event's own (the CLI's `--events` shape) with `seq` beside `type`, the answer's numbers so far
/// in `stats`, and `saved` on the ending.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StreamMessage {
    /// Order of this message in its stream, from 1.
    pub seq: u64,
    /// The event: a delta (deltas of one kind may be coalesced), or the ending.
    #[serde(flatten)]
    pub event: StreamEvent,
    /// The answer's numbers as the core counted them when the message was sent (its time to first
    /// token is set from the first message carrying content); absent when no stream started.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stats: Option<Stats>,
    /// Only on the ending (`finish`, `error`, `stopped`): the answer as saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub saved: Option<Saved>,
}

/// What the page needs of an ended answer's save; its text is what the deltas carried.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Saved {
    /// The saved message's id.
    pub id: i64,
    /// Its state: the ending's, or `error` when it could not be saved.
    pub state: MessageState,
    /// Why it failed: the stream's error, or a `storage` error when it could not be saved.
    pub error: Option<UiError>,
    /// Its numbers.
    pub stats: Option<Stats>,
}

impl From<&MessageView> for Saved {
    fn from(message: &MessageView) -> Self {
        Self {
            id: message.id,
            state: message.state,
            error: message.error.clone(),
            stats: message.stats.clone(),
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessageView {
    /// Its id.
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Who wrote it: the person or a model (never `system`: the history keeps no system messages).
    pub role: Role,
    /// Its text.
    pub content: String,
    /// The model's reasoning, if any.
    pub thinking: String,
    /// `provider/model` that wrote it (assistant messages).
    pub model: Option<String>,
    /// Where it stands.
    pub state: MessageState,
    /// Why it failed, for `state: error`.
    pub error: Option<UiError>,
    /// Its numbers, once ended.
    pub stats: Option<Stats>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// For an answer of a chat's conversation (`get_conversation`, a `Turn`): the versions of its
    /// turn (`show_version` switches). `None` for the person's messages, compare columns and
    /// a message read alone.
    #[serde(default)]
    pub versions: Option<Versions>,
}

/// The versions of an answer's turn (docs/VERSIONS.md): every answer to its user message and
/// to that message's edits, in the order they were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Versions {
    /// Which of them this answer is, from 1.
    pub index: u32,
    /// Their ids, oldest first: `show_version` with one of them shows it.
    pub answers: Vec<i64>,
}

/// What a conversation of the history is: a chat, or a compare run (one prompt, one answer per
/// model, each a column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// A conversation: turns of the person and answers.
    Chat,
    /// A compare run: its one user message is the prompt, each answer a model's column.
    Compare,
}

impl ConversationKind {
    /// The word stored in the database and sent to the page.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Compare => "compare",
        }
    }

    /// Parses a stored word (the schema allows only these two).
    pub fn parse(word: &str) -> Self {
        if word == "compare" { Self::Compare } else { Self::Chat }
    }
}

/// A conversation in the sidebar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConversationSummary {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Unix milliseconds of the last change.
    pub updated_at: i64,
    /// The model of its last answer.
    pub last_model: Option<String>,
    /// A chat or a compare run.
    pub kind: ConversationKind,
}

/// A conversation with its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Conversation {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// A chat or a compare run (whose answers are its columns).
    pub kind: ConversationKind,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub updated_at: i64,
    /// The messages shown, oldest first: a chat's, the path of its tree that takes each turn's
    /// version chosen last (docs/VERSIONS.md); a compare run's, all of them.
    pub messages: Vec<MessageView>,
}

/// What a conversation is exported as (`export_conversation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Markdown, for people: the turns shown, each answer's model and stats.
    Markdown,
    /// JSON of docs/EXPORT.md: every message and version, for `import_conversation`.
    Json,
}

/// A conversation written to the downloads folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExportedFile {
    /// The file's path.
    pub path: String,
    /// What `show_exported_file` takes to show its folder.
    pub id: u64,
}

/// Where a provider's key comes from (never the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Stored in the OS keychain.
    Keychain,
    /// From the provider's env var.
    Env,
    /// None.
    None,
    /// The keychain cannot be reached.
    Unavailable,
}

impl KeyState {
    /// True when a key is there to send (from the keychain or the env var).
    pub fn is_set(self) -> bool {
        matches!(self, Self::Keychain | Self::Env)
    }
}

/// A provider as the page shows it: a group of the model picker and a row of Settings. Never
/// carries a key, only where one comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProviderView {
    /// Provider id.
    pub id: String,
    /// Provider name.
    pub name: String,
    /// The protocol it speaks.
    pub protocol: ProtocolId,
    /// The protocols a person may choose for it (`set_provider_protocol`), the one it speaks
    /// among them; empty when it speaks only one.
    pub protocols: Vec<ProtocolView>,
    /// Its base URL.
    pub base_url: String,
    /// Added by the person in Settings; removable.
    pub custom: bool,
    /// Runs on this machine (answers cost nothing and leave it).
    pub local: bool,
    /// A local server looked for at its base URL (at start-up and by `detect_local_servers`).
    pub detectable: bool,
    /// Shows a key field.
    pub takes_key: bool,
    /// Fails without a key.
    pub key_required: bool,
    /// Where its key comes from.
    pub key: KeyState,
    /// The env var its key may come from.
    pub key_env: Option<String>,
    /// Its models (live when fetched, else its own list), without the provider prefix.
    pub models: Vec<String>,
    /// The prices of its models (each of `models`, then any other priced one), as the core
    /// resolved them: Settings' over the catalog's.
    pub prices: Vec<ModelPrice>,
    /// It can answer now: a key is set or none is needed.
    pub available: bool,
    /// Why it cannot answer, when it cannot.
    pub hint: Option<String>,
}

/// A model's price as Settings shows it (US dollars per million tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ModelPrice {
    /// The model's id, without the provider prefix.
    pub model: String,
    /// The price in use: the one set in Settings, else the catalog's (built in or the providers
    /// file), else none (its answers show no cost).
    pub price: Option<Price>,
    /// The catalog's price, whatever Settings set.
    pub written: Option<Price>,
    /// True when the price in use was set in Settings (`set_model_price`).
    pub set: bool,
    /// The day the catalog's price was published (`YYYY-MM-DD`), when it has one.
    pub as_of: Option<String>,
}

/// A wire protocol's id, as `add_custom_provider` takes it and `ProviderView::protocol` names
/// it: one of the core's registry (`PROTOCOLS`), learned through `list_protocols` (the page
/// writes none of its own), and checked by the core wherever one comes in. An open set, not a
/// union of today's ids: a protocol is added in the core alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProtocolId(pub String);

/// A wire protocol a provider may speak, as the page offers it for a new endpoint: from the
/// core's registry (`PROTOCOLS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProtocolView {
    /// Its id.
    pub id: ProtocolId,
    /// What people call a server speaking it, from the protocol itself (`Protocol::name`).
    pub name: String,
}

impl ProtocolView {
    /// How the page shows `protocol`.
    pub fn of(protocol: &dyn runnel_core::provider::Protocol) -> Self {
        Self {
            id: ProtocolId(protocol.id().to_owned()),
            name: protocol.name().to_owned(),
        }
    }
}

/// What `send_message`, `regenerate` and `edit_message` return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Turn {
    /// The user message answered.
    pub user: MessageView,
    /// The answer, streaming (or already failed).
    pub assistant: MessageView,
    /// The id to stop or ack the stream by.
    pub stream_id: u64,
    /// The messages deleted before the answer started: a regenerate's answer without text (a
    /// version with nothing to keep). Every other earlier answer stays, a version of the turn.
    pub deleted: Vec<i64>,
}

/// Facts the page needs at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppInfo {
    /// The app's version.
    pub version: String,
    /// Where history is kept.
    pub data_dir: String,
    /// No conversation exists yet.
    pub first_run: bool,
    /// Some provider has a key.
    pub has_key: bool,
    /// The model a new conversation starts on: the last one picked, or the offline demo's when
    /// that one's provider no longer exists.
    pub default_model: String,
    /// The last model picked when it no longer exists (its provider removed from the providers
    /// file, the file broken, its endpoint removed) and `default_model` replaces it: the page
    /// says so.
    pub gone_model: Option<String>,
    /// The id of the offline demo provider, which answers without a key (the page suggests a
    /// key while it is chosen).
    pub demo_provider: String,
    /// What went wrong at start-up (the page shows a banner for each); usually empty.
    pub startup_problems: Vec<StartupProblem>,
}

/// Settings the page reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Settings {
    /// The last model picked, `provider/model` (the demo's when that one's provider no longer
    /// exists: `AppInfo::gone_model`).
    pub last_model: String,
    /// Days an answer's recorded stream is kept (the inspector's history); 0 keeps none.
    pub recordings_keep_days: u32,
    /// The window's panels as they were left.
    pub layout: Layout,
}

/// The window's panels as they were left (`set_layout`; bounds in layout.rs, generated for the
/// page as `PANEL_WIDTHS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Layout {
    /// The sidebar's width in CSS pixels; `None`: the default.
    pub sidebar_width: Option<u32>,
    /// The sidebar is shown.
    pub sidebar_open: bool,
    /// The stream inspector's width in CSS pixels; `None`: the default.
    pub inspector_width: Option<u32>,
}

/// What the inspector says of a stream above its rows: where it came from, its size, and its
/// numbers (an answer's saved stats, else counted by the core from the recording).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StreamSummary {
    /// The id of the protocol spoken.
    pub protocol: ProtocolId,
    /// The model asked for.
    pub model: Option<String>,
    /// The response's HTTP status (`None` while an answer streams).
    pub status: Option<u16>,
    /// SSE events and comment lines: the rows kept and the events past the inspector's bound.
    pub events: u64,
    /// Bytes of body received.
    pub bytes: u64,
    /// Milliseconds to the first byte of the body.
    pub ttfb_ms: Option<f64>,
    /// True when the body passed the recording limit and only its start was kept.
    pub truncated: bool,
    /// Its numbers: an answer's, those saved under it; a file's, or a live answer's so far,
    /// counted by the core from the recording.
    pub stats: Stats,
}

/// A window of a recorded stream's inspector rows (`stream_events`, `open_stream_file`): the
/// rows asked for, how many there are, and the stream's summary and timeline.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StreamEvents {
    /// The position of the first of `rows` among the rows that pass the filter.
    pub start: u64,
    /// The rows from `start` on, in order: at most the count asked for.
    pub rows: Vec<EventRow>,
    /// The rows that pass the filter: every row kept when there is none. Rows are kept up to
    /// `Limits::inspector_rows`.
    pub total: u64,
    /// Events past the inspector's bound (`Limits::inspector_rows`): counted, no row built (the
    /// filter does not apply to them).
    pub more: u64,
    /// The stream's numbers.
    pub summary: StreamSummary,
    /// The rows kept, per slice of time, for the chart.
    pub timeline: Timeline,
}

/// The inspector's chart of a stream: its rows counted per slice of time (every slice the same
/// length, the last ending at the last row), so it is small whatever the number of rows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Timeline {
    /// Where the time axis ends: the last row's arrival, ms (at least 1).
    pub span_ms: f64,
    /// Events per slice, comment lines apart.
    pub events: Vec<u32>,
    /// Comment lines per slice.
    pub comments: Vec<u32>,
    /// Content events (the core's `StreamEvent::is_content`) per slice.
    pub content: Vec<u32>,
    /// The longest silence between two rows, ms.
    pub longest_gap_ms: f64,
}

/// A batch of a running answer's inspector rows (`inspect_stream`), with the stream's summary and
/// timeline so far.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LiveRows {
    /// The next rows, in order (none once the bound is reached).
    pub rows: Vec<EventRow>,
    /// Events so far past the inspector's bound (`Limits::inspector_rows`): counted, no row built.
    pub more: u64,
    /// The stream's summary so far.
    pub summary: StreamSummary,
    /// Every row so far, per slice of time.
    pub timeline: Timeline,
}

/// A start-up problem as the page receives it (`AppInfo.startup_problems`, docs/IPC.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StartupProblem {
    /// `providers_file`, `history_unavailable`, `database_too_new` or `database_corrupt`.
    pub kind: String,
    /// What failed, a sentence naming the file.
    pub message: String,
    /// What to do, and what works meanwhile.
    pub action: String,
    /// The file or folder concerned.
    pub path: String,
    /// For `providers_file`: the line of the mistake (1-based).
    pub line: Option<usize>,
    /// For `providers_file`: its column (1-based).
    pub column: Option<usize>,
}
