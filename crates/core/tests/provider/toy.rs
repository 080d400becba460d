//! The toy protocol, written exactly as a protocol file in `crates/core/src/provider/` is (its
//! `super::` is the provider module, its `crate::` the core): `crates/core/tests/toy_protocol.rs`
//! includes it to run it unregistered, and `tests/adding_a_protocol.rs` drops it into a copy of
//! the workspace as `crates/core/src/provider/toy.rs` with one registry line, the way
//! docs/adding-a-provider.md says.
//!
//! `POST {base}/toy/chat` with `{ "model", "prompt" }`; the answer is `data: {"text": …}`
//! frames, then `data: {"end": REASON}` (the terminator); `data: {"error": TYPE, "message": …}` is
//! an error. `GET {base}/toy/models` answers a JSON array of ids.

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;
use serde_json::json;

use super::{EventDecoder, Field, Finish, ModelInfo, Protocol, Quirks, Routes, Step, parse_json, reported_error};
use crate::error::{ErrorKind, StreamError};
use crate::event::{FinishReason, StreamEvent};
use crate::keys::ApiKey;
use crate::request::{ChatRequest, Role};
use crate::sse::SseFrame;

/// The toy protocol.
pub struct Toy;

impl Protocol for Toy {
    fn routes(&self) -> Routes {
        Routes {
            id: "toy",
            base_path: "",
            chat_path: "/toy/chat",
            models_path: "/toy/models",
        }
    }

    fn name(&self) -> &'static str {
        "Toy"
    }

    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = key.and_then(|key| key.header_value("Toy ")) {
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    fn chat_body(&self, request: &ChatRequest, _quirks: &Quirks) -> serde_json::Value {
        let prompt = request
            .messages
            .iter()
            .rev()
            .find(|message| message.role == Role::User)
            .map_or("", |message| message.content.as_str());
        json!({ "model": request.model, "prompt": prompt })
    }

    fn decoder(&self) -> Box<dyn EventDecoder> {
        Box::new(ToyDecoder { started: false })
    }

    fn finish_reason(&self, raw: &str) -> FinishReason {
        match raw {
            "done" => FinishReason::Stop,
            "cut" => FinishReason::Length,
            _ => FinishReason::Other,
        }
    }

    fn error_kind(&self, error_type: &str) -> Option<ErrorKind> {
        match error_type {
            "busy" => Some(ErrorKind::Overloaded),
            "who_are_you" => Some(ErrorKind::Authentication),
            _ => None,
        }
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, StreamError> {
        let ids: Vec<String> = serde_json::from_slice(body)
            .map_err(|error| StreamError::protocol(format!("not a toy model list: {error}")))?;
        Ok(ids.into_iter().map(|id| ModelInfo { id }).collect())
    }

    /// A toy frame's text, or the reason it ends with.
    fn describe(&self, frame: &SseFrame) -> Vec<Field> {
        let Ok(toy) = serde_json::from_str::<ToyFrame>(&frame.data) else {
            return Vec::new();
        };
        [("text", toy.text), ("end", toy.end)]
            .into_iter()
            .filter_map(|(label, value)| value.map(|value| Field::new(label, value)))
            .collect()
    }
}

/// One toy stream's decoder: it has sent its `Start` once the first frame came.
struct ToyDecoder {
    started: bool,
}

/// Any toy frame: text, an ending, or an error.
#[derive(Deserialize)]
struct ToyFrame {
    text: Option<String>,
    end: Option<String>,
    error: Option<String>,
    message: Option<String>,
}

impl EventDecoder for ToyDecoder {
    fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError> {
        let toy: ToyFrame = parse_json(frame)?;
        if let Some(error_type) = toy.error {
            return Err(reported_error(&Toy, Some(&error_type), toy.message.as_deref()));
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                response_id: None,
                model: None,
            });
        }
        if let Some(text) = toy.text.filter(|text| !text.is_empty()) {
            out.push(StreamEvent::TextDelta { text });
        }
        match toy.end {
            Some(reason) => Ok(Step::Done(Finish::from_raw(&Toy, Some(reason)))),
            None => Ok(Step::More),
        }
    }

    fn terminator(&self) -> &'static str {
        r#"data: {"end": …}"#
    }
}
