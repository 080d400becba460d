//! OpenAI Chat Completions (`POST {base}/chat/completions`), spoken by OpenAI and by every
//! OpenAI-compatible server (Ollama, LM Studio, llama.cpp, vLLM, OpenRouter, Groq).
//!
//! The stream is `data: {chunk}` events ending with `data: [DONE]`. The finish reason comes in a
//! chunk before the usage chunk, so [`StreamEvent::Finish`] is held back until `[DONE]`: a stream
//! cut off after its finish reason is still incomplete.

use std::borrow::Cow;

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;
use serde_json::json;

use super::fields::{self, Field, exact, member, plain};
use super::json_scan::Scan;
use super::{EventDecoder, Finish, ModelInfo, Protocol, ProviderErrorBody, Quirks, Routes, Step, add_sampling, parse_json, parse_model_list, reported_error, Framing, key_headers};
use crate::error::{ErrorKind, StreamError};
use crate::event::{FinishReason, StreamEvent, Usage};
use crate::keys::ApiKey;
use crate::request::{ChatRequest, Role};
use crate::sse::SseFrame;

/// The OpenAI Chat Completions protocol.
pub struct OpenAi;

impl Protocol for OpenAi {
    fn routes(&self) -> Routes {
        Routes {
            id: "openai",
            base_path: "/v1",
            chat_path: "/chat/completions",
            models_path: "/models",
        }
    }

    fn name(&self) -> &'static str {
        "OpenAI-compatible"
    }

    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        key_headers(key, AUTHORIZATION, "Bearer ", Framing::Sse)
    }

    fn chat_body(&self, request: &ChatRequest, quirks: &Quirks) -> serde_json::Value {
        let messages: Vec<_> = request
            .messages
            .iter()
            .map(|message| {
                let role = match message.role {
                    Role::System => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                json!({ "role": role, "content": message.content })
            })
            .collect();
        let mut body = json!({ "model": request.model, "messages": messages, "stream": true });
        let options = &request.options;
        if quirks.stream_usage {
            body["stream_options"] = json!({ "include_usage": true });
        }
        if let Some(max_tokens) = options.max_tokens {
            body[quirks.max_tokens_field.as_str()] = json!(max_tokens);
        }
        add_sampling(&mut body, options, "stop");
        body
    }

    fn decoder(&self) -> Box<dyn EventDecoder> {
        Box::new(OpenAiDecoder::default())
    }

    fn finish_reason(&self, raw: &str) -> FinishReason {
        match raw {
            // `eos`: some compatible servers' word for the end of the sequence.
            "stop" | "eos" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            _ => FinishReason::Other,
        }
    }

    fn error_kind(&self, error_type: &str) -> Option<ErrorKind> {
        // Types (`invalid_request_error`, `server_error`, `tokens`, `requests`) and codes
        // (`invalid_api_key`, `rate_limit_exceeded`, …), which OpenAI sends as either.
        Some(match error_type {
            "invalid_api_key" => ErrorKind::Authentication,
            "model_not_found" => ErrorKind::NotFound,
            "rate_limit_exceeded" | "insufficient_quota" | "tokens" | "requests" => ErrorKind::RateLimited,
            "invalid_request_error" => ErrorKind::InvalidRequest,
            "server_error" => ErrorKind::Server,
            _ => return None,
        })
    }

    /// `{ "object": "list", "data": [{ "id", "object", "created", "owned_by" }] }`.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, StreamError> {
        parse_model_list(body)
    }

    /// A chunk's `id` and `model`; its first choice's delta (`role`, `content` exactly,
    /// `reasoning_content`, `refusal`, `tool_calls`) and `finish_reason`; `usage`. An error object,
    /// in a few words.
    fn describe(&self, frame: &SseFrame) -> Vec<Field> {
        let Some(chunk) = fields::object(&frame.data) else {
            return Vec::new();
        };
        let choices = chunk.get("choices");
        let is_chunk = choices.is_some_and(serde_json::Value::is_array)
            || chunk.get("object").and_then(serde_json::Value::as_str) == Some("chat.completion.chunk");
        if !is_chunk {
            return fields::error(&chunk).into_iter().collect();
        }
        let mut shown = Vec::new();
        for key in ["id", "model"] {
            if let Some(value) = chunk.get(key) {
                shown.push(Field::new(key, plain(value)));
            }
        }
        let choices = choices.and_then(serde_json::Value::as_array);
        match choices
            .and_then(|choices| choices.first())
            .and_then(serde_json::Value::as_object)
        {
            Some(choice) => {
                let none = fields::Object::new();
                let delta = member(choice, "delta").unwrap_or(&none);
                if let Some(role) = delta.get("role").and_then(serde_json::Value::as_str) {
                    shown.push(Field::new("role", role));
                }
                shown.push(Field::new("content", exact(delta.get("content"))));
                if let Some(reasoning) = delta.get("reasoning_content") {
                    shown.push(Field::new("reasoning", exact(Some(reasoning))));
                }
                if let Some(refusal) = delta.get("refusal").filter(|refusal| !refusal.is_null()) {
                    shown.push(Field::new("refusal", exact(Some(refusal))));
                }
                if delta.get("tool_calls").is_some_and(serde_json::Value::is_array)
                    && let Some(calls) = raw_tool_calls(&frame.data)
                {
                    shown.push(Field::new("tool_calls", calls));
                }
                shown.push(Field::new("finish_reason", exact(choice.get("finish_reason"))));
            }
            None if chunk.contains_key("choices") && choices.is_none_or(Vec::is_empty) => {
                shown.push(Field::new("choices", "[]"));
            }
            None => {}
        }
        if let Some(usage) = member(&chunk, "usage") {
            let count = |key| fields::plain_or(usage, key, "?");
            let counts = format!("{} in · {} out", count("prompt_tokens"), count("completion_tokens"));
            shown.push(Field::new("usage", counts));
        }
        shown
    }
}

