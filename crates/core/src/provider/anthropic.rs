//! Anthropic Messages (`POST {base}/v1/messages`).
//!
//! The stream is named events: `message_start`, `content_block_start`/`_delta`/`_stop`,
//! `message_delta` (stop reason, output tokens), `message_stop` (the terminator), `ping` and
//! `error`. Pings and event types this crate does not know are ignored, as the API asks.
//! Conversations are converted to Anthropic's shape: system messages go to the top-level `system`
//! field and turns alternate user/assistant, starting with the user.

use std::borrow::Cow;
use std::collections::HashMap;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::json;

use super::fields::{self, Field, exact, member, plain, plain_or};
use super::{EventDecoder, Finish, ModelInfo, Protocol, ProviderErrorBody, Quirks, Routes, Step, add_sampling, parse_json, parse_model_list, Framing, key_headers};
use crate::error::{ErrorKind, StreamError};
use crate::event::{FinishReason, StreamEvent, Usage};
use crate::keys::ApiKey;
use crate::request::{ChatRequest, Role};
use crate::sse::SseFrame;

/// The API version this decoder is written against.
const API_VERSION: &str = "2023-06-01";
/// Anthropic requires `max_tokens`; this is used when the request leaves it open.
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The Anthropic Messages protocol.
pub struct Anthropic;

impl Protocol for Anthropic {
    fn routes(&self) -> Routes {
        Routes {
            id: "anthropic",
            base_path: "",
            chat_path: "/v1/messages",
            models_path: "/v1/models",
        }
    }

    fn name(&self) -> &'static str {
        "Anthropic-style"
    }

    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        let mut headers = key_headers(key, HeaderName::from_static("x-api-key"), "", Framing::Sse);
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(API_VERSION),
        );
        headers
    }

    fn chat_body(&self, request: &ChatRequest, _quirks: &Quirks) -> serde_json::Value {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|message| message.role == Role::System && !message.content.is_empty())
            .map(|message| message.content.as_str())
            .collect();
        let options = &request.options;
        let mut body = json!({
            "model": request.model,
            "messages": alternate_turns(request),
            "max_tokens": options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            "stream": true,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        add_sampling(&mut body, options, "stop_sequences");
        body
    }

    fn decoder(&self) -> Box<dyn EventDecoder> {
        Box::new(AnthropicDecoder::default())
    }

    fn finish_reason(&self, raw: &str) -> FinishReason {
        match raw {
            "end_turn" | "stop_sequence" => FinishReason::Stop,
            "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
            "tool_use" => FinishReason::ToolCalls,
            "refusal" => FinishReason::ContentFilter,
            _ => FinishReason::Other, // pause_turn, and reasons added later
        }
    }

    fn error_kind(&self, error_type: &str) -> Option<ErrorKind> {
        Some(match error_type {
            "authentication_error" => ErrorKind::Authentication,
            "permission_error" => ErrorKind::Permission,
            "not_found_error" => ErrorKind::NotFound,
            "rate_limit_error" => ErrorKind::RateLimited,
            "overloaded_error" => ErrorKind::Overloaded,
            "invalid_request_error" | "request_too_large" => ErrorKind::InvalidRequest,
            "api_error" => ErrorKind::Server,
            _ => return None,
        })
    }

    /// `{ "data": [{ "type": "model", "id", "display_name", "created_at" }], "has_more", … }`.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, StreamError> {
        parse_model_list(body)
    }

    /// The event's `type` (the guides name events by it), then what that type carries: a
    /// message's `id` and `model`, a block's `index` and type, a delta's type and its `text`,
    /// `partial_json`, `thinking` or `signature` exactly, a `stop_reason`, `usage`, an error.
    fn describe(&self, frame: &SseFrame) -> Vec<Field> {
        let Some(event) = fields::object(&frame.data) else {
            return Vec::new();
        };
        let Some(event_type) = event.get("type").and_then(serde_json::Value::as_str) else {
            return fields::error(&event).into_iter().collect();
        };
        let mut shown = vec![Field::new("type", event_type)];
        let message = member(&event, "message");
        for key in ["id", "model"] {
            if let Some(value) = message.and_then(|message| message.get(key)) {
                shown.push(Field::new(key, plain(value)));
            }
        }
        if let Some(index) = event.get("index").filter(|index| index.is_number()) {
            shown.push(Field::new("index", index.to_string()));
        }
        if let Some(block) = member(&event, "content_block") {
            shown.push(Field::new("block", plain_or(block, "type", "(absent)")));
        }
        if let Some(delta) = member(&event, "delta") {
            if let Some(delta_type) = delta.get("type").and_then(serde_json::Value::as_str) {
                shown.push(Field::new("delta", delta_type));
            }
            for key in ["text", "partial_json", "thinking", "signature", "stop_reason"] {
                if let Some(value) = delta.get(key) {
                    shown.push(Field::new(key, exact(Some(value))));
                }
            }
        }
        if let Some(usage) = member(&event, "usage").or_else(|| message.and_then(|message| member(message, "usage"))) {
            let count = |key| plain_or(usage, key, "–");
            shown.push(Field::new(
                "usage",
                format!("{} in · {} out", count("input_tokens"), count("output_tokens")),
            ));
        }
        if let Some(error) = member(&event, "error") {
            let (kind, text) = (plain_or(error, "type", ""), plain_or(error, "message", ""));
            shown.push(Field::new("error", format!("{kind}: {text}")));
        }
        shown
    }
}

