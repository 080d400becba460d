//! The fixtures and generators decode to what `fixtures/EXPECTED.md` says.

use runnel_testkit::{
    anthropic_stream, anthropic_text_of, fixture, fixture_names, long_line_event, openai_stream, openai_text_of,
};
use serde_json::{Value, json};

/// One dispatched SSE event: its `event:` name (if any) and its joined `data:` lines.
#[derive(Debug, PartialEq)]
struct Event {
    name: Option<String>,
    data: String,
}

/// A minimal SSE parser (LF, CRLF or CR line ends; comments, `id:` and `retry:` skipped).
fn parse_sse(bytes: &[u8]) -> Vec<Event> {
    let text = std::str::from_utf8(bytes).expect("fixture is UTF-8");
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let (mut events, mut name, mut data) = (Vec::new(), None, Vec::<String>::new());
    for line in normalized.split('\n') {
        if line.is_empty() {
            if !data.is_empty() {
                events.push(Event {
                    name: name.take(),
                    data: data.join("\n"),
                });
                data.clear();
            }
            name = None;
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = Some(value.to_string()),
            "data" => data.push(value.to_string()),
            "" | "id" | "retry" => {}
            other => panic!("unexpected SSE field {other:?}"),
        }
    }
    assert!(data.is_empty(), "stream ends inside an event");
    events
}

fn json_of(event: &Event) -> Value {
    serde_json::from_str(&event.data).unwrap_or_else(|e| panic!("not JSON ({e}): {}", event.data))
}

/// What an OpenAI stream adds up to.
#[derive(Debug, Default)]
struct OpenAi {
    content: String,
    refusal: String,
    reasoning: String,
    finish: Option<String>,
    usage: Option<Value>,
    done: bool,
    error: Option<Value>,
    tool_calls: Vec<(String, String, String)>,
}

fn openai(name: &str) -> OpenAi {
    openai_of(&fixture(name))
}

fn openai_of(bytes: &[u8]) -> OpenAi {
    let mut out = OpenAi::default();
    for event in parse_sse(bytes) {
        assert!(!out.done, "data after [DONE]");
        assert_eq!(event.name, None);
        if event.data == "[DONE]" {
            out.done = true;
            continue;
        }
        let chunk = json_of(&event);
        if let Some(error) = chunk.get("error") {
            out.error = Some(error.clone());
            continue;
        }
        assert_eq!(chunk["object"], "chat.completion.chunk");
        if !chunk["usage"].is_null() {
            out.usage = Some(chunk["usage"].clone());
        }
        for choice in chunk["choices"].as_array().unwrap() {
            let delta = &choice["delta"];
            let text = |key: &str| delta.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
            out.content += &text("content");
            out.refusal += &text("refusal");
            out.reasoning += &text("reasoning_content");
            out.reasoning += &text("reasoning");
            for call in delta.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
                let index = call["index"].as_u64().unwrap() as usize;
                if index == out.tool_calls.len() {
                    let id = call["id"].as_str().expect("first delta of a call has its id");
                    let name = call["function"]["name"]
                        .as_str()
                        .expect("first delta of a call has its name");
                    out.tool_calls.push((id.to_string(), name.to_string(), String::new()));
                }
                out.tool_calls[index].2 += call["function"]["arguments"].as_str().unwrap_or_default();
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                out.finish = Some(reason.to_string());
            }
        }
    }
    out
}

/// What an Anthropic stream adds up to.
#[derive(Debug, Default)]
struct Anthropic {
    events: Vec<String>,
    text: String,
    thinking: String,
    signature: String,
    tool_json: String,
    tool: Option<(String, String)>,
    stop_reason: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    error: Option<Value>,
}

fn anthropic(name: &str) -> Anthropic {
    anthropic_of(&fixture(name))
}

fn anthropic_of(bytes: &[u8]) -> Anthropic {
    let mut out = Anthropic::default();
    for event in parse_sse(bytes) {
        let name = event.name.clone().expect("every Anthropic event is named");
        let data = json_of(&event);
        assert_eq!(data["type"], name.as_str(), "event name and data type differ");
        match name.as_str() {
            "message_start" => out.input_tokens = data["message"]["usage"]["input_tokens"].as_u64(),
            "content_block_start" if data["content_block"]["type"] == "tool_use" => {
                let block = &data["content_block"];
                assert_eq!(block["input"], json!({}));
                out.tool = Some((
                    block["id"].as_str().unwrap().into(),
                    block["name"].as_str().unwrap().into(),
                ));
            }
            "content_block_delta" => {
                let delta = &data["delta"];
                let field = |key: &str| delta[key].as_str().unwrap().to_string();
                match delta["type"].as_str().unwrap() {
                    "text_delta" => out.text += &field("text"),
                    "thinking_delta" => out.thinking += &field("thinking"),
                    "signature_delta" => out.signature += &field("signature"),
                    "input_json_delta" => out.tool_json += &field("partial_json"),
                    other => panic!("unknown delta {other}"),
                }
            }
            "message_delta" => {
                out.stop_reason = data["delta"]["stop_reason"].as_str().map(String::from);
                out.output_tokens = data["usage"]["output_tokens"].as_u64();
            }
            "error" => out.error = Some(data["error"].clone()),
            _ => {}
        }
        out.events.push(name);
    }
    out
}

