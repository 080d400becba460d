//! Google Gemini (`POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`, the key in
//! `x-goog-api-key`).
//!
//! Every `data:` line is a whole `GenerateContentResponse`: its first candidate's
//! `content.parts` carry text, thoughts (`"thought": true`, when asked for) and whole function
//! calls (`functionCall { name, args }`, the arguments an object); `usageMetadata` comes on many
//! chunks, each a running total; the first chunk names `responseId` and `modelVersion`. There is
//! no terminator: the stream is complete with the chunk whose candidate carries a
//! `finishReason`, or one whose `promptFeedback` says the prompt was blocked (no candidates). An
//! error is an `{ "error": { "code", "message", "status" } }` object, in an error body or in the
//! stream of a 200. Unknown fields and parts are ignored.

use std::borrow::Cow;

use reqwest::header::{HeaderMap, HeaderName};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::fields::{self, Field, exact, member, plain, plain_or};
use super::{EventDecoder, Finish, ModelInfo, Protocol, ProviderErrorBody, Quirks, Routes, Step, instructions_and_turns, parse_json, Framing, key_headers};
use crate::error::{ErrorKind, StreamError};
use crate::event::{FinishReason, StreamEvent, Usage};
use crate::keys::ApiKey;
use crate::request::{ChatRequest, Role};
use crate::sse::SseFrame;

/// The Google Gemini protocol (the Gemini API's `generateContent` family).
pub struct Gemini;

/// `{model}` stands for the model's resource name (`models/gemini-2.5-flash`).
const CHAT_PATH: &str = "/v1beta/{model}:streamGenerateContent?alt=sse";
const MODELS_PATH: &str = "/v1beta/models";
/// The largest page the model list serves.
const PAGE_SIZE: &str = "pageSize=1000";

impl Protocol for Gemini {
    fn routes(&self) -> Routes {
        Routes {
            id: "gemini",
            base_path: "",
            chat_path: CHAT_PATH,
            models_path: MODELS_PATH,
        }
    }