/// User and assistant turns, alternating and starting with the user: consecutive turns of one
/// role are joined, empty turns (an answer stopped before its first word) are dropped, and a
/// conversation that opens with the assistant gets a short user turn before it.
fn alternate_turns(request: &ChatRequest) -> Vec<serde_json::Value> {
    let mut turns: Vec<(&'static str, String)> = Vec::new();
    for message in &request.messages {
        let role = match message.role {
            Role::System => continue,
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        if message.content.trim().is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, text)) if *last == role => {
                text.push_str("\n\n");
                text.push_str(&message.content);
            }
            _ => turns.push((role, message.content.clone())),
        }
    }
    if turns.first().is_some_and(|(role, _)| *role == "assistant") {
        turns.insert(0, ("user", "(continuing the conversation)".to_owned()));
    }
    turns
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect()
}

#[derive(Default)]
struct AnthropicDecoder {
    usage: Usage,
    stop_reason: Option<String>,
    /// Content-block index → tool-call ordinal, for `tool_use` blocks.
    tool_calls: HashMap<u32, u32>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "type")]
    event_type: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct MessageStart<'a> {
    #[serde(borrow)]
    message: StartedMessage<'a>,
}

#[derive(Deserialize)]
struct StartedMessage<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    /// Prompt tokens read from the cache: not in `input_tokens`.
    cache_read_input_tokens: Option<u64>,
    /// Prompt tokens written to the cache: not in `input_tokens` either.
    cache_creation_input_tokens: Option<u64>,
}

impl WireUsage {
    /// The whole prompt's tokens, as other protocols count them: `input_tokens` leaves out those
    /// read from and written to the cache.
    fn prompt_tokens(&self) -> Option<u64> {
        let cache = self.cache_read_input_tokens.unwrap_or(0) + self.cache_creation_input_tokens.unwrap_or(0);
        self.input_tokens.map(|tokens| tokens + cache)
    }
}

/// A `content_block_start` (the block in `content_block`) or a `content_block_delta` (the piece
/// in `delta`): their types never overlap, so one reading serves both.
#[derive(Deserialize)]
struct BlockEvent<'a> {
    index: u32,
    #[serde(borrow, alias = "delta")]
    content_block: Piece<'a>,
}

#[derive(Deserialize)]
struct Piece<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    thinking: Option<Cow<'a, str>>,
    #[serde(borrow)]
    partial_json: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct MessageDelta<'a> {
    #[serde(borrow)]
    delta: MessageDeltaBody<'a>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct MessageDeltaBody<'a> {
    #[serde(borrow)]
    stop_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ErrorEvent<'a> {
    #[serde(borrow)]
    error: ProviderErrorBody<'a>,
}

fn non_empty(text: Option<Cow<'_, str>>) -> Option<String> {
    text.filter(|text| !text.is_empty()).map(Cow::into_owned)
}

