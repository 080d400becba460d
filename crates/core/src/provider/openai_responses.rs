//! OpenAI Responses (`POST {base}/responses`), the API through which OpenAI streams reasoning
//! summaries.
//!
//! The stream is typed events, each JSON object carrying its `type` and a `sequence_number`:
//! `response.created`, `response.output_item.added`/`.done`, `response.output_text.delta`,
//! `response.reasoning_summary_text.delta`, `response.refusal.delta`,
//! `response.function_call_arguments.delta`, and one ending: `response.completed`,
//! `response.incomplete` (its `incomplete_details.reason`) or `response.failed` (its `error`).
//! An `error` event comes flat (`{ "type": "error", "code", "message" }`, as documented) or with
//! the error nested (`{ "type": "error", "error": { … } }`, as the live API has sent it). There is
//! no `[DONE]`. Events are told apart by the data's `type`, as the SDKs do, so a stream whose
//! `event:` lines a proxy dropped reads the same; unknown events and fields are ignored.

use std::borrow::Cow;
use std::collections::HashMap;

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;
use serde_json::json;

use super::fields::{self, Field, exact, member, plain, plain_or};
use super::{EventDecoder, Finish, ModelInfo, Protocol, ProviderErrorBody, Quirks, Routes, Step, instructions_and_turns, parse_json, parse_model_list, reported_error, Framing, key_headers};
use crate::error::{ErrorKind, StreamError};
use crate::event::{FinishReason, StreamEvent, Usage};
use crate::keys::ApiKey;
use crate::request::ChatRequest;
use crate::sse::SseFrame;

/// The OpenAI Responses protocol.
pub struct OpenAiResponses;

impl Protocol for OpenAiResponses {
    fn routes(&self) -> Routes {
        Routes {
            id: "openai-responses",
            base_path: "/v1",
            chat_path: "/responses",
            models_path: "/models",
        }
    }

