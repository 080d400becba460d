//! Wire protocols: how a request is written, how a provider's SSE frames become
//! [`StreamEvent`]s, the provider's own words (finish reasons, error types, model lists), and what
//! an inspector shows of each of its events ([`Protocol::describe`], [`Field`]).
//!
//! A protocol is one file in this folder and one line in the `protocols!` list below, which
//! declares its module and puts it in [`PROTOCOLS`]; everything it knows lives behind
//! [`Protocol`], and the helpers here serve every protocol that shares a shape
//! (docs/adding-a-provider.md; `tests/adding_a_protocol.rs` proves it with a toy protocol).
//! [`Endpoint`](crate::Endpoint) takes any `&'static dyn Protocol`, so a protocol defined
//! outside this crate (a test's) runs through the same engine. Vendors that speak an existing
//! protocol (Ollama, Groq, OpenRouter, …) are not code at all: they are entries of the
//! [`crate::catalog`].

mod fields;
mod json_scan;

pub use fields::Field;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, StreamError};
use crate::event::{FinishReason, StreamEvent};
use crate::keys::ApiKey;
use crate::request::{ChatOptions, ChatRequest, Message, Role};
use crate::sse::SseFrame;

/// Declares each protocol's module and builds [`PROTOCOLS`] from one list of `module => Type`
/// lines, so that registering a protocol is one line of that list and nothing else.
macro_rules! protocols {
    ($($module:ident => $protocol:ident,)+) => {
        $(mod $module;)+

        /// Every wire protocol Runnel speaks, in the order of the list in `provider/mod.rs`.
        /// Adding one: a file in this folder (`NAME.rs`) and a line `NAME => Type,` in that list.
        pub static PROTOCOLS: &[&dyn Protocol] = &[$(&$module::$protocol),+];
    };
}

// The registry: one line a protocol, `module => its Protocol type`.
protocols! {
    openai => OpenAi,
    anthropic => Anthropic,
    openai_responses => OpenAiResponses,
    gemini => Gemini,
    ollama => Ollama,
}

/// Looks up a protocol by its id (`openai`, `anthropic`).
pub fn protocol(id: &str) -> Option<&'static dyn Protocol> {
    PROTOCOLS.iter().copied().find(|protocol| protocol.id() == id)
}

/// A provider's wire protocol: URLs, headers, request body and stream decoding, and the
/// provider's vocabulary (finish reasons, error types, the model list's shape).
pub trait Protocol: Send + Sync {
    /// Its id and where its endpoints are.
    fn routes(&self) -> Routes;
    /// The protocol's id, as provider definitions and settings name it.
    fn id(&self) -> &'static str {
        self.routes().id
    }
    /// What people call a server speaking it, for choosing one (`OpenAI-compatible`).
    fn name(&self) -> &'static str;
    /// The chat endpoint under `base_url` for `request` (a protocol that names the model in the
    /// path reads it from there; the default is the same URL for every request).
    fn chat_url(&self, base_url: &str, request: &ChatRequest) -> String {
        let _ = request;
        format!("{base_url}{}", self.routes().chat_path)
    }
    /// The model-list endpoint under `base_url`.
    fn models_url(&self, base_url: &str) -> String {
        format!("{base_url}{}", self.routes().models_path)
    }
    /// The next page of a paged model list, from a page's `body` (its next-page token), or
    /// `None` when that page was the last; the default reads one page. The engine follows at
    /// most [`MODEL_LIST_PAGES`] pages.
    fn next_models_url(&self, base_url: &str, body: &[u8]) -> Option<String> {
        let _ = (base_url, body);
        None
    }
    /// The reason a failed response's `body` gives, where it is more specific than its error
    /// object's `type`, `code` or `status` (a reason among an error's details): it is then the
    /// error's type, read by [`error_kind`](Self::error_kind); the default reads none.
    fn error_reason(&self, body: &[u8]) -> Option<String> {
        let _ = body;
        None
    }
    /// Seconds to wait before retrying, as a failed response's `body` says it (for a provider
    /// that puts it there rather than in a `retry-after` header, which wins when both are
    /// present); the default reads none.
    fn retry_after(&self, body: &[u8]) -> Option<f64> {
        let _ = body;
        None
    }
    /// The headers every request carries: authentication (marked sensitive) and versions.
    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap;
    /// The JSON body of a streaming chat request.
    fn chat_body(&self, request: &ChatRequest, quirks: &Quirks) -> serde_json::Value;
    /// A fresh decoder for one stream.
    fn decoder(&self) -> Box<dyn EventDecoder>;
    /// The common word for the provider's finish or stop reason (`end_turn` → `stop`);
    /// [`FinishReason::Other`] for one this protocol does not know.
    fn finish_reason(&self, raw: &str) -> FinishReason;
    /// The kind a provider's error type or code stands for (`rate_limit_exceeded` →
    /// `rate_limited`), if this protocol knows it. Used for errors inside a stream and to refine
    /// an HTTP status (see [`crate::http_error`]).
    fn error_kind(&self, error_type: &str) -> Option<ErrorKind>;
    /// The models a model-list response (from [`models_url`](Self::models_url)) names, in the
    /// provider's order.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, StreamError>;
    /// What an inspector shows of one of this protocol's events, as its SDK guides print it: the
    /// event's name where the guides give it one, and the fields they print for that event
    /// (values exact where they must be: an absent, `null` and `""` delta differ). None for an
    /// event that carries nothing they name (a terminator, a ping's `{}`).
    fn describe(&self, frame: &SseFrame) -> Vec<Field>;
    /// How its response bodies are cut into events: SSE (the default) or one JSON object a line.
    fn framing(&self) -> Framing {
        Framing::Sse
    }
}