impl AnthropicDecoder {
    /// A block starting or growing: text, thinking, or a tool call's id, name and arguments.
    fn block(&mut self, event: BlockEvent<'_>, out: &mut Vec<StreamEvent>) {
        let piece = event.content_block;
        match piece.kind.as_ref() {
            "text" | "text_delta" => {
                if let Some(text) = non_empty(piece.text) {
                    out.push(StreamEvent::TextDelta { text });
                }
            }
            "thinking" | "thinking_delta" => {
                if let Some(text) = non_empty(piece.thinking) {
                    out.push(StreamEvent::ThinkingDelta { text });
                }
            }
            "tool_use" | "server_tool_use" => {
                let ordinal = self.tool_calls.len() as u32;
                self.tool_calls.insert(event.index, ordinal);
                out.push(StreamEvent::ToolCallDelta {
                    index: ordinal,
                    id: piece.id.map(Cow::into_owned),
                    name: piece.name.map(Cow::into_owned),
                    arguments: String::new(),
                });
            }
            "input_json_delta" => {
                if let (Some(&index), Some(arguments)) =
                    (self.tool_calls.get(&event.index), non_empty(piece.partial_json))
                {
                    out.push(StreamEvent::ToolCallDelta {
                        index,
                        id: None,
                        name: None,
                        arguments,
                    });
                }
            }
            _ => {} // signature_delta, citations_delta, and block types added later
        }
    }
}

impl EventDecoder for AnthropicDecoder {
    fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError> {
        // The event name decides; a proxy that drops `event:` lines still sends `type` in the data.
        let owned_type;
        let event_type = if frame.event.is_empty() {
            let envelope: Envelope = parse_json(frame)?;
            owned_type = envelope.event_type.map(Cow::into_owned).unwrap_or_default();
            owned_type.as_str()
        } else {
            frame.event.as_str()
        };
        match event_type {
            "message_start" => {
                let start: MessageStart = parse_json(frame)?;
                let message = start.message;
                if let Some(usage) = message.usage {
                    self.usage.input_tokens = usage.prompt_tokens();
                    self.usage.output_tokens = usage.output_tokens;
                    self.usage.cached_input_tokens = usage.cache_read_input_tokens;
                }
                out.push(StreamEvent::Start {
                    response_id: message.id.map(Cow::into_owned),
                    model: message.model.map(Cow::into_owned),
                });
            }
            "content_block_start" | "content_block_delta" => self.block(parse_json(frame)?, out),
            "message_delta" => {
                let delta: MessageDelta = parse_json(frame)?;
                if let Some(reason) = delta.delta.stop_reason {
                    self.stop_reason = Some(reason.into_owned());
                }
                if let Some(usage) = delta.usage {
                    self.usage.input_tokens = usage.prompt_tokens().or(self.usage.input_tokens);
                    self.usage.output_tokens = usage.output_tokens.or(self.usage.output_tokens);
                    self.usage.cached_input_tokens = usage.cache_read_input_tokens.or(self.usage.cached_input_tokens);
                    out.push(StreamEvent::Usage(self.usage));
                }
            }
            "message_stop" => {
                return Ok(Step::Done(Finish::from_raw(&Anthropic, self.stop_reason.take())));
            }
            "error" => {
                let event: ErrorEvent = parse_json(frame)?;
                return Err(event.error.into_error(&Anthropic));
            }
            _ => {} // ping, content_block_stop, and event types added later
        }
        Ok(Step::More)
    }

    fn terminator(&self) -> &'static str {
        "event: message_stop"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Message;

    #[test]
    fn system_goes_top_level_and_turns_alternate_from_the_user() {
        let request = ChatRequest::new(
            "claude",
            vec![
                Message::system("be brief"),
                Message::assistant("Hello! How can I help?"),
                Message::user("one"),
                Message::user("two"),
                Message::assistant(""),
                Message::user("three"),
            ],
        );
        let body = Anthropic.chat_body(&request, &Quirks::default());
        assert_eq!(body["system"], "be brief");
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
        let roles: Vec<_> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
        assert_eq!(body["messages"][2]["content"], "one\n\ntwo\n\nthree");
    }