/// The first choice's `delta.tool_calls` of a chunk, as its JSON came (its keys in their order).
fn raw_tool_calls(data: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Chunk<'a> {
        #[serde(borrow)]
        choices: Vec<&'a serde_json::value::RawValue>,
    }
    #[derive(Deserialize)]
    struct Choice<'a> {
        #[serde(borrow)]
        delta: Delta<'a>,
    }
    #[derive(Deserialize)]
    struct Delta<'a> {
        #[serde(borrow)]
        tool_calls: &'a serde_json::value::RawValue,
    }
    let chunk: Chunk = serde_json::from_str(data).ok()?;
    let choice: Choice = serde_json::from_str(chunk.choices.first()?.get()).ok()?;
    Some(choice.delta.tool_calls.get().to_owned())
}

#[derive(Default)]
struct OpenAiDecoder {
    started: bool,
    finish: Option<String>,
}

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    choices: Option<FirstChoice<'a>>,
    usage: Option<ChunkUsage>,
    #[serde(borrow)]
    error: Option<ErrorField<'a>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField<'a> {
    Object(#[serde(borrow)] ProviderErrorBody<'a>),
    Text(#[serde(borrow)] Cow<'a, str>),
}

/// The answer's choice (index 0) of a chunk's `choices`, read without collecting the others:
/// no `Vec` per chunk, which matters at a million chunks a second.
struct FirstChoice<'a>(Option<Choice<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstChoice<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = FirstChoice<'a>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a list of choices")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut choices: A) -> Result<Self::Value, A::Error> {
                let mut first = None;
                while let Some(choice) = choices.next_element::<Choice<'a>>()? {
                    if choice.index == 0 && first.is_none() {
                        first = Some(choice);
                    }
                }
                Ok(FirstChoice(first))
            }
        }

        deserializer.deserialize_seq(Visit(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default)]
    index: u32,
    #[serde(borrow)]
    delta: Option<Delta<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow)]
    refusal: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reasoning: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tool_calls: Option<Vec<ToolCallChunk<'a>>>,
}