const OPENAI_TEXT: &str = "Hello! Café au lait, 日本語 and a crab 🦀.\nDone \"quoted\".";

#[test]
fn openai_text_has_role_chunk_utf8_deltas_finish_usage_and_done() {
    let bytes = fixture("openai_text.sse");
    let s = openai_of(&bytes);
    assert_eq!(s.content, OPENAI_TEXT);
    assert_eq!(s.finish.as_deref(), Some("stop"));
    let usage = s.usage.unwrap();
    assert_eq!(
        (
            &usage["prompt_tokens"],
            &usage["completion_tokens"],
            &usage["total_tokens"]
        ),
        (&json!(19), &json!(14), &json!(33))
    );
    assert!(s.done);
    let events = parse_sse(&bytes);
    let first = json_of(&events[0]);
    assert!(first["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(first["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(
        first["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "refusal": null})
    );
    let usage_chunk = json_of(&events[events.len() - 2]);
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(bytes.ends_with(b"\n\ndata: [DONE]\n\n"));
    assert!(!bytes.contains(&b'\r'));
}

#[test]
fn openai_line_end_and_comment_variants_carry_the_same_events() {
    let reference = parse_sse(&fixture("openai_text.sse"));
    for name in ["openai_crlf.sse", "openai_cr.sse", "openai_comments.sse"] {
        assert_eq!(parse_sse(&fixture(name)), reference, "{name}");
    }
    let crlf = fixture("openai_crlf.sse");
    assert!(crlf.ends_with(b"data: [DONE]\r\n\r\n") && !crlf.windows(2).any(|w| w == b"\n\n"));
    let cr = fixture("openai_cr.sse");
    assert!(cr.ends_with(b"data: [DONE]\r\r") && !cr.contains(&b'\n'));
    let comments = String::from_utf8(fixture("openai_comments.sse")).unwrap();
    for line in [
        ": keep-alive\n",
        "retry: 3000\n",
        "id: 1\n",
        ": still here\nid: 9\ndata: ",
    ] {
        assert!(comments.contains(line), "missing {line:?}");
    }
}

#[test]
fn openai_tool_calls_stream_two_parallel_calls() {
    let s = openai("openai_tool_calls.sse");
    assert_eq!(s.finish.as_deref(), Some("tool_calls"));
    assert_eq!(s.content, "");
    let calls: Vec<(&str, &str, Value)> = s
        .tool_calls
        .iter()
        .map(|(id, name, args)| (&id[..], &name[..], serde_json::from_str(args).unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            (
                "call_Xz4mQe1Lr8VbN2cT7pWq9YdA",
                "get_weather",
                json!({"location": "Paris, France"})
            ),
            (
                "call_Kp7sW3nHt5GjR0yU2eBo6MvF",
                "get_time",
                json!({"timezone": "Asia/Tokyo"})
            ),
        ]
    );
    assert!(s.done);
}

#[test]
fn openai_refusal_reasoning_length_variants() {
    let refusal = openai("openai_refusal.sse");
    assert_eq!(refusal.refusal, "I’m sorry, but I can’t help with that.");
    assert_eq!(
        (refusal.content.as_str(), refusal.finish.as_deref(), refusal.done),
        ("", Some("stop"), true)
    );

    let reasoning = openai("openai_reasoning.sse");
    assert_eq!(
        reasoning.reasoning,
        "The user greets me in French (\"salut\"); reply briefly. Keep it short and friendly."
    );
    assert_eq!(reasoning.content, "Salut ! Ça va ?");
    assert_eq!((reasoning.finish.as_deref(), reasoning.done), (Some("stop"), true));
    let raw = String::from_utf8(fixture("openai_reasoning.sse")).unwrap();
    assert!(raw.contains(r#""reasoning_content":"#) && raw.contains(r#""reasoning":"#));

    let length = openai("openai_length.sse");
    assert_eq!(length.content, "The quick brown fox jumps over the lazy");
    assert_eq!((length.finish.as_deref(), length.done), (Some("length"), true));
    assert_eq!(length.usage.unwrap()["completion_tokens"], 8);
}

#[test]
fn openai_truncated_and_failing_streams() {
    let error = openai("openai_error_midstream.sse");
    assert_eq!(error.content, "Partial answer before");
    assert_eq!((error.finish, error.done), (None, false));
    assert_eq!(error.error.unwrap()["type"], "server_error");
    assert!(fixture("openai_error_midstream.sse").ends_with(b"\"code\":null}}\n\n"));

    let no_done = openai("openai_no_done.sse");
    assert_eq!(no_done.content, "Truncated stream.");
    assert_eq!(
        (no_done.finish.as_deref(), no_done.done, no_done.usage),
        (Some("stop"), false, None)
    );
}

const ANTHROPIC_TEXT: &str = "Bonjour ! Voilà du texte : 日本語, ünïcödé et 🦀 crabes.\nAu revoir.";

#[test]
fn anthropic_text_has_the_full_event_sequence() {
    let s = anthropic("anthropic_text.sse");
    assert_eq!(s.text, ANTHROPIC_TEXT);
    assert_eq!(s.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!((s.input_tokens, s.output_tokens), (Some(21), Some(27)));
    let mut kinds = s.events.clone();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let start = json_of(&parse_sse(&fixture("anthropic_text.sse"))[0]);
    assert!(start["message"]["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(start["message"]["model"], "claude-sonnet-4-5-20250929");
}

#[test]
fn anthropic_thinking_tool_use_and_stop_variants() {
    let thinking = anthropic("anthropic_thinking.sse");
    assert_eq!(
        thinking.thinking,
        "The user asks for 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391."
    );
    assert!(thinking.signature.starts_with("EqQBCkgIBxAB"));
    assert_eq!(thinking.text, "17 × 23 = **391**.");
    assert_eq!(thinking.stop_reason.as_deref(), Some("end_turn"));

    let tool = anthropic("anthropic_tool_use.sse");
    assert_eq!(tool.text, "I'll check the weather in Paris.");
    assert_eq!(
        tool.tool,
        Some(("toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(), "get_weather".into()))
    );
    let input: Value = serde_json::from_str(&tool.tool_json).unwrap();
    assert_eq!(input, json!({"location": "Paris, France", "unit": "celsius"}));
    assert_eq!(tool.stop_reason.as_deref(), Some("tool_use"));

    let max = anthropic("anthropic_max_tokens.sse");
    assert_eq!(max.text, "Once upon a time, in a land far");
    assert_eq!(
        (max.stop_reason.as_deref(), max.output_tokens),
        (Some("max_tokens"), Some(10))
    );

    let no_stop = anthropic("anthropic_no_stop.sse");
    assert_eq!(no_stop.text, "This stream is cut off");
    assert_eq!(no_stop.events.last().map(String::as_str), Some("content_block_delta"));
    assert_eq!(no_stop.stop_reason, None);
}

#[test]
fn anthropic_error_and_unknown_events() {
    let error = anthropic("anthropic_error_midstream.sse");
    assert_eq!(error.text, "Here is the beginning");
    assert_eq!(
        error.error,
        Some(json!({"type": "overloaded_error", "message": "Overloaded"}))
    );
    assert_eq!(error.events.last().map(String::as_str), Some("error"));

    let unknown = anthropic("anthropic_unknown_event.sse");
    assert_eq!(unknown.text, "Known events still work.");
    assert_eq!(unknown.events.iter().filter(|e| *e == "future_thing").count(), 2);
    assert_eq!(unknown.events.iter().filter(|e| *e == "ping").count(), 3);
    assert_eq!(unknown.stop_reason.as_deref(), Some("end_turn"));
}

#[test]
fn json_bodies_have_the_documented_shapes() {
    let body = |name: &str| -> Value { serde_json::from_slice(&fixture(name)).unwrap() };
    assert_eq!(body("openai_error_401.json")["error"]["code"], "invalid_api_key");
    assert!(
        body("openai_error_401.json")["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Incorrect API key provided")
    );
    assert_eq!(body("openai_error_429.json")["error"]["code"], "rate_limit_exceeded");
    assert_eq!(body("anthropic_error_529.json")["error"]["type"], "overloaded_error");
    assert_eq!(
        body("anthropic_error_401.json")["error"]["type"],
        "authentication_error"
    );
    assert_eq!(
        body("anthropic_error_400.json")["error"]["type"],
        "invalid_request_error"
    );
    assert!(
        body("anthropic_error_400.json")["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req_")
    );
    assert_eq!(
        body("ollama_error_404.json")["error"],
        "model \"nope\" not found, try pulling it first"
    );
    let models = body("openai_models.json");
    assert_eq!(models["object"], "list");
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["object"] == "model")
    );
    let models = body("anthropic_models.json");
    assert_eq!(models["has_more"], false);
    assert_eq!(models["first_id"], models["data"][0]["id"]);
}

#[test]
fn every_fixture_is_documented_and_every_documented_one_exists() {
    let names = fixture_names();
    assert!(names.len() >= 25, "{names:?}");
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/EXPECTED.md")).unwrap();
    for name in &names {
        assert!(
            doc.contains(&format!("## {name}")),
            "{name} is not described in EXPECTED.md"
        );
    }
    for heading in doc.lines().filter_map(|l| l.strip_prefix("## ")) {
        assert!(
            names.iter().any(|n| n == heading),
            "EXPECTED.md describes missing fixture {heading}"
        );
    }
}

#[test]
#[should_panic(expected = "fixture \"nope.sse\" not found")]
fn missing_fixture_panics_clearly() {
    fixture("nope.sse");
}

#[test]
fn generators_encode_exactly_their_text() {
    for n in [0, 1, 7, 300] {
        let s = openai_of(&openai_stream(n));
        assert_eq!(s.content, openai_text_of(n));
        assert_eq!((s.finish.as_deref(), s.done), (Some("stop"), true));
        assert_eq!(s.usage.unwrap()["completion_tokens"], n);

        let a = anthropic_of(&anthropic_stream(n));
        assert_eq!(a.text, anthropic_text_of(n));
        assert_eq!(a.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(a.events.last().map(String::as_str), Some("message_stop"));
    }
    assert_eq!(openai_text_of(3), "tok0 tok1 tok2 ");
    assert_eq!(anthropic_text_of(2), "tok0 tok1 ");
}

#[test]
fn long_line_event_is_one_data_line() {
    let event = long_line_event(100_000);
    assert_eq!(event.len(), 100_008);
    let events = parse_sse(&event);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, "x".repeat(100_000));
    assert_eq!(long_line_event(0), b"data: \n\n");
}

#[test]
fn gemini_fixtures_are_crlf_framed_whole_responses_with_the_documented_endings() {
    let gemini: Vec<String> = fixture_names()
        .into_iter()
        .filter(|name| name.starts_with("gemini_") && name.ends_with(".sse"))
        .collect();
    assert_eq!(gemini.len(), 8, "{gemini:?}");
    for name in &gemini {
        let bytes = fixture(name);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.ends_with("}\r\n\r\n"), "{name}");
        assert_eq!(
            text.matches("\r\n\r\n").count(),
            text.matches('\n').count() / 2,
            "{name}"
        );
        let events = parse_sse(&bytes);
        let mut reasons = Vec::new();
        for event in &events {
            assert_eq!(event.name, None, "{name}");
            let chunk = json_of(event);
            assert!(chunk.is_object(), "{name}");
            if let Some(reason) = chunk["candidates"][0]["finishReason"].as_str() {
                reasons.push(reason.to_owned());
            }
        }
        let expected: &[&str] = match name.as_str() {
            "gemini_text.sse" | "gemini_thinking.sse" | "gemini_function_call.sse" => &["STOP"],
            "gemini_max_tokens.sse" => &["MAX_TOKENS"],
            "gemini_safety.sse" => &["SAFETY"],
            _ => &[],
        };
        assert_eq!(reasons, expected, "{name}");
    }
    let blocked = json_of(&parse_sse(&fixture("gemini_prompt_blocked.sse"))[0]);
    assert_eq!(blocked["promptFeedback"]["blockReason"], "PROHIBITED_CONTENT");
    let error = parse_sse(&fixture("gemini_error_midstream.sse"));
    assert_eq!(json_of(error.last().unwrap())["error"]["status"], "UNAVAILABLE");

    let body = |name: &str| -> Value { serde_json::from_slice(&fixture(name)).unwrap() };
    let quota = body("gemini_error_429.json");
    assert_eq!(
        (quota["error"]["code"].as_u64(), quota["error"]["status"].as_str()),
        (Some(429), Some("RESOURCE_EXHAUSTED"))
    );
    let details = quota["error"]["details"].as_array().unwrap();
    assert_eq!(details[2]["@type"], "type.googleapis.com/google.rpc.RetryInfo");
    assert_eq!(details[2]["retryDelay"], "29s");
    let key = body("gemini_error_400.json");
    assert_eq!(key["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(key["error"]["details"][0]["reason"], "API_KEY_INVALID");
    assert!(body("gemini_models.json")["nextPageToken"].is_string());
    assert!(body("gemini_models_page2.json").get("nextPageToken").is_none());
    for page in ["gemini_models.json", "gemini_models_page2.json"] {
        let models = body(page)["models"].as_array().unwrap().clone();
        assert_eq!(models.len(), 3);
        assert!(
            models
                .iter()
                .all(|model| model["name"].as_str().unwrap().starts_with("models/"))
        );
    }
}