    fn name(&self) -> &'static str {
        "Google Gemini"
    }

    /// The model is part of the path: a bare id is under `models/`; a resource name
    /// (`models/…`, `tunedModels/…`) is used as it is. The id is percent-encoded.
    fn chat_url(&self, base_url: &str, request: &ChatRequest) -> String {
        let model = request.model.as_str();
        let (collection, id) = match model.split_once('/') {
            Some((collection @ ("models" | "tunedModels"), id)) => (collection, id),
            _ => ("models", model),
        };
        let name = format!("{collection}/{}", encode(id));
        format!("{base_url}{}", CHAT_PATH.replace("{model}", &name))
    }

    fn models_url(&self, base_url: &str) -> String {
        format!("{base_url}{MODELS_PATH}?{PAGE_SIZE}")
    }

    /// The page its `nextPageToken` names.
    fn next_models_url(&self, base_url: &str, body: &[u8]) -> Option<String> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(rename = "nextPageToken")]
            next_page_token: Option<String>,
        }
        let token = serde_json::from_slice::<Page>(body).ok()?.next_page_token?;
        (!token.is_empty()).then(|| format!("{}&pageToken={}", self.models_url(base_url), encode(&token)))
    }

    /// A `google.rpc.ErrorInfo` among the error's `details`: its `reason` (`API_KEY_INVALID`, sent
    /// with a 400 `INVALID_ARGUMENT`), when it is one this protocol knows.
    fn error_reason(&self, body: &[u8]) -> Option<String> {
        details(body, "google.rpc.ErrorInfo")
            .find_map(|detail| detail.get("reason")?.as_str().map(str::to_owned))
            .filter(|reason| self.error_kind(reason).is_some())
    }

    /// A `google.rpc.RetryInfo` among the error's `details`: its `retryDelay` (`"30s"`).
    fn retry_after(&self, body: &[u8]) -> Option<f64> {
        details(body, "google.rpc.RetryInfo")
            .find_map(|detail| detail.get("retryDelay")?.as_str()?.strip_suffix('s')?.parse::<f64>().ok())
            .filter(|seconds| seconds.is_finite())
            .map(|seconds| seconds.max(0.0))
    }

    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        key_headers(key, HeaderName::from_static("x-goog-api-key"), "", Framing::Sse)
    }

    /// System messages become `systemInstruction` (joined by blank lines), the other turns
    /// `contents` (`user` and `model`; an answer stopped before its first word is left out);
    /// the token limit, temperature and stop sequences go in `generationConfig`. A thinking model
    /// ([`thinks`]) is asked for its thoughts (`thinkingConfig.includeThoughts`), which models that
    /// do not think refuse.
    fn chat_body(&self, request: &ChatRequest, _quirks: &Quirks) -> serde_json::Value {
        let (system, turns) = instructions_and_turns(&request.messages);
        let contents: Vec<serde_json::Value> = turns
            .iter()
            .map(|message| {
                let role = if message.role == Role::Assistant { "model" } else { "user" };
                json!({ "role": role, "parts": [{ "text": message.content }] })
            })
            .collect();
        let mut body = json!({ "contents": contents });
        if let Some(system) = system {
            body["systemInstruction"] = json!({ "parts": [{ "text": system }] });
        }
        let options = &request.options;
        let mut config = serde_json::Map::new();
        if let Some(max_tokens) = options.max_tokens {
            config.insert("maxOutputTokens".into(), json!(max_tokens));
        }
        if let Some(temperature) = options.temperature {
            config.insert("temperature".into(), json!(temperature));
        }
        if !options.stop.is_empty() {
            config.insert("stopSequences".into(), json!(options.stop));
        }
        if thinks(&request.model) {
            config.insert("thinkingConfig".into(), json!({ "includeThoughts": true }));
        }
        if !config.is_empty() {
            body["generationConfig"] = serde_json::Value::Object(config);
        }
        body
    }

    fn decoder(&self) -> Box<dyn EventDecoder> {
        Box::new(GeminiDecoder::default())
    }

    fn finish_reason(&self, raw: &str) -> FinishReason {
        // A candidate's `finishReason` (a function call ends with `STOP`; the decoder makes it
        // `tool_calls`).
        match raw {
            "STOP" => FinishReason::Stop,
            "MAX_TOKENS" => FinishReason::Length,
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY"
            | "IMAGE_PROHIBITED_CONTENT" | "IMAGE_RECITATION" => FinishReason::ContentFilter,
            _ => FinishReason::Other, // LANGUAGE, MALFORMED_FUNCTION_CALL, OTHER, …
        }
    }

    fn error_kind(&self, error_type: &str) -> Option<ErrorKind> {
        // The error's `status`, a `google.rpc.Code` name.
        Some(match error_type {
            "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => ErrorKind::InvalidRequest,
            "UNAUTHENTICATED" | "API_KEY_INVALID" => ErrorKind::Authentication,
            "PERMISSION_DENIED" => ErrorKind::Permission,
            "NOT_FOUND" => ErrorKind::NotFound,
            "RESOURCE_EXHAUSTED" => ErrorKind::RateLimited,
            "UNAVAILABLE" => ErrorKind::Overloaded,
            "INTERNAL" | "UNKNOWN" | "DATA_LOSS" | "DEADLINE_EXCEEDED" => ErrorKind::Server,
            _ => return None,
        })
    }

    /// `{ "models": [{ "name": "models/…", "supportedGenerationMethods": […] }], "nextPageToken" }`:
    /// the ids without `models/`, of the models that generate content (not the embedding ones).
    fn parse_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, StreamError> {
        #[derive(Deserialize)]
        struct Page {
            // An empty page leaves the list out.
            #[serde(default)]
            models: Vec<Model>,
        }
        #[derive(Deserialize)]
        struct Model {
            name: String,
            #[serde(default, rename = "supportedGenerationMethods")]
            methods: Vec<String>,
        }
        let page = serde_json::from_slice::<Page>(body)
            .map_err(|error| StreamError::protocol(format!("the model list is not in the expected shape: {error}")))?;
        Ok(page
            .models
            .into_iter()
            .filter(|model| {
                model
                    .methods
                    .iter()
                    .any(|method| method == "generateContent" || method == "streamGenerateContent")
            })
            .map(|model| ModelInfo {
                id: model.name.strip_prefix("models/").unwrap_or(&model.name).to_owned(),
            })
            .collect())
    }

    /// Each candidate's parts (`text` and `thought` exactly, a `functionCall` as its name and
    /// arguments), its `finishReason`, a blocked prompt's `blockReason`, the `usageMetadata`
    /// (prompt, candidates and thoughts tokens), `modelVersion` and `responseId`; an error
    /// object by its status, code and message.
    fn describe(&self, frame: &SseFrame) -> Vec<Field> {
        let Some(chunk) = fields::object(&frame.data) else {
            return Vec::new();
        };
        let mut shown = Vec::new();
        let candidates = chunk.get("candidates").and_then(serde_json::Value::as_array);
        for candidate in candidates.into_iter().flatten().filter_map(serde_json::Value::as_object) {
            let parts = member(candidate, "content")
                .and_then(|content| content.get("parts"))
                .and_then(serde_json::Value::as_array);
            for part in parts.into_iter().flatten().filter_map(serde_json::Value::as_object) {
                if let Some(call) = member(part, "functionCall") {
                    let name = plain_or(call, "name", "?");
                    let args = call.get("args").map_or_else(|| "{}".to_owned(), plain);
                    shown.push(Field::new("functionCall", format!("{name} {args}")));
                } else if part.contains_key("text") {
                    let thought = part.get("thought").and_then(serde_json::Value::as_bool) == Some(true);
                    shown.push(Field::new(if thought { "thought" } else { "text" }, exact(part.get("text"))));
                }
            }
            if let Some(reason) = candidate.get("finishReason") {
                shown.push(Field::new("finishReason", plain(reason)));
            }
        }
        if let Some(reason) = member(&chunk, "promptFeedback").and_then(|feedback| feedback.get("blockReason")) {
            shown.push(Field::new("blockReason", plain(reason)));
        }
        if let Some(usage) = member(&chunk, "usageMetadata") {
            let count = |key| plain_or(usage, key, "–");
            shown.push(Field::new(
                "usageMetadata",
                format!(
                    "{} prompt · {} candidates ({} thoughts) · {} total",
                    count("promptTokenCount"),
                    count("candidatesTokenCount"),
                    count("thoughtsTokenCount"),
                    count("totalTokenCount")
                ),
            ));
        }
        for key in ["modelVersion", "responseId"] {
            if let Some(value) = chunk.get(key) {
                shown.push(Field::new(key, plain(value)));
            }
        }
        if let Some(error) = member(&chunk, "error") {
            let words: Vec<String> = ["status", "code", "message"]
                .into_iter()
                .filter_map(|key| error.get(key).filter(|value| !value.is_null()).map(plain))
                .collect();
            shown.push(Field::new("error", words.join(" ")));
        }
        shown
    }
}