#[derive(Deserialize)]
struct ToolCallChunk<'a> {
    #[serde(default)]
    index: u32,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function: Option<FunctionChunk<'a>>,
}

#[derive(Deserialize)]
struct FunctionChunk<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ChunkUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    /// Of the prompt's tokens, the cached ones (`cached_tokens`).
    prompt_tokens_details: Option<TokensDetails>,
    /// Of the answer's tokens, the reasoning ones (`reasoning_tokens`).
    completion_tokens_details: Option<TokensDetails>,
}

/// `prompt_tokens_details` and `completion_tokens_details`: the parts of a count.
#[derive(Deserialize)]
struct TokensDetails {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

/// The chunk read by hand when it holds nothing but the fields and shapes an answer's text
/// chunks have (no `tool_calls`, no `error`), else `None` and serde_json reads it: about half the
/// time serde_json takes for a typical chunk, which is most of the per-delta cost of a fast stream
/// (docs/PERFORMANCE.md). It takes only what serde_json would read the same way (a test compares
/// the two on mutated chunks).
fn scan_chunk(data: &str) -> Option<Chunk<'_>> {
    let mut scan = Scan::new(data);
    let mut chunk = Chunk {
        id: None,
        model: None,
        choices: None,
        usage: None,
        error: None,
    };
    let (mut id, mut model, mut choices, mut usage) = (false, false, false, false);
    scan.object(|scan, key| match &*key {
        "id" => {
            first(&mut id)?;
            chunk.id = optional_string(scan)?;
            Some(())
        }
        "model" => {
            first(&mut model)?;
            chunk.model = optional_string(scan)?;
            Some(())
        }
        "choices" => {
            first(&mut choices)?;
            chunk.choices = if scan.null() { None } else { Some(scan_choices(scan)?) };
            Some(())
        }
        "usage" => {
            first(&mut usage)?;
            chunk.usage = if scan.null() { None } else { Some(scan_usage(scan)?) };
            Some(())
        }
        "error" => None,
        _ => scan.skip(),
    })?;
    scan.end()?;
    Some(chunk)
}

/// A field seen for the first time (serde refuses a struct's field twice).
fn first(seen: &mut bool) -> Option<()> {
    (!std::mem::replace(seen, true)).then_some(())
}

fn optional_string<'a>(scan: &mut Scan<'a>) -> Option<Option<Cow<'a, str>>> {
    if scan.null() {
        Some(None)
    } else {
        scan.string().map(Some)
    }
}

fn optional_u64(scan: &mut Scan<'_>) -> Option<Option<u64>> {
    if scan.null() { Some(None) } else { scan.u64().map(Some) }
}

fn scan_choices<'a>(scan: &mut Scan<'a>) -> Option<FirstChoice<'a>> {
    let mut answer = None;
    scan.array(|scan| {
        let choice = scan_choice(scan)?;
        if choice.index == 0 && answer.is_none() {
            answer = Some(choice);
        }
        Some(())
    })?;
    Some(FirstChoice(answer))
}

fn scan_choice<'a>(scan: &mut Scan<'a>) -> Option<Choice<'a>> {
    let mut choice = Choice {
        index: 0,
        delta: None,
        finish_reason: None,
    };
    let (mut index, mut delta, mut finish_reason) = (false, false, false);
    scan.object(|scan, key| match &*key {
        "index" => {
            first(&mut index)?;
            choice.index = u32::try_from(scan.u64()?).ok()?;
            Some(())
        }
        "delta" => {
            first(&mut delta)?;
            choice.delta = if scan.null() { None } else { Some(scan_delta(scan)?) };
            Some(())
        }
        "finish_reason" => {
            first(&mut finish_reason)?;
            choice.finish_reason = optional_string(scan)?;
            Some(())
        }
        _ => scan.skip(),
    })?;
    Some(choice)
}

