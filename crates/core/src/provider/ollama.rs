//! Ollama's native API (`POST {base}/api/chat`, base = the server's root, as `OLLAMA_HOST`).
//!
//! The stream is NDJSON (`application/x-ndjson`), one JSON object a line:
//! `{ "model", "created_at", "message": { "role", "content", "thinking", "tool_calls" }, "done":
//! false }`, and a last line with `"done": true`, its `done_reason` (`stop`, `length`, `load`, …)
//! and the server's counters (`prompt_eval_count`, `eval_count`, and the `*_duration`s in
//! nanoseconds: `eval_duration` is the server's own time generating the answer, its tokens per
//! second free of the network). A tool call comes whole, its `arguments` a JSON object. An error
//! is a line `{ "error": "message" }` (an HTTP error's body has the same shape). There is no other
//! terminator: a body that ends without the `done: true` line is incomplete. Unknown fields are
//! ignored. Models are listed at `GET /api/tags` (`{ "models": [{ "name", "model", … }] }`).

use std::borrow::Cow;

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::fields::{self, Field, exact, member, plain};
use super::{EventDecoder, Finish, Framing, ModelInfo, Protocol, Quirks, Routes, Step, parse_json, key_headers};
use crate::error::{ErrorKind, StreamError};
use crate::event::{FinishReason, StreamEvent, Usage};
use crate::keys::ApiKey;
use crate::request::ChatRequest;
use crate::sse::SseFrame;

/// Ollama's native protocol.
pub struct Ollama;

/// The counters of the `done` line, in the order the API documents them.
const COUNTERS: [&str; 6] = [
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
];

impl Protocol for Ollama {
    fn routes(&self) -> Routes {
        Routes {
            id: "ollama",
            base_path: "",
            chat_path: "/api/chat",
            models_path: "/api/tags",
        }
    }

    fn name(&self) -> &'static str {
        "Ollama (native)"
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    /// A key (Ollama's cloud, or a proxy in front of a server) goes as a bearer token.
    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        key_headers(key, AUTHORIZATION, "Bearer ", self.framing())
    }

    /// Every turn is a message (the system prompt as a `system` one); the token limit is
    /// `options.num_predict`, beside `temperature` and `stop`.
    fn chat_body(&self, request: &ChatRequest, _quirks: &Quirks) -> serde_json::Value {
        let messages: Vec<_> = request
            .messages
            .iter()
            .map(|message| json!({ "role": message.role.as_str(), "content": message.content }))
            .collect();
        let mut body = json!({ "model": request.model, "messages": messages, "stream": true });
        let mut options = json!({});
        if let Some(max_tokens) = request.options.max_tokens {
            options["num_predict"] = json!(max_tokens);
        }
        super::add_sampling(&mut options, &request.options, "stop");
        if options.as_object().is_some_and(|options| !options.is_empty()) {
            body["options"] = options;
        }
        body
    }

    fn decoder(&self) -> Box<dyn EventDecoder> {
        Box::new(OllamaDecoder::default())
    }

    fn finish_reason(&self, raw: &str) -> FinishReason {
        match raw {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            _ => FinishReason::Other, // `load`, `unload`, and words added later
        }
    }

    /// Ollama's errors are messages without a type.
    fn error_kind(&self, _error_type: &str) -> Option<ErrorKind> {
        None
    }

    /// `{ "models": [{ "name", "model", "size", … }] }`: the ids are the `name`s.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, StreamError> {
        #[derive(Deserialize)]
        struct Tags {
            models: Vec<Tag>,
        }
        #[derive(Deserialize)]
        struct Tag {
            name: String,
        }
        serde_json::from_slice::<Tags>(body)
            .map(|tags| tags.models.into_iter().map(|tag| ModelInfo { id: tag.name }).collect())
            .map_err(|error| StreamError::protocol(format!("the model list is not in the expected shape: {error}")))
    }

    /// The line's `model`, its message's `content` and `thinking` exactly, its `tool_calls`, and
    /// on the last line `done`, `done_reason` and the counters; an error line's `error`.
    fn describe(&self, frame: &SseFrame) -> Vec<Field> {
        let Some(line) = fields::object(&frame.data) else {
            return Vec::new();
        };
        let mut shown = Vec::new();
        if let Some(model) = line.get("model") {
            shown.push(Field::new("model", plain(model)));
        }
        if let Some(message) = member(&line, "message") {
            shown.push(Field::new("content", exact(message.get("content"))));
            if let Some(thinking) = message.get("thinking") {
                shown.push(Field::new("thinking", exact(Some(thinking))));
            }
            if let Some(calls) = message.get("tool_calls") {
                shown.push(Field::new("tool_calls", plain(calls)));
            }
        }
        if let Some(done) = line.get("done") {
            shown.push(Field::new("done", plain(done)));
        }
        if let Some(reason) = line.get("done_reason") {
            shown.push(Field::new("done_reason", plain(reason)));
        }
        for key in COUNTERS {
            if let Some(value) = line.get(key) {
                shown.push(Field::new(key, plain(value)));
            }
        }
        if let Some(error) = line.get("error") {
            shown.push(Field::new("error", plain(error)));
        }
        shown
    }
}