/// The `details` of an error body's `error` whose `@type` is `kind` (`google.rpc.RetryInfo`).
fn details(body: &[u8], kind: &str) -> impl Iterator<Item = serde_json::Value> {
    #[derive(Deserialize)]
    struct Body {
        error: Option<Error>,
    }
    #[derive(Deserialize)]
    struct Error {
        #[serde(default)]
        details: Vec<serde_json::Value>,
    }
    let details = serde_json::from_slice::<Body>(body)
        .ok()
        .and_then(|body| body.error)
        .map(|error| error.details)
        .unwrap_or_default();
    let kind = format!("type.googleapis.com/{kind}");
    details
        .into_iter()
        .filter(move |detail| detail.get("@type").and_then(serde_json::Value::as_str) == Some(kind.as_str()))
}

/// `text` percent-encoded but for the characters a URL never needs to escape
/// (`A–Z a–z 0–9 - . _ ~`), for a path segment or a query value.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// JSON text without the whitespace between its tokens (`{"a": 1}` → `{"a":1}`), its members in
/// their order and its strings exact.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !c.is_ascii_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct GeminiDecoder {
    started: bool,
    tool_calls: u32,
    /// The latest `usageMetadata`: each is a running total, so the last one before the end is
    /// the answer's.
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Chunk<'a> {
    /// The first candidate (one is asked for; any others are not this answer, and are skipped
    /// unread but for their syntax).
    #[serde(borrow, default, rename = "candidates", deserialize_with = "first")]
    candidate: Option<Candidate<'a>>,
    #[serde(rename = "usageMetadata")]
    usage_metadata: Option<UsageMetadata>,
    #[serde(borrow, rename = "promptFeedback")]
    prompt_feedback: Option<PromptFeedback<'a>>,
    #[serde(borrow, rename = "modelVersion")]
    model_version: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "responseId")]
    response_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error: Option<ProviderErrorBody<'a>>,
}