fn scan_delta<'a>(scan: &mut Scan<'a>) -> Option<Delta<'a>> {
    let mut delta = Delta {
        content: None,
        refusal: None,
        reasoning_content: None,
        reasoning: None,
        tool_calls: None,
    };
    let mut seen = [false; 5];
    scan.object(|scan, key| {
        let (slot, field) = match &*key {
            "content" => (0, &mut delta.content),
            "refusal" => (1, &mut delta.refusal),
            "reasoning_content" => (2, &mut delta.reasoning_content),
            "reasoning" => (3, &mut delta.reasoning),
            "tool_calls" => {
                first(&mut seen[4])?;
                // A tool call's parts are serde_json's to read.
                return scan.null().then_some(());
            }
            _ => return scan.skip(),
        };
        first(&mut seen[slot])?;
        *field = optional_string(scan)?;
        Some(())
    })?;
    Some(delta)
}

fn scan_usage(scan: &mut Scan<'_>) -> Option<ChunkUsage> {
    let mut usage = ChunkUsage {
        prompt_tokens: None,
        completion_tokens: None,
        prompt_tokens_details: None,
        completion_tokens_details: None,
    };
    let (mut prompt, mut completion) = (false, false);
    let (mut prompt_details, mut completion_details) = (false, false);
    scan.object(|scan, key| match &*key {
        "prompt_tokens" => {
            first(&mut prompt)?;
            usage.prompt_tokens = optional_u64(scan)?;
            Some(())
        }
        "completion_tokens" => {
            first(&mut completion)?;
            usage.completion_tokens = optional_u64(scan)?;
            Some(())
        }
        "prompt_tokens_details" => {
            first(&mut prompt_details)?;
            usage.prompt_tokens_details = scan_details(scan)?;
            Some(())
        }
        "completion_tokens_details" => {
            first(&mut completion_details)?;
            usage.completion_tokens_details = scan_details(scan)?;
            Some(())
        }
        _ => scan.skip(),
    })?;
    Some(usage)
}

/// A count's parts (`prompt_tokens_details`, `completion_tokens_details`), or `null`.
fn scan_details(scan: &mut Scan<'_>) -> Option<Option<TokensDetails>> {
    if scan.null() {
        return Some(None);
    }
    let mut details = TokensDetails {
        cached_tokens: None,
        reasoning_tokens: None,
    };
    let (mut cached, mut reasoning) = (false, false);
    scan.object(|scan, key| match &*key {
        "cached_tokens" => {
            first(&mut cached)?;
            details.cached_tokens = optional_u64(scan)?;
            Some(())
        }
        "reasoning_tokens" => {
            first(&mut reasoning)?;
            details.reasoning_tokens = optional_u64(scan)?;
            Some(())
        }
        _ => scan.skip(),
    })?;
    Some(Some(details))
}

fn push_text(out: &mut Vec<StreamEvent>, text: Option<Cow<'_, str>>, make: fn(String) -> StreamEvent) {
    if let Some(text) = text.filter(|text| !text.is_empty()) {
        out.push(make(text.into_owned()));
    }
}