    #[test]
    fn tool_call_indexes_count_tool_blocks_only() {
        let mut decoder = AnthropicDecoder::default();
        let mut out = Vec::new();
        let frames = [
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#,
            ),
        ];
        for (event, data) in frames {
            let frame = SseFrame {
                event: event.into(),
                data: data.into(),
                ..SseFrame::default()
            };
            decoder.decode(&frame, &mut out).unwrap();
        }
        assert_eq!(
            out,
            vec![
                StreamEvent::ToolCallDelta {
                    index: 0,
                    id: Some("toolu_1".into()),
                    name: Some("get_weather".into()),
                    arguments: String::new()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    id: None,
                    name: None,
                    arguments: "{\"city\":".into()
                },
            ]
        );
    }

    #[test]
    fn cache_reads_and_writes_count_in_the_prompt_and_the_reads_are_its_cached_tokens() {
        let mut decoder = AnthropicDecoder::default();
        let mut out = Vec::new();
        let frames = [
            (
                "message_start",
                r#"{"type":"message_start","message":{"id":"m","model":"claude","usage":{"input_tokens":10,"cache_creation_input_tokens":20,"cache_read_input_tokens":300,"output_tokens":1}}}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}"#,
            ),
        ];
        for (event, data) in frames {
            let frame = SseFrame {
                event: event.into(),
                data: data.into(),
                ..SseFrame::default()
            };
            decoder.decode(&frame, &mut out).unwrap();
        }
        assert_eq!(
            out.last(),
            Some(&StreamEvent::Usage(Usage {
                input_tokens: Some(330),
                output_tokens: Some(42),
                cached_input_tokens: Some(300),
                ..Usage::default()
            }))
        );
    }

    #[test]
    fn anthropic_words_map_to_the_common_vocabulary() {
        assert_eq!(Anthropic.finish_reason("end_turn"), FinishReason::Stop);
        assert_eq!(Anthropic.finish_reason("stop_sequence"), FinishReason::Stop);
        assert_eq!(Anthropic.finish_reason("max_tokens"), FinishReason::Length);
        assert_eq!(Anthropic.finish_reason("tool_use"), FinishReason::ToolCalls);
        assert_eq!(Anthropic.finish_reason("refusal"), FinishReason::ContentFilter);
        assert_eq!(Anthropic.finish_reason("pause_turn"), FinishReason::Other);
        assert_eq!(Anthropic.error_kind("overloaded_error"), Some(ErrorKind::Overloaded));
        assert_eq!(Anthropic.error_kind("rate_limit_error"), Some(ErrorKind::RateLimited));
        assert_eq!(Anthropic.error_kind("rate_limit_exceeded"), None);
    }

    #[test]
    fn an_error_event_is_typed_by_its_error_type() {
        let frame = SseFrame {
            event: "error".into(),
            data: r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.into(),
            ..SseFrame::default()
        };
        let error = AnthropicDecoder::default().decode(&frame, &mut Vec::new()).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Overloaded);
        assert_eq!(error.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(error.message, "Overloaded");
    }

    /// What `describe` shows of `data`, as (label, value) pairs.
    fn described(data: &str) -> Vec<(String, String)> {
        let frame = SseFrame {
            data: data.into(),
            ..SseFrame::default()
        };
        Anthropic
            .describe(&frame)
            .into_iter()
            .map(|field| (field.label, field.value))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(label, value)| ((*label).into(), (*value).into()))
            .collect()
    }

    #[test]
    fn an_event_is_shown_by_its_type_and_what_that_type_carries() {
        assert_eq!(
            described(r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#),
            pairs(&[
                ("type", "content_block_delta"),
                ("index", "0"),
                ("delta", "text_delta"),
                ("text", r#""""#)
            ])
        );
        assert_eq!(
            described(
                r#"{"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":9,"output_tokens":1}}}"#
            ),
            pairs(&[
                ("type", "message_start"),
                ("id", "msg_1"),
                ("model", "claude"),
                ("usage", "9 in · 1 out")
            ])
        );
        assert_eq!(
            described(r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":12}}"#),
            pairs(&[
                ("type", "message_delta"),
                ("stop_reason", r#""end_turn""#),
                ("usage", "– in · 12 out")
            ])
        );
        assert_eq!(
            described(r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t"}}"#),
            pairs(&[("type", "content_block_start"), ("index", "1"), ("block", "tool_use")])
        );
        assert_eq!(
            described(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
            pairs(&[("type", "error"), ("error", "overloaded_error: Overloaded")])
        );
        assert_eq!(described(r#"{"type":"ping"}"#), pairs(&[("type", "ping")]));
        assert!(described("not json").is_empty());
    }

    #[test]
    fn events_without_names_are_typed_by_their_data() {
        let mut decoder = AnthropicDecoder::default();
        let mut out = Vec::new();
        let frame = SseFrame {
            data: r#"{"type":"message_stop"}"#.into(),
            ..SseFrame::default()
        };
        assert_eq!(
            decoder.decode(&frame, &mut out),
            Ok(Step::Done(Finish {
                reason: FinishReason::Stop,
                raw_reason: None
            }))
        );
        assert!(out.is_empty(), "the caller emits the Finish");
    }
}