/// How a protocol's streaming body is cut into events ([`crate::body::BodyDecoder`] frames it so,
/// and hands each event to the protocol's [`EventDecoder`] as an [`SseFrame`]), and the content
/// type such a body comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// Server-sent events (`text/event-stream`, [`crate::sse`]).
    #[default]
    Sse,
    /// Newline-delimited JSON (`application/x-ndjson`, [`crate::ndjson`]): each line is an event
    /// whose `data` is the line, with no event name.
    Ndjson,
}

impl Framing {
    /// The content type a streaming body in this framing comes with (the one a server sends).
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Sse => "text/event-stream",
            Self::Ndjson => "application/x-ndjson",
        }
    }

    /// Whether a response's content type (its essence, parameters ignored, any case) says a body
    /// in this framing: its own type, and for NDJSON the registered `application/ndjson` too.
    pub fn accepts(self, content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let accepted: &[&str] = match self {
            Self::Sse => &["text/event-stream"],
            Self::Ndjson => &["application/x-ndjson", "application/ndjson"],
        };
        accepted.iter().any(|accepted| essence.eq_ignore_ascii_case(accepted))
    }
}

/// The most pages of a model list the engine reads ([`Protocol::next_models_url`]): a server
/// that always names a next page cannot keep it listing forever.
pub const MODEL_LIST_PAGES: usize = 50;

/// A protocol's id and the paths of its endpoints under a provider's base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routes {
    /// The protocol's id (`openai`, `anthropic`).
    pub id: &'static str,
    /// The path a base URL ends with on the provider's own server, as the SDKs take it (`/v1`
    /// for `https://api.openai.com/v1`, empty for `https://api.anthropic.com`): a loopback server
    /// speaking the protocol (`runnel replay`) serves the endpoints below under it.
    pub base_path: &'static str,
    /// The streaming chat endpoint (`/chat/completions`).
    pub chat_path: &'static str,
    /// The model list (`/models`).
    pub models_path: &'static str,
}

/// A model a provider offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The id to request it by.
    pub id: String,
}

/// Turns one provider's events (SSE frames, or NDJSON lines handed over as frames: see
/// [`Framing`]) into [`StreamEvent`]s, one stream at a time.
pub trait EventDecoder: Send {
    /// Decodes one frame, appending its events to `out`. `Ok(Step::Done(finish))` once the
    /// stream's terminator arrived, carrying how the answer ended: the caller emits the
    /// [`StreamEvent::Finish`], a decoder never pushes an ending. `Err` when the frame is an error
    /// or is malformed (events already pushed are kept).
    fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError>;
    /// The terminator this protocol expects, for the message of an incomplete stream.
    fn terminator(&self) -> &'static str;
}

/// Whether a stream goes on after a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// More frames are expected.
    More,
    /// The terminator arrived: the stream is complete, and ended this way.
    Done(Finish),
}

/// How a complete stream's answer ended: what its [`StreamEvent::Finish`] carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// The reason in the common vocabulary.
    pub reason: FinishReason,
    /// The provider's own word for it, when it gave one.
    pub raw_reason: Option<String>,
}