#[derive(Default)]
struct OllamaDecoder {
    started: bool,
    /// Tool calls so far: the next one's index.
    tool_calls: u32,
}

/// One line, every kind in one shape.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(default)]
    done: bool,
    #[serde(borrow)]
    done_reason: Option<Cow<'a, str>>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
    eval_duration: Option<u64>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow)]
    thinking: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tool_calls: Option<Vec<ToolCall<'a>>>,
}

#[derive(Deserialize)]
struct ToolCall<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function: Function<'a>,
}

#[derive(Deserialize)]
struct Function<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<&'a RawValue>,
}

fn non_empty(text: Option<Cow<'_, str>>) -> Option<String> {
    text.filter(|text| !text.is_empty()).map(Cow::into_owned)
}

/// An error line's message → a typed error: a model the server does not have is `not_found`, a
/// request the model cannot serve (tools, thinking, a too-long context) `invalid_request`, else
/// `server`.
fn reported(message: &str) -> StreamError {
    let lower = message.to_ascii_lowercase();
    let kind = if lower.contains("not found") {
        ErrorKind::NotFound
    } else if lower.contains("does not support") || lower.contains("invalid") || lower.contains("context length") {
        ErrorKind::InvalidRequest
    } else {
        ErrorKind::Server
    };
    StreamError::new(kind, message)
}