/// The first element of a JSON array, the others skipped.
fn first<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct First<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for First<T> {
        type Value = Option<T>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("an array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let first = seq.next_element()?;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }
    deserializer.deserialize_seq(First(std::marker::PhantomData))
}

#[derive(Deserialize)]
struct Candidate<'a> {
    #[serde(borrow)]
    content: Option<Content<'a>>,
    #[serde(borrow, rename = "finishReason")]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow, default)]
    parts: Vec<Part<'a>>,
}

#[derive(Deserialize)]
struct Part<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    thought: bool,
    #[serde(borrow, rename = "functionCall")]
    function_call: Option<FunctionCall<'a>>,
}

#[derive(Deserialize)]
struct FunctionCall<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    args: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct UsageMetadata {
    #[serde(rename = "promptTokenCount")]
    prompt: Option<u64>,
    #[serde(rename = "candidatesTokenCount")]
    candidates: Option<u64>,
    #[serde(rename = "thoughtsTokenCount")]
    thoughts: Option<u64>,
    /// Of the prompt's tokens, those read from a cache (implicit or explicit).
    #[serde(rename = "cachedContentTokenCount")]
    cached: Option<u64>,
}

#[derive(Deserialize)]
struct PromptFeedback<'a> {
    #[serde(borrow, rename = "blockReason")]
    block_reason: Option<Cow<'a, str>>,
}

impl From<UsageMetadata> for Usage {
    /// The answer's tokens are the candidates' and the thoughts' (both are output, billed as
    /// such, as other protocols count reasoning in the output); the thoughts' are its reasoning
    /// tokens.
    fn from(usage: UsageMetadata) -> Self {
        let output_tokens = match (usage.candidates, usage.thoughts) {
            (None, None) => None,
            (candidates, thoughts) => Some(candidates.unwrap_or(0) + thoughts.unwrap_or(0)),
        };
        Self {
            input_tokens: usage.prompt,
            output_tokens,
            reasoning_tokens: usage.thoughts,
            cached_input_tokens: usage.cached,
            generation_ns: None,
        }
    }
}

impl GeminiDecoder {
    /// The stream's ending: the last usage, then how it ended.
    fn end(&mut self, mut finish: Finish, out: &mut Vec<StreamEvent>) -> Step {
        if let Some(usage) = self.usage.take() {
            out.push(StreamEvent::Usage(usage));
        }
        if finish.reason == FinishReason::Stop && self.tool_calls > 0 {
            finish.reason = FinishReason::ToolCalls;
        }
        Step::Done(finish)
    }
}