    fn name(&self) -> &'static str {
        "OpenAI Responses"
    }

    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        key_headers(key, AUTHORIZATION, "Bearer ", Framing::Sse)
    }

    /// System messages become `instructions` (joined by blank lines), the other turns `input`
    /// (an answer stopped before its first word is left out); the token limit is
    /// `max_output_tokens`. The API takes no stop sequences, so they are not sent. `store: false`:
    /// the conversation is kept here, not on the provider's servers (the API keeps a response 30
    /// days by default). A reasoning model ([`is_reasoning_model`]) is asked for its reasoning
    /// summary, the only reasoning the API streams; other models refuse the field.
    fn chat_body(&self, request: &ChatRequest, _quirks: &Quirks) -> serde_json::Value {
        let (instructions, turns) = instructions_and_turns(&request.messages);
        let input: Vec<serde_json::Value> = turns
            .iter()
            .map(|message| json!({ "role": message.role.as_str(), "content": message.content }))
            .collect();
        let mut body = json!({ "model": request.model, "input": input, "stream": true, "store": false });
        if is_reasoning_model(&request.model) {
            body["reasoning"] = json!({ "summary": "auto" });
        }
        if let Some(instructions) = instructions {
            body["instructions"] = json!(instructions);
        }
        let options = &request.options;
        if let Some(max_tokens) = options.max_tokens {
            body["max_output_tokens"] = json!(max_tokens);
        }
        if let Some(temperature) = options.temperature {
            body["temperature"] = json!(temperature);
        }
        body
    }

    fn decoder(&self) -> Box<dyn EventDecoder> {
        Box::new(ResponsesDecoder::default())
    }

    fn finish_reason(&self, raw: &str) -> FinishReason {
        // A response's `status` when it completed, or its `incomplete_details.reason`.
        match raw {
            "completed" => FinishReason::Stop,
            "max_output_tokens" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            _ => FinishReason::Other,
        }
    }

    fn error_kind(&self, error_type: &str) -> Option<ErrorKind> {
        // Error types and codes, of HTTP error bodies, `error` events and failed responses.
        Some(match error_type {
            "invalid_api_key" => ErrorKind::Authentication,
            "model_not_found" => ErrorKind::NotFound,
            "rate_limit_exceeded" | "insufficient_quota" | "tokens" | "requests" => ErrorKind::RateLimited,
            "server_is_overloaded" | "slow_down" => ErrorKind::Overloaded,
            "invalid_request_error" | "invalid_prompt" | "context_length_exceeded" => ErrorKind::InvalidRequest,
            "server_error" => ErrorKind::Server,
            _ => return None,
        })
    }

    /// `{ "object": "list", "data": [{ "id", … }] }`, as for Chat Completions.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, StreamError> {
        parse_model_list(body)
    }

    /// The event's `type` and `sequence_number`; for a response event the response's `id`,
    /// `model`, `status`, incomplete reason, `usage` (with reasoning tokens) and `error`; for an
    /// output item its index, type, `name` and `call_id`; for a delta its index and the `delta`
    /// exactly; for an `error` event its code and message, flat or nested.
    fn describe(&self, frame: &SseFrame) -> Vec<Field> {
        let Some(event) = fields::object(&frame.data) else {
            return Vec::new();
        };
        let mut shown = Vec::new();
        for key in ["type", "sequence_number"] {
            if let Some(value) = event.get(key) {
                shown.push(Field::new(key, plain(value)));
            }
        }
        if let Some(response) = member(&event, "response") {
            for key in ["id", "model", "status"] {
                if let Some(value) = response.get(key).filter(|value| !value.is_null()) {
                    shown.push(Field::new(key, plain(value)));
                }
            }
            if let Some(details) = member(response, "incomplete_details") {
                shown.push(Field::new("incomplete", plain_or(details, "reason", "?")));
            }
            if let Some(usage) = member(response, "usage") {
                let count = |key| plain_or(usage, key, "–");
                let reasoning = member(usage, "output_tokens_details")
                    .map_or_else(|| "–".to_owned(), |details| plain_or(details, "reasoning_tokens", "–"));
                shown.push(Field::new(
                    "usage",
                    format!(
                        "{} in · {} out ({reasoning} reasoning)",
                        count("input_tokens"),
                        count("output_tokens")
                    ),
                ));
            }
            shown.extend(fields::error(response));
        }
        if let Some(index) = event.get("output_index") {
            shown.push(Field::new("output_index", plain(index)));
        }
        if let Some(item) = member(&event, "item") {
            for (label, key) in [("item", "type"), ("name", "name"), ("call_id", "call_id")] {
                if let Some(value) = item.get(key) {
                    shown.push(Field::new(label, plain(value)));
                }
            }
        }
        if let Some(delta) = event.get("delta") {
            shown.push(Field::new("delta", exact(Some(delta))));
        }
        if event.get("type").and_then(serde_json::Value::as_str) == Some("error") {
            match fields::error(&event) {
                Some(nested) => shown.push(nested),
                None => {
                    let code = plain_or(&event, "code", "");
                    let message = plain_or(&event, "message", "");
                    shown.push(Field::new("error", format!("{code} {message}").trim()));
                }
            }
        }
        shown
    }
}

#[derive(Default)]
struct ResponsesDecoder {
    started: bool,
    /// Output index → (tool-call ordinal, whether its arguments came as deltas), for
    /// `function_call` items.
    tool_calls: HashMap<u64, (u32, bool)>,
}

/// Every event this decoder reads, as one shape: each type fills the fields it has.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, rename = "type")]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    delta: Option<Cow<'a, str>>,
    output_index: Option<u64>,
    #[serde(borrow)]
    item: Option<Item<'a>>,
    #[serde(borrow)]
    response: Option<Response<'a>>,
    // A flat `error` event's fields; a nested one has them in `error`.
    #[serde(borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error: Option<ProviderErrorBody<'a>>,
}

#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    call_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    incomplete_details: Option<IncompleteDetails<'a>>,
    usage: Option<WireUsage>,
    #[serde(borrow)]
    error: Option<ProviderErrorBody<'a>>,
}

#[derive(Deserialize)]
struct IncompleteDetails<'a> {
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    output_tokens_details: Option<OutputTokensDetails>,
    input_tokens_details: Option<InputTokensDetails>,
}