impl EventDecoder for OpenAiDecoder {
    fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError> {
        if frame.data == "[DONE]" {
            return Ok(Step::Done(Finish::from_raw(&OpenAi, self.finish.take())));
        }
        if frame.event == "error" && !frame.data.trim_start().starts_with('{') {
            return Err(reported_error(&OpenAi, None, Some(&frame.data)));
        }
        let chunk: Chunk = match scan_chunk(&frame.data) {
            Some(chunk) => chunk,
            None => parse_json(frame)?,
        };
        if let Some(error) = chunk.error {
            return Err(match error {
                ErrorField::Object(body) => body.into_error(&OpenAi),
                ErrorField::Text(message) => reported_error(&OpenAi, None, Some(&message)),
            });
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                response_id: chunk.id.filter(|id| !id.is_empty()).map(Cow::into_owned),
                model: chunk.model.filter(|model| !model.is_empty()).map(Cow::into_owned),
            });
        }
        if let Some(choice) = chunk.choices.and_then(|choices| choices.0) {
            if let Some(delta) = choice.delta {
                push_text(out, delta.reasoning_content, |text| StreamEvent::ThinkingDelta { text });
                push_text(out, delta.reasoning, |text| StreamEvent::ThinkingDelta { text });
                push_text(out, delta.content, |text| StreamEvent::TextDelta { text });
                push_text(out, delta.refusal, |text| StreamEvent::RefusalDelta { text });
                for call in delta.tool_calls.into_iter().flatten() {
                    let (name, arguments) = match call.function {
                        Some(function) => (function.name, function.arguments),
                        None => (None, None),
                    };
                    out.push(StreamEvent::ToolCallDelta {
                        index: call.index,
                        id: call.id.map(Cow::into_owned),
                        name: name.map(Cow::into_owned),
                        arguments: arguments.map(Cow::into_owned).unwrap_or_default(),
                    });
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(reason.into_owned());
            }
        }
        if let Some(usage) = chunk.usage {
            out.push(StreamEvent::Usage(Usage {
                input_tokens: usage.prompt_tokens,
                output_tokens: usage.completion_tokens,
                cached_input_tokens: usage.prompt_tokens_details.and_then(|details| details.cached_tokens),
                reasoning_tokens: usage.completion_tokens_details.and_then(|details| details.reasoning_tokens),
                ..Usage::default()
            }));
        }
        Ok(Step::More)
    }

    fn terminator(&self) -> &'static str {
        "data: [DONE]"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ChatOptions, Message};

    fn frame(data: &str) -> SseFrame {
        SseFrame {
            data: data.into(),
            ..SseFrame::default()
        }
    }

    fn decode_all(datas: &[&str]) -> (Vec<StreamEvent>, Result<Step, StreamError>) {
        let mut decoder = OpenAiDecoder::default();
        let mut out = Vec::new();
        let mut step = Ok(Step::More);
        for data in datas {
            step = decoder.decode(&frame(data), &mut out);
            if !matches!(step, Ok(Step::More)) {
                break;
            }
        }
        (out, step)
    }

    #[test]
    fn body_carries_stream_usage_and_the_quirky_token_field() {
        let mut request = ChatRequest::new("gpt-4o", vec![Message::system("be brief"), Message::user("hi")]);
        request.options = ChatOptions {
            max_tokens: Some(50),
            temperature: Some(0.5),
            stop: vec!["END".into()],
        };
        let quirks = Quirks {
            max_tokens_field: crate::provider::TokenLimitField::MaxCompletionTokens,
            stream_usage: true,
        };
        let body = OpenAi.chat_body(&request, &quirks);
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["max_completion_tokens"], 50);
        assert!(body.get("max_tokens").is_none());
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["stop"][0], "END");
    }

    #[test]
    fn finish_waits_for_done() {
        let (events, step) = decode_all(&[
            r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
            r#"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#,
            "[DONE]",
        ]);
        assert_eq!(
            step,
            Ok(Step::Done(Finish {
                reason: FinishReason::Length,
                raw_reason: Some("length".into())
            }))
        );
        assert_eq!(
            events,
            vec![
                StreamEvent::Start {
                    response_id: Some("c1".into()),
                    model: Some("m".into())
                },
                StreamEvent::TextDelta { text: "Hi".into() },
                StreamEvent::Usage(Usage {
                    input_tokens: Some(3),
                    output_tokens: Some(1),
                    ..Usage::default()
                }),
            ]
        );
    }

    #[test]
    fn error_objects_in_data_end_the_stream_typed() {
        let (events, step) = decode_all(&[
            r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#,
            r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
        ]);
        assert_eq!(events.len(), 2);
        let error = step.unwrap_err();
        assert_eq!(error.kind, ErrorKind::RateLimited);
        assert_eq!(error.message, "Rate limit reached");
        let (_, step) = decode_all(&[r#"{"error":"model crashed"}"#]);
        assert_eq!(step.unwrap_err().message, "model crashed");
    }

    #[test]
    fn openai_words_map_to_the_common_vocabulary() {
        assert_eq!(OpenAi.finish_reason("stop"), FinishReason::Stop);
        assert_eq!(OpenAi.finish_reason("length"), FinishReason::Length);
        assert_eq!(OpenAi.finish_reason("tool_calls"), FinishReason::ToolCalls);
        assert_eq!(OpenAi.finish_reason("function_call"), FinishReason::ToolCalls);
        assert_eq!(OpenAi.finish_reason("content_filter"), FinishReason::ContentFilter);
        assert_eq!(OpenAi.finish_reason("end_turn"), FinishReason::Other);
        assert_eq!(OpenAi.error_kind("invalid_api_key"), Some(ErrorKind::Authentication));
        assert_eq!(OpenAi.error_kind("insufficient_quota"), Some(ErrorKind::RateLimited));
        assert_eq!(OpenAi.error_kind("server_error"), Some(ErrorKind::Server));
        assert_eq!(OpenAi.error_kind("overloaded_error"), None);
    }

    #[test]
    fn model_lists_are_read_from_data() {
        let body =
            br#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}]}"#;
        assert_eq!(
            OpenAi.parse_models(body).unwrap(),
            vec![ModelInfo { id: "gpt-4o".into() }]
        );
    }

    #[test]
    fn usage_carries_the_cached_prompt_and_reasoning_tokens_inside_the_counts() {
        let (events, _) = decode_all(&[
            r#"{"id":"c","choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":256}}}"#,
        ]);
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Usage(Usage {
                input_tokens: Some(2006),
                output_tokens: Some(300),
                cached_input_tokens: Some(1920),
                reasoning_tokens: Some(256),
                generation_ns: None,
            }))
        );
    }

    #[test]
    fn only_the_first_choice_is_the_answer() {
        let (events, _) = decode_all(&[
            r#"{"id":"c","choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}}]}"#,
        ]);
        assert_eq!(events[1], StreamEvent::TextDelta { text: "mine".into() });
        assert_eq!(events.len(), 2);
    }

    /// What a chunk says, to compare the hand reader with serde_json's.
    fn describe(chunk: &Chunk) -> String {
        let choice = chunk.choices.as_ref().and_then(|choices| choices.0.as_ref());
        format!(
            "{:?}",
            (
                (chunk.id.as_deref(), chunk.model.as_deref(), chunk.error.is_some()),
                chunk.choices.as_ref().map(|choices| choices.0.is_some()),
                choice.map(|choice| (choice.index, choice.finish_reason.as_deref())),
                choice.and_then(|choice| choice.delta.as_ref()).map(|delta| {
                    (
                        delta.content.as_deref(),
                        delta.refusal.as_deref(),
                        delta.reasoning_content.as_deref(),
                        delta.reasoning.as_deref(),
                        delta.tool_calls.as_ref().map(Vec::len),
                    )
                }),
                chunk
                    .usage
                    .as_ref()
                    .map(|usage| {
                        let details = |details: &Option<TokensDetails>| {
                            details
                                .as_ref()
                                .map(|details| (details.cached_tokens, details.reasoning_tokens))
                        };
                        (
                            usage.prompt_tokens,
                            usage.completion_tokens,
                            details(&usage.prompt_tokens_details),
                            details(&usage.completion_tokens_details),
                        )
                    }),
            )
        )
    }

    /// Chunks of every shape the fixtures and the generated streams have, and a few more.
    fn sample_chunks() -> Vec<String> {
        let frames = |body: &[u8]| {
            let mut frames = Vec::new();
            crate::sse::SseDecoder::new().feed(body, &mut frames).unwrap();
            frames.into_iter().map(|frame: SseFrame| frame.data)
        };
        let mut datas: Vec<String> = runnel_testkit::fixture_names()
            .iter()
            // Chat Completions streams: not those of the Responses protocol (`openai_responses_…`).
            .filter(|name| name.starts_with("openai_") && !name.starts_with("openai_responses_") && name.ends_with(".sse"))
            .flat_map(|name| frames(&runnel_testkit::fixture(name)))
            .chain(frames(&runnel_testkit::openai_stream(2)))
            .filter(|data| data.starts_with('{'))
            .collect();
        datas.extend(
            [
                r#" { "id" : "c1" , "choices" : [ { "index" : 0 , "delta" : { "content" : "Hi \"there\"\n\u00e9\ud83d\ude00" } , "finish_reason" : null } ] } "#,
                r#"{"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"reasoning_content":"hmm","reasoning":null,"refusal":"no"},"logprobs":{"content":[{"token":"a","logprob":-0.5,"bytes":[97]}]}}]}"#,
                r#"{"id":null,"model":"m","choices":null,"usage":{"prompt_tokens":12,"completion_tokens":null,"total_tokens":1.5e3,"details":{"x":[true,false,null]}}}"#,
                r#"{"choices":[{"delta":{"content":"no index"},"finish_reason":"stop"}],"usage":null,"x":-0.25E-2}"#,
            ]
            .map(String::from),
        );
        datas
    }

    #[test]
    fn the_hand_reader_takes_every_sample_chunk_as_serde_json_reads_it() {
        for data in sample_chunks() {
            let by_hand = scan_chunk(&data).map(|chunk| describe(&chunk));
            let by_serde = serde_json::from_str::<Chunk>(&data).map(|chunk| describe(&chunk)).ok();
            if data.contains(r#""tool_calls":["#) || data.contains(r#""error""#) {
                assert_eq!(by_hand, None, "left to serde_json: {data}");
            } else {
                assert_eq!(by_hand, by_serde, "{data}");
                assert!(by_hand.is_some(), "{data}");
            }
        }
    }

    /// What a mutation inserts: JSON's own characters, escapes, values and keys.
    const PIECES: &[&str] = &[
        " ",
        "\n",
        ",",
        ":",
        "\"",
        "\\",
        "\\u00e9",
        "\\ud83d",
        "\\ude00",
        "\\x",
        "{",
        "}",
        "[",
        "]",
        "0",
        "-",
        "1e5",
        ".5",
        "01",
        "null",
        "true",
        "\"id\":\"x\",",
        "\"index\":7,",
        "\"content\":null,",
        "\"tool_calls\":[],",
        "\u{1}",
        "é",
        "\"usage\":{},",
        "\"model\":\"m\",",
        "\"delta\":{},",
        "\"choices\":[],",
        "\"finish_reason\":\"stop\",",
        "\"prompt_tokens\":5,",
        "\"error\":null,",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Whatever the hand reader takes, serde_json reads the same way: mutated chunks.
        #[test]
        fn the_hand_reader_never_reads_a_chunk_otherwise_than_serde_json(
            base in 0usize..64,
            edits in proptest::collection::vec((0.0f64..1.0, 0usize..4, 0usize..PIECES.len(), 1usize..4), 1..4),
        ) {
            let samples = sample_chunks();
            let mut data = samples[base % samples.len()].clone();
            for (place, op, piece, len) in edits {
                let mut at = (place * data.len() as f64) as usize;
                while !data.is_char_boundary(at) {
                    at -= 1;
                }
                match op {
                    0 => data.insert_str(at, PIECES[piece]),
                    // Where a member may begin: a key there is a new field, or a field twice.
                    1 => {
                        let at = data[at..].find(['{', ',']).map_or(data.len(), |found| at + found + 1);
                        data.insert_str(at, PIECES[piece]);
                    }
                    2 => {
                        let mut end = (at + len).min(data.len());
                        while !data.is_char_boundary(end) {
                            end += 1;
                        }
                        data.replace_range(at..end, "");
                    }
                    _ => {
                        let mut end = (at + 8 * len).min(data.len());
                        while !data.is_char_boundary(end) {
                            end += 1;
                        }
                        let copy = data[at..end].to_owned();
                        data.insert_str(at, &copy);
                    }
                }
            }
            if let Some(chunk) = scan_chunk(&data) {
                let by_serde = serde_json::from_str::<Chunk>(&data);
                proptest::prop_assert!(by_serde.is_ok(), "serde_json refuses what the hand reader took: {data}");
                proptest::prop_assert_eq!(describe(&chunk), describe(&by_serde.unwrap()), "{}", data);
            }
        }
    }

    /// What `describe` shows of `data`, by label.
    fn described(data: &str) -> std::collections::HashMap<String, String> {
        OpenAi
            .describe(&frame(data))
            .into_iter()
            .map(|field| (field.label, field.value))
            .collect()
    }

    fn chunk_with(delta: &str, finish_reason: &str) -> String {
        format!(
            r#"{{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{{"index":0,"delta":{delta},"finish_reason":{finish_reason}}}]}}"#
        )
    }

    #[test]
    fn a_chunk_shows_its_id_model_content_exactly_and_finish_reason() {
        let field = |delta: &str, finish: &str, label: &str| described(&chunk_with(delta, finish)).remove(label);
        assert_eq!(field(r#"{"content":""}"#, "null", "content").as_deref(), Some(r#""""#));
        assert_eq!(field(r#"{"content":null}"#, "null", "content").as_deref(), Some("null"));
        assert_eq!(field("{}", "null", "content").as_deref(), Some("(absent)"));
        assert_eq!(
            field(r#"{"content":"Hi\n"}"#, "null", "content").as_deref(),
            Some(r#""Hi\n""#)
        );
        assert_eq!(field("{}", r#""stop""#, "finish_reason").as_deref(), Some(r#""stop""#));
        assert_eq!(field("{}", "null", "finish_reason").as_deref(), Some("null"));
        assert_eq!(field("{}", "null", "id").as_deref(), Some("chatcmpl-1"));
        assert_eq!(field("{}", "null", "model").as_deref(), Some("gpt-4o-mini"));
        assert_eq!(
            field(r#"{"role":"assistant"}"#, "null", "role").as_deref(),
            Some("assistant")
        );
        assert_eq!(field(r#"{"refusal":null}"#, "null", "refusal"), None);
        let calls = r#"[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]"#;
        assert_eq!(
            field(&format!(r#"{{"tool_calls":{calls}}}"#), "null", "tool_calls").as_deref(),
            Some(calls),
            "as they came, keys in their order"
        );
        let labels: Vec<String> = OpenAi
            .describe(&frame(&chunk_with(r#"{"content":"a"}"#, "null")))
            .into_iter()
            .map(|field| field.label)
            .collect();
        assert_eq!(labels, ["id", "model", "content", "finish_reason"]);
    }

    #[test]
    fn usage_an_error_and_frames_without_fields() {
        let usage = described(r#"{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":null}}"#);
        assert_eq!(usage["choices"], "[]");
        assert_eq!(usage["usage"], "3 in · ? out");
        let error = described(r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#);
        assert_eq!(error["error"], "requests Rate limit reached");
        assert!(described("[DONE]").is_empty());
        assert!(described("{}").is_empty());
    }

    #[test]
    fn malformed_json_is_a_protocol_error_naming_the_data() {
        let (_, step) = decode_all(&[r#"{"choices":[{"#]);
        let error = step.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Protocol);
        assert!(error.message.contains(r#"{"choices":[{"#), "{}", error.message);
    }
}