impl EventDecoder for GeminiDecoder {
    fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError> {
        let chunk: Chunk = parse_json(frame)?;
        if let Some(error) = chunk.error {
            return Err(error.into_error(&Gemini));
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                response_id: chunk.response_id.map(Cow::into_owned),
                model: chunk.model_version.map(Cow::into_owned),
            });
        }
        if let Some(usage) = chunk.usage_metadata {
            self.usage = Some(usage.into());
        }
        let Some(candidate) = chunk.candidate else {
            // No candidate at all: the prompt itself may have been blocked.
            let blocked = chunk.prompt_feedback.and_then(|feedback| feedback.block_reason);
            return Ok(match blocked {
                Some(reason) => {
                    let finish = Finish {
                        reason: FinishReason::ContentFilter,
                        raw_reason: Some(reason.into_owned()),
                    };
                    self.end(finish, out)
                }
                None => Step::More,
            });
        };
        for part in candidate.content.into_iter().flat_map(|content| content.parts) {
            if let Some(call) = part.function_call {
                out.push(StreamEvent::ToolCallDelta {
                    index: self.tool_calls,
                    id: call.id.map(Cow::into_owned),
                    name: call.name.map(Cow::into_owned),
                    arguments: call.args.map_or_else(|| "{}".to_owned(), |args| compact(args.get())),
                });
                self.tool_calls += 1;
            } else if let Some(text) = part.text.filter(|text| !text.is_empty()) {
                let text = text.into_owned();
                out.push(if part.thought {
                    StreamEvent::ThinkingDelta { text }
                } else {
                    StreamEvent::TextDelta { text }
                });
            }
        }
        Ok(match candidate.finish_reason {
            Some(reason) => self.end(Finish::from_raw(&Gemini, Some(reason.into_owned())), out),
            None => Step::More,
        })
    }

    fn terminator(&self) -> &'static str {
        "a candidate's finishReason"
    }
}