/// Of the prompt's tokens, the cached ones.
#[derive(Deserialize)]
struct InputTokensDetails {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct OutputTokensDetails {
    reasoning_tokens: Option<u64>,
}

/// The event types the decoder reads; any other is ignored, whatever its fields hold.
const READ: &[&str] = &[
    "error",
    "response.created",
    "response.in_progress",
    "response.output_text.delta",
    "response.reasoning_summary_text.delta",
    "response.refusal.delta",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.output_item.done",
    "response.completed",
    "response.incomplete",
    "response.failed",
];

/// Whether `frame` is an event the decoder reads (or not JSON with a `type` at all), so that
/// failing to read it is an error.
fn reads(frame: &SseFrame) -> bool {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, rename = "type")]
        event_type: Option<Cow<'a, str>>,
    }
    match serde_json::from_str::<Envelope>(&frame.data) {
        Ok(Envelope {
            event_type: Some(event_type),
        }) => READ.contains(&event_type.as_ref()),
        _ => true,
    }
}

/// OpenAI's reasoning models (the o-series from o3, GPT-5 and Codex), which take
/// `reasoning.summary`, by their ids' prefixes, dated or not (`o4-mini-2025-04-16`).
fn is_reasoning_model(model: &str) -> bool {
    ["o3", "o4", "gpt-5", "codex"].iter().any(|prefix| model.starts_with(prefix))
}

fn non_empty(text: Option<Cow<'_, str>>) -> Option<String> {
    text.filter(|text| !text.is_empty()).map(Cow::into_owned)
}

impl ResponsesDecoder {
    /// The stream's `Start`, once: with the response's id and model when the first event has them.
    fn start(&mut self, response: Option<&Response<'_>>, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                response_id: response.and_then(|r| r.id.clone()).map(Cow::into_owned),
                model: response.and_then(|r| r.model.clone()).map(Cow::into_owned),
            });
        }
    }

    /// A response's ending: its usage, then how it ended.
    fn end(&self, response: Option<Response<'_>>, raw: Option<String>, out: &mut Vec<StreamEvent>) -> Step {
        if let Some(usage) = response.and_then(|response| response.usage) {
            out.push(StreamEvent::Usage(Usage {
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
                reasoning_tokens: usage.output_tokens_details.and_then(|details| details.reasoning_tokens),
                cached_input_tokens: usage.input_tokens_details.and_then(|details| details.cached_tokens),
                generation_ns: None,
            }));
        }
        let mut finish = Finish::from_raw(&OpenAiResponses, raw);
        if finish.reason == FinishReason::Stop && !self.tool_calls.is_empty() {
            finish.reason = FinishReason::ToolCalls;
        }
        Step::Done(finish)
    }
}

impl EventDecoder for ResponsesDecoder {
    fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError> {
        let event: Event = match parse_json(frame) {
            Ok(event) => event,
            // An event of a type this decoder does not read may carry its fields in other shapes.
            Err(error) => return if reads(frame) { Err(error) } else { Ok(Step::More) },
        };
        let event_type = event.event_type.as_deref().unwrap_or_default();
        if event_type == "error" {
            let error = match event.error {
                Some(nested) => nested.into_error(&OpenAiResponses),
                None => reported_error(&OpenAiResponses, event.code.as_deref(), event.message.as_deref()),
            };
            return Err(error);
        }
        self.start(event.response.as_ref(), out);
        match event_type {
            "response.output_text.delta" => {
                if let Some(text) = non_empty(event.delta) {
                    out.push(StreamEvent::TextDelta { text });
                }
            }
            "response.reasoning_summary_text.delta" => {
                if let Some(text) = non_empty(event.delta) {
                    out.push(StreamEvent::ThinkingDelta { text });
                }
            }
            "response.refusal.delta" => {
                if let Some(text) = non_empty(event.delta) {
                    out.push(StreamEvent::RefusalDelta { text });
                }
            }
            "response.output_item.added" => {
                if let (Some(item), Some(output_index)) = (event.item, event.output_index)
                    && item.kind.as_deref() == Some("function_call")
                    && !self.tool_calls.contains_key(&output_index)
                {
                    let ordinal = self.tool_calls.len() as u32;
                    self.tool_calls.insert(output_index, (ordinal, false));
                    out.push(StreamEvent::ToolCallDelta {
                        index: ordinal,
                        id: item.call_id.map(Cow::into_owned),
                        name: item.name.map(Cow::into_owned),
                        arguments: item.arguments.map(Cow::into_owned).unwrap_or_default(),
                    });
                }
            }
            "response.function_call_arguments.delta" => {
                if let Some((index, streamed)) = event.output_index.and_then(|at| self.tool_calls.get_mut(&at))
                    && let Some(arguments) = non_empty(event.delta)
                {
                    *streamed = true;
                    out.push(StreamEvent::ToolCallDelta {
                        index: *index,
                        id: None,
                        name: None,
                        arguments,
                    });
                }
            }
            "response.output_item.done" => {
                // A call whose arguments came only whole, in the finished item.
                if let Some(&(index, false)) = event.output_index.and_then(|at| self.tool_calls.get(&at))
                    && let Some(arguments) = non_empty(event.item.and_then(|item| item.arguments))
                {
                    out.push(StreamEvent::ToolCallDelta {
                        index,
                        id: None,
                        name: None,
                        arguments,
                    });
                }
            }
            "response.completed" => return Ok(self.end(event.response, Some("completed".to_owned()), out)),
            "response.incomplete" => {
                let reason = event
                    .response
                    .as_ref()
                    .and_then(|response| response.incomplete_details.as_ref())
                    .and_then(|details| details.reason.clone())
                    .map_or_else(|| "incomplete".to_owned(), Cow::into_owned);
                return Ok(self.end(event.response, Some(reason), out));
            }
            "response.failed" => {
                let error = event.response.and_then(|response| response.error);
                return Err(match error {
                    Some(error) => error.into_error(&OpenAiResponses),
                    None => reported_error(&OpenAiResponses, None, Some("the response failed")),
                });
            }
            _ => {} // response.in_progress, content parts, `.done` events, and types added later
        }
        Ok(Step::More)
    }

