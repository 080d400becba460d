//! Wire protocols: how a request is written and how a provider's SSE frames become
//! [`StreamEvent`]s.
//!
//! A protocol is one file in this folder and one line in [`PROTOCOLS`]. Vendors that speak an
//! existing protocol (Ollama, Groq, OpenRouter, …) are not code at all: they are presets, data in
//! [`crate::presets`].

mod anthropic;
mod openai;

use reqwest::header::HeaderMap;

use crate::error::StreamError;
use crate::event::{FinishReason, StreamEvent};
use crate::keys::ApiKey;
use crate::request::ChatRequest;
use crate::sse::SseFrame;

/// Every wire protocol Runnel speaks. Adding one: a file in this folder and a line here.
pub static PROTOCOLS: &[&dyn Protocol] = &[&openai::OpenAi, &anthropic::Anthropic];

/// Looks up a protocol by its id (`openai`, `anthropic`).
pub fn protocol(id: &str) -> Option<&'static dyn Protocol> {
    PROTOCOLS.iter().copied().find(|protocol| protocol.id() == id)
}

/// A provider's wire protocol: URLs, headers, request body and stream decoding.
pub trait Protocol: Send + Sync {
    /// The protocol's id, as named in presets and settings.
    fn id(&self) -> &'static str;
    /// The chat endpoint under `base_url`.
    fn chat_url(&self, base_url: &str) -> String;
    /// The model-list endpoint under `base_url`.
    fn models_url(&self, base_url: &str) -> String;
    /// The headers every request carries: authentication (marked sensitive) and versions.
    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap;
    /// The JSON body of a streaming chat request.
    fn chat_body(&self, request: &ChatRequest, quirks: &Quirks) -> serde_json::Value;
    /// A fresh decoder for one stream.
    fn decoder(&self) -> Box<dyn EventDecoder>;
}

/// Turns one provider's SSE frames into [`StreamEvent`]s, one stream at a time.
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

impl From<Finish> for StreamEvent {
    fn from(finish: Finish) -> Self {
        Self::Finish {
            reason: finish.reason,
            raw_reason: finish.raw_reason,
        }
    }
}

/// Differences between servers that speak the same protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    /// The body field for the token limit (`max_completion_tokens` on OpenAI itself,
    /// `max_tokens` on compatible servers).
    pub max_tokens_field: &'static str,
    /// Whether to ask for a usage report at the end of the stream.
    pub stream_usage: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            max_tokens_field: "max_tokens",
            stream_usage: true,
        }
    }
}

/// Parses a frame's JSON data into `T`, or names the frame in a protocol error.
pub(crate) fn parse_json<'a, T: serde::Deserialize<'a>>(frame: &'a SseFrame) -> Result<T, StreamError> {
    serde_json::from_str(&frame.data).map_err(|error| {
        let shown = crate::redact::clip(&frame.data, 120);
        StreamError::protocol(format!("malformed `{}` event ({error}): {shown}", frame.name()))
    })
}

/// The `error` object providers put in an error body or event: `{ "type", "message" }`
/// (OpenAI adds `code`).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ProviderErrorBody<'a> {
    #[serde(borrow, rename = "type")]
    pub error_type: Option<std::borrow::Cow<'a, str>>,
    pub code: Option<serde_json::Value>,
    #[serde(borrow)]
    pub message: Option<std::borrow::Cow<'a, str>>,
}

impl ProviderErrorBody<'_> {
    /// The typed error this object describes: the `type`, else a string `code`, decides the kind.
    pub fn into_error(self) -> StreamError {
        let code = self.code.as_ref().and_then(|code| code.as_str());
        let error_type = self.error_type.as_deref().or(code);
        StreamError::from_provider(error_type, self.message.as_deref())
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
}