impl EventDecoder for OllamaDecoder {
    fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError> {
        let line: Line = parse_json(frame)?;
        if let Some(error) = line.error {
            return Err(reported(&error));
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                response_id: None,
                model: line.model.map(Cow::into_owned),
            });
        }
        if let Some(message) = line.message {
            if let Some(text) = non_empty(message.thinking) {
                out.push(StreamEvent::ThinkingDelta { text });
            }
            if let Some(text) = non_empty(message.content) {
                out.push(StreamEvent::TextDelta { text });
            }
            for call in message.tool_calls.into_iter().flatten() {
                out.push(StreamEvent::ToolCallDelta {
                    index: self.tool_calls,
                    id: call.id.map(Cow::into_owned),
                    name: call.function.name.map(Cow::into_owned),
                    arguments: call.function.arguments.map_or_else(String::new, |raw| raw.get().to_owned()),
                });
                self.tool_calls += 1;
            }
        }
        if !line.done {
            return Ok(Step::More);
        }
        if line.prompt_eval_count.is_some() || line.eval_count.is_some() {
            // The server's time generating the output tokens (ns): its own tokens per second.
            out.push(StreamEvent::Usage(Usage {
                input_tokens: line.prompt_eval_count,
                output_tokens: line.eval_count,
                reasoning_tokens: None,
                cached_input_tokens: None,
                generation_ns: line.eval_duration.filter(|&ns| ns > 0),
            }));
        }
        let mut finish = Finish::from_raw(&Ollama, line.done_reason.map(Cow::into_owned));
        if finish.reason == FinishReason::Stop && self.tool_calls > 0 {
            finish.reason = FinishReason::ToolCalls;
        }
        Ok(Step::Done(finish))
    }

    fn terminator(&self) -> &'static str {
        "a line with \"done\": true"
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

    fn decode_all(lines: &[&str]) -> (Vec<StreamEvent>, Result<Step, StreamError>) {
        let mut decoder = OllamaDecoder::default();
        let mut out = Vec::new();
        let mut step = Ok(Step::More);
        for line in lines {
            step = decoder.decode(&frame(line), &mut out);
            if !matches!(step, Ok(Step::More)) {
                break;
            }
        }
        (out, step)
    }

    #[test]
    fn the_body_posts_messages_with_options_only_when_set() {
        let mut request = ChatRequest::new("llama3.2", vec![Message::system("be brief"), Message::user("hi")]);
        let body = Ollama.chat_body(&request, &Quirks::default());
        assert_eq!(
            body,
            json!({
                "model": "llama3.2",
                "messages": [{ "role": "system", "content": "be brief" }, { "role": "user", "content": "hi" }],
                "stream": true
            })
        );
        request.options.max_tokens = Some(64);
        request.options.temperature = Some(0.5);
        request.options.stop = vec!["END".into()];
        let body = Ollama.chat_body(&request, &Quirks::default());
        assert_eq!(body["options"], json!({ "num_predict": 64, "temperature": 0.5, "stop": ["END"] }));
        assert_eq!(Ollama.chat_url("http://localhost:11434", &request), "http://localhost:11434/api/chat");
        assert_eq!(Ollama.models_url("http://localhost:11434"), "http://localhost:11434/api/tags");
        assert_eq!(Ollama.framing(), Framing::Ndjson);
    }

    #[test]
    fn lines_decode_to_thinking_text_tool_calls_usage_and_the_ending() {
        let (events, step) = decode_all(&[
            r#"{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"","thinking":"Hmm"},"done":false}"#,
            r#"{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"Hé"},"done":false}"#,
            r#"{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}"#,
            r#"{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":5,"prompt_eval_count":12,"eval_count":3,"eval_duration":4,"extra":[1]}"#,
        ]);
        assert_eq!(
            events,
            [
                StreamEvent::Start {
                    response_id: None,
                    model: Some("qwen3".into())
                },
                StreamEvent::ThinkingDelta { text: "Hmm".into() },
                StreamEvent::TextDelta { text: "Hé".into() },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    id: None,
                    name: Some("get_weather".into()),
                    arguments: r#"{"city":"Paris"}"#.into()
                },
                StreamEvent::Usage(Usage {
                    input_tokens: Some(12),
                    output_tokens: Some(3),
                    reasoning_tokens: None,
                    cached_input_tokens: None,
                    generation_ns: Some(4),
                }),
            ]
        );
        let Ok(Step::Done(finish)) = step else { panic!("{step:?}") };
        assert_eq!(finish.reason, FinishReason::ToolCalls);
        assert_eq!(finish.raw_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn done_reasons_map_to_the_common_vocabulary() {
        assert_eq!(Ollama.finish_reason("stop"), FinishReason::Stop);
        assert_eq!(Ollama.finish_reason("length"), FinishReason::Length);
        assert_eq!(Ollama.finish_reason("load"), FinishReason::Other);
        let (_, step) = decode_all(&[r#"{"model":"m","message":{"role":"assistant","content":"a"},"done":true,"done_reason":"length"}"#]);
        assert!(matches!(step, Ok(Step::Done(Finish { reason: FinishReason::Length, .. }))), "{step:?}");
    }

    #[test]
    fn error_lines_are_typed_by_their_message() {
        let (events, step) = decode_all(&[
            r#"{"model":"m","message":{"role":"assistant","content":"a"},"done":false}"#,
            r#"{"error":"model \"nope\" not found, try pulling it first"}"#,
        ]);
        assert_eq!(events.len(), 2, "the text before the error is kept");
        let error = step.unwrap_err();
        assert_eq!(error.kind, ErrorKind::NotFound);
        assert_eq!(error.message, r#"model "nope" not found, try pulling it first"#);
        let (_, step) = decode_all(&[r#"{"error":"an error was encountered while running the model: unexpected EOF"}"#]);
        assert_eq!(step.unwrap_err().kind, ErrorKind::Server);
        let (_, step) = decode_all(&[r#"{"error":"registry.ollama.ai/library/gemma:2b does not support tools"}"#]);
        assert_eq!(step.unwrap_err().kind, ErrorKind::InvalidRequest);
        let (_, step) = decode_all(&["not json"]);
        assert_eq!(step.unwrap_err().kind, ErrorKind::Protocol);
    }

    #[test]
    fn models_are_listed_by_name() {
        let body = br#"{"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","size":2019393189},{"name":"qwen3:8b","model":"qwen3:8b"}]}"#;
        let ids: Vec<_> = Ollama.parse_models(body).unwrap().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["llama3.2:latest", "qwen3:8b"]);
        assert_eq!(Ollama.parse_models(br#"{"data":[]}"#).unwrap_err().kind, ErrorKind::Protocol);
    }

    #[test]
    fn the_inspector_shows_the_message_the_ending_and_errors() {
        let shown = |data: &str| -> Vec<(String, String)> {
            Ollama
                .describe(&frame(data))
                .into_iter()
                .map(|field| (field.label, field.value))
                .collect()
        };
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(l, v)| ((*l).to_owned(), (*v).to_owned())).collect()
        };
        assert_eq!(
            shown(r#"{"model":"m","created_at":"t","message":{"role":"assistant","content":""},"done":false}"#),
            pairs(&[("model", "m"), ("content", "\"\""), ("done", "false")])
        );
        assert_eq!(
            shown(r#"{"model":"m","message":{"role":"assistant","content":"","thinking":"x"},"done":true,"done_reason":"stop","eval_count":3,"eval_duration":9}"#),
            pairs(&[
                ("model", "m"),
                ("content", "\"\""),
                ("thinking", "\"x\""),
                ("done", "true"),
                ("done_reason", "stop"),
                ("eval_count", "3"),
                ("eval_duration", "9"),
            ])
        );
        assert_eq!(shown(r#"{"error":"boom"}"#), pairs(&[("error", "boom")]));
    }
}