    fn terminator(&self) -> &'static str {
        "event: response.completed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Message;

    fn frame(data: &str) -> SseFrame {
        SseFrame {
            data: data.into(),
            ..SseFrame::default()
        }
    }

    #[test]
    fn system_messages_are_instructions_and_the_limit_is_max_output_tokens() {
        let mut request = ChatRequest::new(
            "gpt-5",
            vec![
                Message::system("be brief"),
                Message::user("one"),
                Message::assistant(""),
                Message::system("in French"),
                Message::user("two"),
            ],
        );
        request.options.max_tokens = Some(64);
        request.options.stop = vec!["END".into()];
        let body = OpenAiResponses.chat_body(&request, &Quirks::default());
        assert_eq!(body["instructions"], "be brief\n\nin French");
        assert_eq!(body["max_output_tokens"], 64);
        assert_eq!((&body["stream"], &body["store"]), (&json!(true), &json!(false)));
        assert_eq!(body["reasoning"], json!({ "summary": "auto" }), "a reasoning model");
        let plain = OpenAiResponses.chat_body(&ChatRequest::new("gpt-4o-mini", vec![]), &Quirks::default());
        assert!(plain.get("reasoning").is_none(), "other models refuse the field");
        assert!(is_reasoning_model("o4-mini-2025-04-16") && !is_reasoning_model("gpt-4.1"));
        assert_eq!(
            body["input"],
            json!([{ "role": "user", "content": "one" }, { "role": "user", "content": "two" }])
        );
        assert!(body.get("stop").is_none() && body.get("max_tokens").is_none());
    }

    #[test]
    fn responses_words_map_to_the_common_vocabulary() {
        assert_eq!(OpenAiResponses.finish_reason("completed"), FinishReason::Stop);
        assert_eq!(OpenAiResponses.finish_reason("max_output_tokens"), FinishReason::Length);
        assert_eq!(OpenAiResponses.finish_reason("content_filter"), FinishReason::ContentFilter);
        assert_eq!(OpenAiResponses.error_kind("rate_limit_exceeded"), Some(ErrorKind::RateLimited));
        assert_eq!(OpenAiResponses.error_kind("invalid_prompt"), Some(ErrorKind::InvalidRequest));
        assert_eq!(OpenAiResponses.error_kind("server_error"), Some(ErrorKind::Server));
    }