/// Gemini's thinking models, by their ids (`gemini-2.5-flash`, `models/gemini-3-pro-preview`,
/// `gemini-2.0-flash-thinking-exp`): from 2.5 on, every Gemini model thinks.
fn thinks(model: &str) -> bool {
    let id = model.rsplit('/').next().unwrap_or(model);
    let version = id.strip_prefix("gemini-").and_then(|rest| rest.split('-').next());
    let from_2_5 = version
        .and_then(|version| version.parse::<f32>().ok())
        .is_some_and(|version| version >= 2.5);
    from_2_5 || id.contains("thinking")
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

    fn decode_all(frames: &[&str]) -> (Vec<StreamEvent>, Result<Step, StreamError>) {
        let mut decoder = GeminiDecoder::default();
        let mut out = Vec::new();
        let mut step = Ok(Step::More);
        for data in frames {
            step = decoder.decode(&frame(data), &mut out);
            if !matches!(step, Ok(Step::More)) {
                break;
            }
        }
        (out, step)
    }

    #[test]
    fn the_model_is_in_the_path_and_the_key_only_in_its_header() {
        let request = |model: &str| ChatRequest::new(model, vec![Message::user("hi")]);
        let base = "https://generativelanguage.googleapis.com";
        assert_eq!(
            Gemini.chat_url(base, &request("gemini-2.5-flash")),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        assert_eq!(
            Gemini.chat_url(base, &request("models/gemini-2.5-pro")),
            format!("{base}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse")
        );
        assert_eq!(
            Gemini.chat_url(base, &request("tunedModels/my-model-7")),
            format!("{base}/v1beta/tunedModels/my-model-7:streamGenerateContent?alt=sse")
        );
        assert_eq!(
            Gemini.chat_url(base, &request("a/b?key=x#y z")),
            format!("{base}/v1beta/models/a%2Fb%3Fkey%3Dx%23y%20z:streamGenerateContent?alt=sse")
        );
        let headers = Gemini.headers(Some(&ApiKey::new("AIza-secret")));
        let key = headers.get("x-goog-api-key").unwrap();
        assert_eq!(key, "AIza-secret");
        assert!(key.is_sensitive());
        assert!(headers.get(reqwest::header::AUTHORIZATION).is_none());
        assert!(Gemini.headers(None).get("x-goog-api-key").is_none());
    }

    #[test]
    fn system_messages_are_the_system_instruction_and_options_the_generation_config() {
        let mut request = ChatRequest::new(
            "gemini-2.0-flash",
            vec![
                Message::system("be brief"),
                Message::user("one"),
                Message::assistant("uno"),
                Message::assistant(" "),
                Message::system("in French"),
                Message::user("two"),
            ],
        );
        let body = Gemini.chat_body(&request, &Quirks::default());
        assert!(body.get("generationConfig").is_none());
        request.options.max_tokens = Some(64);
        request.options.temperature = Some(0.5);
        request.options.stop = vec!["END".into()];
        let body = Gemini.chat_body(&request, &Quirks::default());
        assert_eq!(
            body,
            json!({
                "contents": [
                    { "role": "user", "parts": [{ "text": "one" }] },
                    { "role": "model", "parts": [{ "text": "uno" }] },
                    { "role": "user", "parts": [{ "text": "two" }] }
                ],
                "systemInstruction": { "parts": [{ "text": "be brief\n\nin French" }] },
                "generationConfig": { "maxOutputTokens": 64, "temperature": 0.5, "stopSequences": ["END"] }
            })
        );
        request.model = "gemini-2.5-flash".into();
        let body = Gemini.chat_body(&request, &Quirks::default());
        assert_eq!(
            body["generationConfig"]["thinkingConfig"],
            json!({ "includeThoughts": true }),
            "a thinking model is asked for its thoughts"
        );
    }

    #[test]
    fn thinking_models_are_known_by_their_ids() {
        for model in ["gemini-2.5-flash", "gemini-2.5-pro", "models/gemini-3-pro-preview", "gemini-2.0-flash-thinking-exp"] {
            assert!(thinks(model), "{model}");
        }
        for model in ["gemini-2.0-flash", "gemini-1.5-pro", "gemma-3-27b-it", "learnlm-2.0-flash-experimental"] {
            assert!(!thinks(model), "{model}");
        }
    }

    #[test]
    fn gemini_words_map_to_the_common_vocabulary() {
        assert_eq!(Gemini.finish_reason("STOP"), FinishReason::Stop);
        assert_eq!(Gemini.finish_reason("MAX_TOKENS"), FinishReason::Length);
        for filtered in ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"] {
            assert_eq!(Gemini.finish_reason(filtered), FinishReason::ContentFilter);
        }
        assert_eq!(Gemini.finish_reason("MALFORMED_FUNCTION_CALL"), FinishReason::Other);
        assert_eq!(Gemini.error_kind("RESOURCE_EXHAUSTED"), Some(ErrorKind::RateLimited));
        assert_eq!(Gemini.error_kind("UNAVAILABLE"), Some(ErrorKind::Overloaded));
        assert_eq!(Gemini.error_kind("INVALID_ARGUMENT"), Some(ErrorKind::InvalidRequest));
        assert_eq!(Gemini.error_kind("UNAUTHENTICATED"), Some(ErrorKind::Authentication));
        assert_eq!(Gemini.error_kind("PERMISSION_DENIED"), Some(ErrorKind::Permission));
        assert_eq!(Gemini.error_kind("NOT_FOUND"), Some(ErrorKind::NotFound));
        assert_eq!(Gemini.error_kind("INTERNAL"), Some(ErrorKind::Server));
    }

    #[test]
    fn parts_become_text_thinking_and_whole_tool_calls_and_the_last_usage_comes_once_at_the_end() {
        let (out, step) = decode_all(&[
            r#"{"candidates": [{"content": {"parts": [{"text": "Let me think","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 20,"thoughtsTokenCount": 11},"modelVersion": "gemini-2.5-flash","responseId": "resp-1"}"#,
            r#"{"candidates": [{"content": {"parts": [{"text": "Calling."},{"functionCall": {"name": "get_weather","args": {"city": "Paris, \"FR\"","days": [1, 2]}},"thoughtSignature": "CiQ="},{"functionCall": {"id": "c2","name": "now"}},{"inlineData": {"mimeType": "image/png","data": "AA=="}}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 3,"totalTokenCount": 23,"thoughtsTokenCount": 11}}"#,
            r#"{"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 30,"totalTokenCount": 50,"thoughtsTokenCount": 11}}"#,
        ]);
        assert_eq!(
            step,
            Ok(Step::Done(Finish {
                reason: FinishReason::ToolCalls,
                raw_reason: Some("STOP".into())
            }))
        );
        assert_eq!(
            out,
            [
                StreamEvent::Start {
                    response_id: Some("resp-1".into()),
                    model: Some("gemini-2.5-flash".into())
                },
                StreamEvent::ThinkingDelta {
                    text: "Let me think".into()
                },
                StreamEvent::TextDelta {
                    text: "Calling.".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    id: None,
                    name: Some("get_weather".into()),
                    arguments: r#"{"city":"Paris, \"FR\"","days":[1,2]}"#.into()
                },
                StreamEvent::ToolCallDelta {
                    index: 1,
                    id: Some("c2".into()),
                    name: Some("now".into()),
                    arguments: "{}".into()
                },
                StreamEvent::Usage(Usage {
                    input_tokens: Some(9),
                    output_tokens: Some(41),
                    reasoning_tokens: Some(11),
                    cached_input_tokens: None,
                    generation_ns: None
                })
            ]
        );
    }

    #[test]
    fn a_blocked_prompt_is_a_content_filter_ending_and_an_error_object_is_typed() {
        let (out, step) = decode_all(&[
            r#"{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},"usageMetadata": {"promptTokenCount": 7,"totalTokenCount": 7},"modelVersion": "gemini-2.5-flash","responseId": "r"}"#,
        ]);
        assert_eq!(
            step,
            Ok(Step::Done(Finish {
                reason: FinishReason::ContentFilter,
                raw_reason: Some("PROHIBITED_CONTENT".into())
            }))
        );
        assert_eq!(
            out[1],
            StreamEvent::Usage(Usage {
                input_tokens: Some(7),
                ..Usage::default()
            })
        );
        let (out, step) = decode_all(&[
            r#"{"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}"#,
        ]);
        let error = step.unwrap_err();
        assert_eq!(
            (error.kind, error.error_type.as_deref(), error.message.as_str()),
            (
                ErrorKind::Overloaded,
                Some("UNAVAILABLE"),
                "The model is overloaded. Please try again later."
            )
        );
        assert!(out.is_empty());
    }

    #[test]
    fn unknown_fields_are_ignored_and_frames_of_other_shapes_are_errors() {
        let (out, step) = decode_all(&[r#"{"gopher": {"x": 1},"candidates": [{"index": 0,"gopher": []}]}"#, "{}"]);
        assert_eq!(step, Ok(Step::More));
        assert_eq!(out.len(), 1);
        for bad in ["[DONE]", r#"{"candidates": {"x": 1}}"#, r#"{"candidates": [{"content": {"parts": [{"text": 7}]}}]}"#] {
            assert_eq!(decode_all(&[bad]).1.unwrap_err().kind, ErrorKind::Protocol, "{bad}");
        }
    }

    #[test]
    fn model_lists_keep_generating_models_by_id_and_pages_follow_their_token() {
        let page = br#"{"models": [{"name": "models/embedding-001","supportedGenerationMethods": ["embedContent"]},{"name": "models/gemini-2.5-flash","supportedGenerationMethods": ["generateContent","countTokens"]},{"name": "models/other"}],"nextPageToken": "Ch/x+="}"#;
        let ids: Vec<_> = Gemini.parse_models(page).unwrap().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["gemini-2.5-flash"]);
        let base = "http://127.0.0.1:9";
        assert_eq!(Gemini.models_url(base), "http://127.0.0.1:9/v1beta/models?pageSize=1000");
        assert_eq!(
            Gemini.next_models_url(base, page).as_deref(),
            Some("http://127.0.0.1:9/v1beta/models?pageSize=1000&pageToken=Ch%2Fx%2B%3D")
        );
        assert_eq!(Gemini.next_models_url(base, br#"{"models": []}"#), None);
        assert_eq!(Gemini.next_models_url(base, br#"{"nextPageToken": ""}"#), None);
        assert!(Gemini.parse_models(b"{}").unwrap().is_empty());
        assert_eq!(Gemini.parse_models(br#"{"models": 1}"#).unwrap_err().kind, ErrorKind::Protocol);
    }

    #[test]
    fn a_retry_info_detail_says_when_to_retry() {
        let body = br#"{"error": {"code": 429,"message": "Quota exceeded","status": "RESOURCE_EXHAUSTED","details": [{"@type": "type.googleapis.com/google.rpc.Help","links": []},{"@type": "type.googleapis.com/google.rpc.RetryInfo","retryDelay": "12.5s"}]}}"#;
        assert_eq!(Gemini.retry_after(body), Some(12.5));
        assert_eq!(Gemini.retry_after(br#"{"error": {"code": 429,"details": []}}"#), None);
        assert_eq!(Gemini.retry_after(b"not json"), None);
    }

    #[test]
    fn a_rejected_key_is_known_by_its_error_info_reason() {
        let body = br#"{"error": {"code": 400,"message": "API key not valid. Please pass a valid API key.","status": "INVALID_ARGUMENT","details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo","reason": "API_KEY_INVALID","domain": "googleapis.com"}]}}"#;
        assert_eq!(Gemini.error_reason(body).as_deref(), Some("API_KEY_INVALID"));
        let error = crate::http_error::error_from_response(&Gemini, 400, &HeaderMap::new(), body);
        assert_eq!(
            (error.kind, error.error_type.as_deref()),
            (ErrorKind::Authentication, Some("API_KEY_INVALID"))
        );
        assert_eq!(
            error.message,
            "HTTP 400 Bad Request: API key not valid. Please pass a valid API key."
        );
        // A reason this protocol does not know leaves the status as the type.
        let other = br#"{"error": {"code": 403,"message": "m","status": "PERMISSION_DENIED","details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo","reason": "SERVICE_DISABLED"}]}}"#;
        assert_eq!(Gemini.error_reason(other), None);
        let error = crate::http_error::error_from_response(&Gemini, 403, &HeaderMap::new(), other);
        assert_eq!(
            (error.kind, error.error_type.as_deref()),
            (ErrorKind::Permission, Some("PERMISSION_DENIED"))
        );
    }

    #[test]
    fn json_is_compacted_outside_its_strings_only() {
        assert_eq!(compact("{\"a b\": [1, \"x\\\" y\"],\n \"c\": {}}"), r#"{"a b":[1,"x\" y"],"c":{}}"#);
    }

    fn described(data: &str) -> Vec<(String, String)> {
        Gemini
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
    fn a_chunk_is_shown_by_its_parts_ending_usage_and_names() {
        assert_eq!(
            described(
                r#"{"candidates": [{"content": {"parts": [{"text": "Hmm","thought": true},{"text": ""},{"functionCall": {"name": "f","args": {"x": 1}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 3,"totalTokenCount": 20,"thoughtsTokenCount": 8},"modelVersion": "gemini-2.5-flash","responseId": "r1"}"#
            ),
            pairs(&[
                ("thought", r#""Hmm""#),
                ("text", r#""""#),
                ("functionCall", r#"f {"x":1}"#),
                ("finishReason", "STOP"),
                ("usageMetadata", "9 prompt · 3 candidates (8 thoughts) · 20 total"),
                ("modelVersion", "gemini-2.5-flash"),
                ("responseId", "r1")
            ])
        );
        assert_eq!(
            described(r#"{"promptFeedback": {"blockReason": "SAFETY"}}"#),
            pairs(&[("blockReason", "SAFETY")])
        );
        assert_eq!(
            described(r#"{"error": {"code": 500,"message": "Internal error","status": "INTERNAL"}}"#),
            pairs(&[("error", "INTERNAL 500 Internal error")])
        );
        assert!(described("[DONE]").is_empty());
    }
}