impl Finish {
    /// The ending for the provider's `raw_reason`, mapped by `protocol`; a terminator that came
    /// without a reason is a plain [`FinishReason::Stop`].
    pub fn from_raw(protocol: &dyn Protocol, raw_reason: Option<String>) -> Self {
        let reason = raw_reason
            .as_deref()
            .map_or(FinishReason::Stop, |raw| protocol.finish_reason(raw));
        Self { reason, raw_reason }
    }
}

impl From<Finish> for StreamEvent {
    fn from(finish: Finish) -> Self {
        Self::Finish {
            reason: finish.reason,
            raw_reason: finish.raw_reason,
        }
    }
}

/// Differences between servers that speak the same protocol (a provider definition's `quirks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quirks {
    /// The body field for the token limit (`max_completion_tokens` on OpenAI itself,
    /// `max_tokens` on compatible servers).
    pub max_tokens_field: TokenLimitField,
    /// Whether to ask for a usage report at the end of the stream.
    pub stream_usage: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            max_tokens_field: TokenLimitField::MaxTokens,
            stream_usage: true,
        }
    }
}

/// The request body field that carries the token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitField {
    /// `max_tokens`, as most servers name it.
    MaxTokens,
    /// `max_completion_tokens`, as OpenAI itself does.
    MaxCompletionTokens,
}

impl TokenLimitField {
    /// The field's name in the body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MaxTokens => "max_tokens",
            Self::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// Writes the sampling options every protocol writes alike: `temperature`, and the stop
/// sequences under `stop_field` (`stop`, `stop_sequences`).
pub(crate) fn add_sampling(body: &mut serde_json::Value, options: &ChatOptions, stop_field: &str) {
    if let Some(temperature) = options.temperature {
        body["temperature"] = serde_json::json!(temperature);
    }
    if !options.stop.is_empty() {
        body[stop_field] = serde_json::json!(options.stop);
    }
}

/// The headers every protocol sends: the key, if any, under `name` after `prefix` (marked
/// sensitive, [`ApiKey::header_value`]), and an `Accept` of `framing`'s content type.
pub(crate) fn key_headers(
    key: Option<&ApiKey>,
    name: reqwest::header::HeaderName,
    prefix: &str,
    framing: Framing,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = key.and_then(|key| key.header_value(prefix)) {
        headers.insert(name, value);
    }
    let accept = reqwest::header::HeaderValue::from_static(framing.content_type());
    headers.insert(reqwest::header::ACCEPT, accept);
    headers
}

/// A request's messages as the protocols that keep instructions apart from the turns take them
/// (Responses' `instructions`, Gemini's `systemInstruction`): the system messages' texts joined by
/// blank lines (`None` without any), and the other turns in order, an answer stopped before its
/// first word left out (the APIs refuse an empty turn).
pub(crate) fn instructions_and_turns(messages: &[Message]) -> (Option<String>, Vec<&Message>) {
    let (system, turns): (Vec<&Message>, Vec<&Message>) =
        messages.iter().partition(|message| message.role == Role::System);
    let instructions: Vec<&str> = system.iter().map(|message| message.content.as_str()).collect();
    let turns = turns
        .into_iter()
        .filter(|message| message.role != Role::Assistant || !message.content.trim().is_empty())
        .collect();
    ((!instructions.is_empty()).then(|| instructions.join("\n\n")), turns)
}

/// Parses a frame's JSON data into `T`, or names the frame in a protocol error.
pub fn parse_json<'a, T: Deserialize<'a>>(frame: &'a SseFrame) -> Result<T, StreamError> {
    serde_json::from_str(&frame.data).map_err(|error| {
        let shown = crate::redact::clip(&frame.data, 120);
        StreamError::protocol(format!("malformed `{}` event ({error}): {shown}", frame.name()))
    })
}

/// An error the provider reported inside the stream (an `error` event or object): `protocol`
/// maps its type to a kind, [`ErrorKind::Server`] when it names none it knows.
pub fn reported_error(protocol: &dyn Protocol, error_type: Option<&str>, message: Option<&str>) -> StreamError {
    let kind = error_type
        .and_then(|error_type| protocol.error_kind(error_type))
        .unwrap_or(ErrorKind::Server);
    let mut error = StreamError::new(kind, message.unwrap_or("the provider reported an error mid-stream"));
    error.error_type = error_type.map(str::to_owned);
    error
}

/// Parses the model-list shape OpenAI and Anthropic share, `{ "data": [{ "id": … }, …] }`
/// (other fields are ignored).
pub fn parse_model_list(body: &[u8]) -> Result<Vec<ModelInfo>, StreamError> {
    #[derive(Deserialize)]
    struct List {
        data: Vec<ModelInfo>,
    }
    serde_json::from_slice::<List>(body)
        .map(|list| list.data)
        .map_err(|error| StreamError::protocol(format!("the model list is not in the expected shape: {error}")))
}

/// The `error` object providers put in an error body or event: `{ "type", "message" }`
/// (OpenAI adds `code`; Google APIs write `{ "code": 429, "message", "status" }`, the status
/// being the error's name).
#[derive(Debug, Deserialize)]
pub(crate) struct ProviderErrorBody<'a> {
    #[serde(borrow, rename = "type")]
    pub error_type: Option<std::borrow::Cow<'a, str>>,
    pub code: Option<serde_json::Value>,
    #[serde(borrow)]
    pub message: Option<std::borrow::Cow<'a, str>>,
    /// Any string here is read; another shape of `status` is no reason to lose the error.
    #[serde(default, deserialize_with = "string_or_none")]
    pub status: Option<String>,
}