    #[test]
    fn error_events_are_read_flat_and_nested() {
        let flat = r#"{"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null,"sequence_number":3}"#;
        let nested = r#"{"type":"error","error":{"type":"invalid_request_error","code":"context_length_exceeded","message":"Too long","param":"input"},"sequence_number":2}"#;
        let error = ResponsesDecoder::default().decode(&frame(flat), &mut Vec::new()).unwrap_err();
        assert_eq!(
            (error.kind, error.error_type.as_deref(), error.message.as_str()),
            (ErrorKind::RateLimited, Some("rate_limit_exceeded"), "Slow down")
        );
        let error = ResponsesDecoder::default().decode(&frame(nested), &mut Vec::new()).unwrap_err();
        assert_eq!(
            (error.kind, error.error_type.as_deref(), error.message.as_str()),
            (ErrorKind::InvalidRequest, Some("invalid_request_error"), "Too long")
        );
    }

    #[test]
    fn unknown_events_are_ignored_whatever_their_fields_and_malformed_known_ones_are_errors() {
        let mut decoder = ResponsesDecoder::default();
        let mut out = Vec::new();
        let unknown = r#"{"type":"response.gopher.delta","delta":{"x":1},"code":7,"output_index":"one"}"#;
        assert_eq!(decoder.decode(&frame(unknown), &mut out), Ok(Step::More));
        let malformed = r#"{"type":"response.output_text.delta","delta":{"x":1}}"#;
        assert_eq!(decoder.decode(&frame(malformed), &mut out).unwrap_err().kind, ErrorKind::Protocol);
        assert_eq!(decoder.decode(&frame("[DONE]"), &mut out).unwrap_err().kind, ErrorKind::Protocol);
    }

    #[test]
    fn a_call_whose_arguments_come_whole_gets_them_from_the_finished_item() {
        let mut decoder = ResponsesDecoder::default();
        let mut out = Vec::new();
        for data in [
            r#"{"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":""}}"#,
            r#"{"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{}"}}"#,
        ] {
            decoder.decode(&frame(data), &mut out).unwrap();
        }
        let step = decoder
            .decode(&frame(r#"{"type":"response.completed","response":{"status":"completed"}}"#), &mut out)
            .unwrap();
        assert_eq!(
            step,
            Step::Done(Finish {
                reason: FinishReason::ToolCalls,
                raw_reason: Some("completed".into())
            })
        );
        assert_eq!(
            out[1..],
            [
                StreamEvent::ToolCallDelta {
                    index: 0,
                    id: Some("call_1".into()),
                    name: Some("f".into()),
                    arguments: String::new()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    id: None,
                    name: None,
                    arguments: "{}".into()
                }
            ]
        );
    }

    fn described(data: &str) -> Vec<(String, String)> {
        OpenAiResponses
            .describe(&frame(data))
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
            described(r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"","sequence_number":5}"#),
            pairs(&[
                ("type", "response.output_text.delta"),
                ("sequence_number", "5"),
                ("output_index", "0"),
                ("delta", r#""""#)
            ])
        );
        assert_eq!(
            described(
                r#"{"type":"response.incomplete","sequence_number":9,"response":{"id":"resp_1","model":"gpt-5","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":9,"output_tokens":16,"output_tokens_details":{"reasoning_tokens":12}},"error":null}}"#
            ),
            pairs(&[
                ("type", "response.incomplete"),
                ("sequence_number", "9"),
                ("id", "resp_1"),
                ("model", "gpt-5"),
                ("status", "incomplete"),
                ("incomplete", "max_output_tokens"),
                ("usage", "9 in · 16 out (12 reasoning)")
            ])
        );
        assert_eq!(
            described(
                r#"{"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","name":"f","call_id":"call_1"}}"#
            ),
            pairs(&[
                ("type", "response.output_item.added"),
                ("output_index", "1"),
                ("item", "function_call"),
                ("name", "f"),
                ("call_id", "call_1")
            ])
        );
        assert_eq!(
            described(r#"{"type":"error","code":"server_error","message":"Oops","sequence_number":4}"#),
            pairs(&[("type", "error"), ("sequence_number", "4"), ("error", "server_error Oops")])
        );
        assert_eq!(
            described(r#"{"type":"error","error":{"type":"server_error","message":"Oops"}}"#),
            pairs(&[("type", "error"), ("error", "server_error Oops")])
        );
        assert!(described("not json").is_empty());
    }
}