/// A string value, or `None` for a value of any other shape.
fn string_or_none<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => Some(text),
        _ => None,
    })
}

impl ProviderErrorBody<'_> {
    /// The provider's error type: the `type`, else a string `code`, else a string `status`.
    pub fn error_type(&self) -> Option<&str> {
        let code = self.code.as_ref().and_then(|code| code.as_str());
        self.error_type.as_deref().or(code).or(self.status.as_deref())
    }

    /// The typed error this object describes, its kind as `protocol` reads the type.
    pub fn into_error(self, protocol: &dyn Protocol) -> StreamError {
        reported_error(protocol, self.error_type(), self.message.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_protocol_is_found_by_its_id() {
        for registered in PROTOCOLS {
            assert_eq!(protocol(registered.id()).unwrap().id(), registered.id());
        }
        assert!(protocol("gopher").is_none());
    }

    #[test]
    fn a_terminator_without_a_reason_is_a_stop_and_unknown_words_are_other() {
        for registered in PROTOCOLS {
            assert_eq!(Finish::from_raw(*registered, None).reason, FinishReason::Stop);
            let unknown = Finish::from_raw(*registered, Some("gopher".into()));
            assert_eq!(unknown.reason, FinishReason::Other);
            assert_eq!(unknown.raw_reason.as_deref(), Some("gopher"));
            assert_eq!(registered.error_kind("gopher_error"), None);
        }
    }

    #[test]
    fn an_error_type_no_protocol_knows_is_a_server_error_keeping_the_type() {
        let error = reported_error(PROTOCOLS[0], Some("gopher_error"), None);
        assert_eq!(error.kind, ErrorKind::Server);
        assert_eq!(error.error_type.as_deref(), Some("gopher_error"));
        assert_eq!(error.message, "the provider reported an error mid-stream");
    }

    #[test]
    fn an_error_objects_type_is_its_type_else_a_string_code_else_a_string_status() {
        let type_of = |json: &str| {
            let body: ProviderErrorBody = serde_json::from_str(json).unwrap();
            body.error_type().map(str::to_owned)
        };
        assert_eq!(type_of(r#"{"type":"t","code":"c","status":"S"}"#).as_deref(), Some("t"));
        assert_eq!(type_of(r#"{"code":"c","status":"S"}"#).as_deref(), Some("c"));
        assert_eq!(
            type_of(r#"{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED"}"#).as_deref(),
            Some("RESOURCE_EXHAUSTED")
        );
        assert_eq!(type_of(r#"{"code":429,"status":{"x":1}}"#), None);
    }

    #[test]
    fn a_framing_accepts_its_content_types_whatever_their_case_and_parameters() {
        assert!(Framing::Sse.accepts("Text/Event-Stream; charset=utf-8"));
        assert!(!Framing::Sse.accepts("application/x-ndjson"));
        assert!(Framing::Ndjson.accepts(Framing::Ndjson.content_type()));
        assert!(Framing::Ndjson.accepts("application/ndjson; charset=utf-8"));
        assert!(!Framing::Ndjson.accepts("application/json"));
        assert_eq!(Framing::default(), Framing::Sse);
    }

    #[test]
    fn model_lists_are_read_by_their_ids() {
        let models = parse_model_list(br#"{"data":[{"id":"b","object":"model"},{"id":"a"}],"has_more":false}"#);
        let ids: Vec<_> = models.unwrap().into_iter().map(|model| model.id).collect();
        assert_eq!(ids, ["b", "a"]);
        let error = parse_model_list(br#"{"models":[]}"#).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Protocol);
    }
}
