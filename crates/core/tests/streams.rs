//! Provider streams through the real HTTP path: a fake provider on 127.0.0.1 writes real SSE
//! bytes (fixtures) with adversarial chunking, and the engine must yield exact typed events.

mod common;

use common::{SECRET, endpoint, engine, play, play_with, request, text_of};
use runnel_core::{
    ErrorKind, FinishReason, Outcome, RawFrame, StreamError, StreamEvent, StreamOptions, ToolCall, Usage,
};
use runnel_testkit::{Chunking, End, FakeServer, Framing, Reply, fixture};

const OPENAI_TEXT: &str = "Hello! Café au lait, 日本語 and a crab 🦀.\nDone \"quoted\".";
const ANTHROPIC_TEXT: &str = "Bonjour ! Voilà du texte : 日本語, ünïcödé et 🦀 crabes.\nAu revoir.";

fn finished(reason: FinishReason, raw: &str) -> Outcome {
    Outcome::Done {
        reason,
        raw_reason: Some(raw.into()),
    }
}

fn failure(outcome: &Outcome) -> &StreamError {
    match outcome {
        Outcome::Error { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn openai_text_stream_yields_start_text_usage_and_finish_last() {
    let (events, completion) = play("openai", Reply::sse(fixture("openai_text.sse"))).await;
    assert_eq!(
        events.first(),
        Some(&StreamEvent::Start {
            response_id: Some("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG".into()),
            model: Some("gpt-4o-mini-2024-07-18".into()),
        })
    );
    assert_eq!(text_of(&events), OPENAI_TEXT);
    // The fixture's usage also details its (zero) cached and reasoning tokens.
    assert!(events.contains(&StreamEvent::Usage(Usage {
        input_tokens: Some(19),
        output_tokens: Some(14),
        cached_input_tokens: Some(0),
        reasoning_tokens: Some(0),
        ..Usage::default()
    })));
    assert_eq!(
        events.last(),
        Some(&StreamEvent::Finish {
            reason: FinishReason::Stop,
            raw_reason: Some("stop".into())
        })
    );
    assert_eq!(events.iter().filter(|event| event.is_ending()).count(), 1);
    assert_eq!(completion.text, OPENAI_TEXT);
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "stop"));
    assert_eq!(completion.metrics.output_tokens, Some(14));
    assert!(completion.metrics.ttfb_ms.is_some() && completion.metrics.ttft_ms.is_some());
    assert_eq!(completion.metrics.bytes, fixture("openai_text.sse").len() as u64);
}

#[tokio::test]
async fn every_line_ending_style_and_comments_yield_the_same_events() {
    let (expected, _) = play("openai", Reply::sse(fixture("openai_text.sse"))).await;
    for name in ["openai_crlf.sse", "openai_cr.sse", "openai_comments.sse"] {
        for chunking in [
            Chunking::Whole,
            Chunking::EveryByte,
            Chunking::Random { seed: 7, max: 9 },
        ] {
            let (events, _) = play("openai", Reply::sse(fixture(name)).chunking(chunking.clone())).await;
            assert_eq!(events, expected, "{name} with {chunking:?}");
        }
    }
}

#[tokio::test]
async fn chunking_at_every_byte_changes_nothing_for_every_fixture() {
    let fixtures = [
        ("openai", "openai_text.sse"),
        ("openai", "openai_tool_calls.sse"),
        ("openai", "openai_reasoning.sse"),
        ("openai", "openai_error_midstream.sse"),
        ("anthropic", "anthropic_text.sse"),
        ("anthropic", "anthropic_thinking.sse"),
        ("anthropic", "anthropic_tool_use.sse"),
        ("anthropic", "anthropic_error_midstream.sse"),
    ];
    for (protocol, name) in fixtures {
        let (whole, _) = play(protocol, Reply::sse(fixture(name))).await;
        let (bytewise, _) = play(protocol, Reply::sse(fixture(name)).chunking(Chunking::EveryByte)).await;
        assert_eq!(bytewise, whole, "{name}");
    }
}

#[tokio::test]
async fn openai_tool_calls_refusal_reasoning_and_length() {
    let (_, completion) = play("openai", Reply::sse(fixture("openai_tool_calls.sse"))).await;
    assert_eq!(
        completion.tool_calls,
        vec![
            ToolCall {
                id: Some("call_Xz4mQe1Lr8VbN2cT7pWq9YdA".into()),
                name: Some("get_weather".into()),
                arguments: r#"{"location": "Paris, France"}"#.into(),
            },
            ToolCall {
                id: Some("call_Kp7sW3nHt5GjR0yU2eBo6MvF".into()),
                name: Some("get_time".into()),
                arguments: r#"{"timezone": "Asia/Tokyo"}"#.into(),
            },
        ]
    );
    assert_eq!(completion.outcome, finished(FinishReason::ToolCalls, "tool_calls"));
    assert_eq!(completion.text, "");

    let (events, completion) = play("openai", Reply::sse(fixture("openai_refusal.sse"))).await;
    assert_eq!(completion.refusal, "I’m sorry, but I can’t help with that.");
    assert!(
        events
            .iter()
            .any(|event| matches!(event, StreamEvent::RefusalDelta { .. }))
    );
    assert_eq!(completion.text, "");

    let (_, completion) = play("openai", Reply::sse(fixture("openai_reasoning.sse"))).await;
    assert_eq!(
        completion.thinking,
        r#"The user greets me in French ("salut"); reply briefly. Keep it short and friendly."#
    );
    assert_eq!(completion.text, "Salut ! Ça va ?");

    let (_, completion) = play("openai", Reply::sse(fixture("openai_length.sse"))).await;
    assert_eq!(completion.outcome, finished(FinishReason::Length, "length"));
    assert_eq!(completion.text, "The quick brown fox jumps over the lazy");
}

#[tokio::test]
async fn anthropic_text_thinking_tools_and_stop_reasons() {
    let (events, completion) = play("anthropic", Reply::sse(fixture("anthropic_text.sse"))).await;
    assert_eq!(
        events[0],
        StreamEvent::Start {
            response_id: Some("msg_01XFDUDYJgAACzvnptvVoYEL".into()),
            model: Some("claude-sonnet-4-5-20250929".into()),
        }
    );
    assert_eq!(completion.text, ANTHROPIC_TEXT);
    assert_eq!(
        completion.usage,
        Usage {
            input_tokens: Some(21),
            output_tokens: Some(27),
            cached_input_tokens: Some(0),
            ..Usage::default()
        }
    );
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "end_turn"));

    let (_, completion) = play("anthropic", Reply::sse(fixture("anthropic_thinking.sse"))).await;
    assert_eq!(
        completion.thinking,
        "The user asks for 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391."
    );
    assert_eq!(completion.text, "17 × 23 = **391**.");

    let (_, completion) = play("anthropic", Reply::sse(fixture("anthropic_tool_use.sse"))).await;
    assert_eq!(completion.text, "I'll check the weather in Paris.");
    assert_eq!(
        completion.tool_calls,
        vec![ToolCall {
            id: Some("toolu_01T1x1fJ34qAmk2tNTrN7Up6".into()),
            name: Some("get_weather".into()),
            arguments: r#"{"location": "Paris, France", "unit": "celsius"}"#.into(),
        }]
    );
    assert_eq!(completion.outcome, finished(FinishReason::ToolCalls, "tool_use"));

    let (_, completion) = play("anthropic", Reply::sse(fixture("anthropic_max_tokens.sse"))).await;
    assert_eq!(completion.outcome, finished(FinishReason::Length, "max_tokens"));
}

#[tokio::test]
async fn anthropic_pings_and_unknown_events_are_ignored() {
    let (events, completion) = play("anthropic", Reply::sse(fixture("anthropic_unknown_event.sse"))).await;
    assert!(matches!(
        completion.outcome,
        Outcome::Done {
            reason: FinishReason::Stop,
            ..
        }
    ));
    assert!(!completion.text.is_empty());
    assert_eq!(events.iter().filter(|event| event.is_ending()).count(), 1);
}

#[tokio::test]
async fn errors_mid_stream_keep_the_text_and_are_typed() {
    let (events, completion) = play("openai", Reply::sse(fixture("openai_error_midstream.sse"))).await;
    assert_eq!(completion.text, "Partial answer before");
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.error_type.as_deref()),
        (ErrorKind::Server, Some("server_error"))
    );
    assert_eq!(error.message, "The server had an error while processing your request.");
    assert!(matches!(events.last(), Some(StreamEvent::Error(_))));

    let (_, completion) = play("anthropic", Reply::sse(fixture("anthropic_error_midstream.sse"))).await;
    assert!(!completion.text.is_empty());
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.error_type.as_deref()),
        (ErrorKind::Overloaded, Some("overloaded_error"))
    );
}

#[tokio::test]
async fn streams_without_their_terminator_are_incomplete_never_successes() {
    let (_, completion) = play("openai", Reply::sse(fixture("openai_no_done.sse"))).await;
    assert_eq!(completion.text, "Truncated stream.");
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Incomplete);
    assert!(error.message.contains("[DONE]"), "{}", error.message);

    let (_, completion) = play("anthropic", Reply::sse(fixture("anthropic_no_stop.sse"))).await;
    assert_eq!(failure(&completion.outcome).kind, ErrorKind::Incomplete);
    assert!(!completion.text.is_empty());

    // A terminator cut inside its line (`data: [DON`) is no terminator.
    let mut body = fixture("openai_text.sse");
    while body.ends_with(b"\n") {
        body.pop();
    }
    body.truncate(body.len() - 2);
    assert!(body.ends_with(b"data: [DON"));
    let (_, completion) = play("openai", Reply::sse(body)).await;
    assert_eq!(completion.text, OPENAI_TEXT);
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Incomplete);
    assert!(error.message.contains("middle of an event"), "{}", error.message);
}

#[tokio::test]
async fn a_whole_terminator_without_its_final_newlines_completes_the_stream() {
    for (protocol, name, text) in [
        ("openai", "openai_text.sse", OPENAI_TEXT),
        ("anthropic", "anthropic_text.sse", ANTHROPIC_TEXT),
    ] {
        let mut body = fixture(name);
        while body.ends_with(b"\n") {
            body.pop();
        }
        for ending in [&b""[..], b"\n", b"\r\n", b"\r"] {
            let mut body = body.clone();
            body.extend_from_slice(ending);
            for framing in [Framing::Chunked, Framing::ContentLength, Framing::CloseDelimited] {
                let reply = Reply::sse(body.clone()).framing(framing.clone());
                let (events, completion) = play(protocol, reply).await;
                let case = format!("{name} ending {ending:?}, {framing:?}");
                assert!(
                    matches!(completion.outcome, Outcome::Done { .. }),
                    "{case}: {:?}",
                    completion.outcome
                );
                assert_eq!(completion.text, text, "{case}");
                assert_eq!(events.iter().filter(|event| event.is_ending()).count(), 1, "{case}");
            }
        }
    }
}

#[tokio::test]
async fn a_dropped_connection_keeps_the_partial_text_as_a_network_error() {
    let body = fixture("openai_text.sse");
    let cases = [
        (Framing::Chunked, ErrorKind::Network),
        (Framing::ContentLength, ErrorKind::Network),
        // Without a length, the end of the connection is the end of the body: cut short.
        (Framing::CloseDelimited, ErrorKind::Incomplete),
    ];
    for (framing, kind) in cases {
        let cut = body.len() / 2;
        let reply = Reply::sse(body.clone())
            .chunking(Chunking::Fixed(64))
            .framing(framing.clone())
            .end(End::DropAfter(cut));
        let (_, completion) = play("openai", reply).await;
        assert_eq!(failure(&completion.outcome).kind, kind, "{framing:?}");
        assert!(!completion.text.is_empty(), "{framing:?}");
        assert!(OPENAI_TEXT.starts_with(&completion.text), "{framing:?}");
    }
}

#[tokio::test]
async fn http_errors_become_typed_errors_with_the_providers_words() {
    let cases = [
        ("openai", 401, "openai_error_401.json", ErrorKind::Authentication),
        ("openai", 429, "openai_error_429.json", ErrorKind::RateLimited),
        ("anthropic", 529, "anthropic_error_529.json", ErrorKind::Overloaded),
        ("anthropic", 401, "anthropic_error_401.json", ErrorKind::Authentication),
        ("anthropic", 400, "anthropic_error_400.json", ErrorKind::InvalidRequest),
        ("openai", 404, "ollama_error_404.json", ErrorKind::NotFound),
        ("ollama", 404, "ollama_error_404.json", ErrorKind::NotFound),
        // The Responses API answers HTTP errors with Chat Completions' error body.
        (
            "openai-responses",
            401,
            "openai_error_401.json",
            ErrorKind::Authentication,
        ),
        ("openai-responses", 429, "openai_error_429.json", ErrorKind::RateLimited),
    ];
    for (protocol, status, name, kind) in cases {
        let body = String::from_utf8(fixture(name)).unwrap();
        let reply = Reply::json(status, &body).header("retry-after", "20");
        let (events, completion) = play(protocol, reply).await;
        let error = failure(&completion.outcome);
        assert_eq!((error.kind, error.status), (kind, Some(status)), "{name}");
        assert_eq!(error.retry_after, Some(20.0), "{name}");
        assert!(
            error.message.starts_with(&format!("HTTP {status}")),
            "{name}: {}",
            error.message
        );
        assert_eq!(events.len(), 1, "{name}: an error response is a single ending event");
    }
    let reply = Reply::json(502, "<html>Bad gateway</html>").header("content-type", "text/html");
    let (_, completion) = play("openai", reply).await;
    assert_eq!(failure(&completion.outcome).kind, ErrorKind::Server);
}

#[tokio::test]
async fn a_json_answer_to_a_streaming_request_is_a_protocol_error() {
    let reply = Reply::json(200, r#"{"id":"x","choices":[{"message":{"content":"hi"}}]}"#);
    let (_, completion) = play("openai", reply).await;
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Protocol);
    assert_eq!(
        error.message,
        r#"expected an event stream (`text/event-stream`), got `application/json`: {"id":"x","choices":[{"message":{"content":"hi"}}]}"#
    );
    // A provider error in a JSON 200 keeps its kind.
    let reply = Reply::json(200, r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#);
    let (_, completion) = play("anthropic", reply).await;
    let error = failure(&completion.outcome);
    assert_eq!((error.kind, error.status), (ErrorKind::RateLimited, Some(200)));
    assert!(
        error.message.ends_with("got `application/json`: slow down"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_captive_portal_page_is_a_protocol_error_naming_its_type_never_an_answer() {
    let page =
        "\n  <!DOCTYPE html>  \n<html><head><title>Sign in to Airport Wi-Fi</title></head>\n<body>…</body></html>\n";
    for content_type in ["text/html; charset=utf-8", "text/plain", "application/octet-stream"] {
        let reply = Reply::sse(page).header("content-type", content_type);
        let (events, completion) = play("openai", reply.clone()).await;
        assert_eq!(events.len(), 1, "{content_type}: only the error, no text: {events:?}");
        assert_eq!(completion.text, "");
        let error = failure(&completion.outcome);
        assert_eq!((error.kind, error.status), (ErrorKind::Protocol, Some(200)));
        assert_eq!(
            error.message,
            format!("expected an event stream (`text/event-stream`), got `{content_type}`: <!DOCTYPE html>")
        );
        let (_, completion) = play("anthropic", reply).await;
        assert_eq!(failure(&completion.outcome).kind, ErrorKind::Protocol, "{content_type}");
    }
    // A page longer than the error-body limit shows its first line, cut and trimmed.
    let long = format!("<p>{}</p>\n", "word ".repeat(100_000));
    let (_, completion) = play("openai", Reply::sse(long).header("content-type", "text/html")).await;
    let error = failure(&completion.outcome);
    assert!(error.message.len() < 400, "{}", error.message);
    assert_eq!(completion.metrics.bytes, 64 << 10);
}

#[tokio::test]
async fn an_event_stream_is_known_by_its_media_type_and_a_missing_type_is_read_as_one() {
    for content_type in [
        Some("text/event-stream; charset=utf-8"),
        Some("Text/Event-Stream"),
        None,
    ] {
        let mut reply = Reply::sse(fixture("openai_text.sse"));
        match content_type {
            Some(value) => reply = reply.header("content-type", value),
            None => reply.headers.clear(),
        }
        let (_, completion) = play("openai", reply).await;
        assert_eq!(completion.text, OPENAI_TEXT, "{content_type:?}");
        assert!(matches!(completion.outcome, Outcome::Done { .. }), "{content_type:?}");
    }
}

#[tokio::test]
async fn malformed_json_in_a_stream_is_a_protocol_error_that_keeps_the_text() {
    let body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\ndata: {\"choices\":[{\n\n";
    let (_, completion) = play("openai", Reply::sse(body)).await;
    assert_eq!(completion.text, "ok");
    assert_eq!(failure(&completion.outcome).kind, ErrorKind::Protocol);
}

#[tokio::test]
async fn a_bom_invalid_utf8_a_huge_event_and_many_tiny_events() {
    // A BOM before the first event, whose text must not be lost with it.
    let mut body = b"\xEF\xBB\xBFdata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"First\"}}]}\n\n".to_vec();
    body.extend_from_slice(&fixture("openai_text.sse"));
    let (_, completion) = play("openai", Reply::sse(body).chunking(Chunking::EveryByte)).await;
    assert_eq!(completion.text, format!("First{OPENAI_TEXT}"));

    let body = b": \xFF\xFE junk\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\xFFb\"}}]}\n\ndata: [DONE]\n\n";
    let (_, completion) = play("openai", Reply::sse(body.to_vec())).await;
    assert_eq!(completion.text, "a\u{FFFD}b");
    assert!(matches!(completion.outcome, Outcome::Done { .. }));

    let big = "x".repeat(1 << 20);
    let body =
        format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{big}\"}}}}]}}\n\ndata: [DONE]\n\n");
    let (_, completion) = play("openai", Reply::sse(body).chunking(Chunking::Fixed(1000))).await;
    assert_eq!(completion.text.len(), 1 << 20);

    let body = runnel_testkit::openai_stream(10_000);
    let (_, completion) = play(
        "openai",
        Reply::sse(body).chunking(Chunking::Random { seed: 3, max: 300 }),
    )
    .await;
    assert_eq!(completion.text, runnel_testkit::openai_text_of(10_000));
    assert_eq!(completion.metrics.deltas, 10_000);
}

#[tokio::test]
async fn raw_frames_carry_event_names_data_and_arrival_times() {
    let options = StreamOptions {
        raw: true,
        ..StreamOptions::default()
    };
    let (events, _) = play_with("anthropic", Reply::sse(fixture("anthropic_text.sse")), options).await;
    let raw: Vec<&RawFrame> = events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::Raw(frame) => Some(frame),
            _ => None,
        })
        .collect();
    assert_eq!(raw.first().unwrap().event, "message_start");
    assert!(
        raw.iter()
            .any(|frame| frame.event == "ping" && frame.data == r#"{"type": "ping"}"#)
    );
    assert_eq!(raw.last().unwrap().event, "message_stop");
    assert!(raw.windows(2).all(|pair| pair[0].at_ms <= pair[1].at_ms));
    // Raw frames come before the events decoded from them, and the ending is still last.
    assert!(matches!(events.last(), Some(StreamEvent::Finish { .. })));
}

#[tokio::test]
async fn requests_carry_the_protocols_url_headers_and_body() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("openai_text.sse")));
    server.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let mut request = request();
    request.messages.insert(0, runnel_core::Message::system("be brief"));
    request.options.max_tokens = Some(64);
    engine()
        .stream(&endpoint(&server, "openai"), &request, StreamOptions::default())
        .finish()
        .await;
    engine()
        .stream(&endpoint(&server, "anthropic"), &request, StreamOptions::default())
        .finish()
        .await;
    let recorded = server.requests();

    let openai = &recorded[0];
    assert_eq!(
        (openai.method.as_str(), openai.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(
        openai.header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    let body = openai.json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["max_tokens"], 64);

    let anthropic = &recorded[1];
    assert_eq!(anthropic.path, "/v1/messages");
    assert_eq!(anthropic.header("x-api-key"), Some(SECRET));
    assert_eq!(anthropic.header("anthropic-version"), Some("2023-06-01"));
    assert!(anthropic.header("authorization").is_none());
    let body = anthropic.json();
    assert_eq!(body["system"], "be brief");
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_key_echoed_back_by_a_server_never_reaches_an_error() {
    let echo =
        format!(r#"{{"error":{{"message":"Incorrect API key provided: {SECRET}","type":"invalid_request_error"}}}}"#);
    let (events, completion) = play("openai", Reply::json(401, &echo)).await;
    let error = failure(&completion.outcome);
    assert!(error.message.contains("[redacted]"), "{}", error.message);
    for event in &events {
        assert!(!serde_json::to_string(event).unwrap().contains(SECRET));
        assert!(!format!("{event:?}").contains(SECRET));
    }
    let server = FakeServer::start().await;
    assert!(!format!("{:?}", endpoint(&server, "openai")).contains(SECRET));
}

const RESPONSES_TEXT: &str = OPENAI_TEXT;

#[tokio::test]
async fn openai_responses_text_reasoning_and_tool_call_streams() {
    let (events, completion) = play("openai-responses", Reply::sse(fixture("openai_responses_text.sse"))).await;
    assert_eq!(
        events.first(),
        Some(&StreamEvent::Start {
            response_id: Some("resp_68c1f0a2b4e88190a3d5c7e9f1b2d4a60c8e2f4a6b8d0c2e".into()),
            model: Some("gpt-4o-mini-2024-07-18".into()),
        })
    );
    assert_eq!(text_of(&events), RESPONSES_TEXT);
    assert_eq!(completion.text, RESPONSES_TEXT);
    assert_eq!(
        completion.usage,
        Usage {
            input_tokens: Some(19),
            output_tokens: Some(14),
            reasoning_tokens: Some(0),
            cached_input_tokens: Some(0),
            generation_ns: None,
        }
    );
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "completed"));
    assert_eq!(events.iter().filter(|event| event.is_ending()).count(), 1);

    let (_, completion) = play(
        "openai-responses",
        Reply::sse(fixture("openai_responses_reasoning.sse")),
    )
    .await;
    assert_eq!(
        completion.thinking,
        "**Counting letters**\n\nThe word “strawberry” has r at positions 3, 8 and 9."
    );
    assert_eq!(completion.text, "There are **3** r’s in “strawberry”.");
    assert_eq!(completion.usage.output_tokens, Some(214));
    assert_eq!(completion.usage.reasoning_tokens, Some(192), "output_tokens_details");
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "completed"));

    let (_, completion) = play(
        "openai-responses",
        Reply::sse(fixture("openai_responses_tool_call.sse")),
    )
    .await;
    assert_eq!(
        completion.tool_calls,
        vec![ToolCall {
            id: Some("call_Xz4mQe1Lr8VbN2cT7pWq9YdA".into()),
            name: Some("get_weather".into()),
            arguments: r#"{"location":"Paris, France"}"#.into(),
        }]
    );
    assert_eq!(completion.text, "");
    assert_eq!(completion.outcome, finished(FinishReason::ToolCalls, "completed"));
}

#[tokio::test]
async fn openai_responses_incomplete_failed_errors_and_cut_streams() {
    let (_, completion) = play(
        "openai-responses",
        Reply::sse(fixture("openai_responses_incomplete.sse")),
    )
    .await;
    assert_eq!(
        completion.text,
        "The history of Paris begins with the Parisii, a Celtic tribe who settled on the Île"
    );
    assert_eq!(completion.outcome, finished(FinishReason::Length, "max_output_tokens"));
    assert_eq!(completion.usage.output_tokens, Some(16));

    let (events, completion) = play("openai-responses", Reply::sse(fixture("openai_responses_failed.sse"))).await;
    assert_eq!(completion.text, "Sure, here is");
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.error_type.as_deref()),
        (ErrorKind::Server, Some("server_error"))
    );
    assert!(
        error.message.starts_with("The model produced invalid content."),
        "{}",
        error.message
    );
    assert!(matches!(events.last(), Some(StreamEvent::Error(_))));

    let (_, completion) = play("openai-responses", Reply::sse(fixture("openai_responses_error.sse"))).await;
    assert_eq!(completion.text, "Sure, here is");
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.error_type.as_deref()),
        (ErrorKind::RateLimited, Some("rate_limit_exceeded"))
    );
    assert!(
        error.message.starts_with("Rate limit reached for gpt-4o-mini"),
        "{}",
        error.message
    );

    let (_, completion) = play(
        "openai-responses",
        Reply::sse(fixture("openai_responses_error_nested.sse")),
    )
    .await;
    assert_eq!(completion.text, "Sure, here is");
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.error_type.as_deref()),
        (ErrorKind::Server, Some("server_error"))
    );
    assert!(
        error.message.starts_with("The server had an error"),
        "{}",
        error.message
    );

    let (_, completion) = play(
        "openai-responses",
        Reply::sse(fixture("openai_responses_no_completed.sse")),
    )
    .await;
    assert_eq!(completion.text, "Hello! Café au lait, 日本語");
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Incomplete);
    assert!(error.message.contains("response.completed"), "{}", error.message);
}

#[tokio::test]
async fn openai_responses_events_without_event_lines_and_any_chunking_read_the_same() {
    let (whole, _) = play("openai-responses", Reply::sse(fixture("openai_responses_text.sse"))).await;
    let body = String::from_utf8(fixture("openai_responses_text.sse")).unwrap();
    let unnamed: String = body
        .lines()
        .filter(|line| !line.starts_with("event: "))
        .map(|line| format!("{line}\n"))
        .collect();
    let (events, _) = play("openai-responses", Reply::sse(unnamed.into_bytes())).await;
    assert_eq!(events, whole);
    for name in [
        "openai_responses_text.sse",
        "openai_responses_reasoning.sse",
        "openai_responses_tool_call.sse",
        "openai_responses_error_nested.sse",
    ] {
        let (whole, _) = play("openai-responses", Reply::sse(fixture(name))).await;
        let (bytewise, _) = play(
            "openai-responses",
            Reply::sse(fixture(name)).chunking(Chunking::EveryByte),
        )
        .await;
        assert_eq!(bytewise, whole, "{name}");
    }
}

#[tokio::test]
async fn openai_responses_requests_post_to_responses_with_input_and_instructions() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("openai_responses_text.sse")));
    let mut request = request();
    request.messages.insert(0, runnel_core::Message::system("be brief"));
    request.options.max_tokens = Some(64);
    let completion = engine()
        .stream(
            &endpoint(&server, "openai-responses"),
            &request,
            StreamOptions::default(),
        )
        .finish()
        .await;
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "completed"));
    let recorded = server.requests();
    assert_eq!(recorded[0].path, "/v1/responses");
    assert_eq!(
        recorded[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    let body = recorded[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["instructions"], "be brief");
    assert_eq!(body["max_output_tokens"], 64);
    assert!(body["input"].is_array());
}

#[test]
fn an_sse_file_of_the_responses_protocol_is_recognised_as_such() {
    for name in [
        "openai_responses_text.sse",
        "openai_responses_reasoning.sse",
        "openai_responses_tool_call.sse",
        "openai_responses_incomplete.sse",
        "openai_responses_failed.sse",
        "openai_responses_error.sse",
        "openai_responses_error_nested.sse",
        "openai_responses_no_completed.sse",
    ] {
        let guessed = runnel_core::sse_file::guess_protocol(&fixture(name));
        assert_eq!(guessed.id(), "openai-responses", "{name}");
    }
}

#[tokio::test]
async fn a_generated_responses_stream_decodes_to_its_text_and_usage() {
    let (_, completion) = play("openai-responses", Reply::sse(runnel_testkit::responses_stream(300))).await;
    assert_eq!(completion.text, runnel_testkit::anthropic_text_of(300));
    assert_eq!(completion.usage.output_tokens, Some(300));
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "completed"));
}

#[tokio::test]
async fn ollama_text_thinking_tool_call_and_length_streams() {
    let (events, completion) = play("ollama", Reply::ndjson(fixture("ollama_text.ndjson"))).await;
    assert_eq!(
        events.first(),
        Some(&StreamEvent::Start {
            response_id: None,
            model: Some("llama3.2".into()),
        })
    );
    assert_eq!(text_of(&events), OPENAI_TEXT);
    assert_eq!(completion.text, OPENAI_TEXT);
    assert_eq!(
        (
            completion.usage.input_tokens,
            completion.usage.output_tokens,
            completion.usage.generation_ns
        ),
        (Some(31), Some(15), Some(1_683_297_255))
    );
    let server = completion.metrics.server_tokens_per_sec.expect("the server's own rate");
    assert!((server - 15.0 / 1.683_297_255).abs() < 1e-6, "{server}");
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "stop"));
    assert_eq!(events.iter().filter(|event| event.is_ending()).count(), 1);

    let (_, completion) = play("ollama", Reply::ndjson(fixture("ollama_thinking.ndjson"))).await;
    assert_eq!(completion.thinking, "Okay, the user wants 2 + 2. That is 4.");
    assert_eq!(completion.text, "2 + 2 = **4**.");
    assert_eq!(completion.usage.output_tokens, Some(21));
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "stop"));

    let (_, completion) = play("ollama", Reply::ndjson(fixture("ollama_tool_call.ndjson"))).await;
    assert_eq!(
        completion.tool_calls,
        vec![
            ToolCall {
                id: None,
                name: Some("get_current_weather".into()),
                arguments: r#"{"format":"celsius","location":"Paris, France"}"#.into(),
            },
            ToolCall {
                id: None,
                name: Some("get_time".into()),
                arguments: r#"{"timezone":"Europe/Paris"}"#.into(),
            }
        ]
    );
    assert_eq!(completion.text, "");
    assert_eq!(completion.outcome, finished(FinishReason::ToolCalls, "stop"));

    let (_, completion) = play("ollama", Reply::ndjson(fixture("ollama_length.ndjson"))).await;
    assert_eq!(completion.text, "Once upon a time, in a land");
    assert_eq!(completion.outcome, finished(FinishReason::Length, "length"));
}

#[tokio::test]
async fn ollama_error_lines_cut_streams_and_dropped_connections() {
    let (events, completion) = play("ollama", Reply::ndjson(fixture("ollama_error.ndjson"))).await;
    assert_eq!(completion.text, "The answer is");
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::Server,
            "an error was encountered while running the model: unexpected EOF"
        )
    );
    assert!(matches!(events.last(), Some(StreamEvent::Error(_))));

    let (_, completion) = play("ollama", Reply::ndjson(fixture("ollama_no_done.ndjson"))).await;
    assert_eq!(completion.text, "Hello! Café au");
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Incomplete);
    assert_eq!(
        error.message,
        "the stream ended without `a line with \"done\": true`; the answer is partial"
    );

    // A body that ends inside a line: the line is no terminator, the stream is incomplete
    // mid-event; a connection dropped there is incomplete too.
    let body = fixture("ollama_text.ndjson");
    let cut = body.len() - 40;
    let (_, completion) = play("ollama", Reply::ndjson(body[..cut].to_vec())).await;
    assert_eq!(completion.text, OPENAI_TEXT);
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Incomplete);
    assert!(error.message.contains("in the middle of an event"), "{}", error.message);
    let (_, completion) = play("ollama", Reply::ndjson(body.clone()).end(End::DropAfter(cut))).await;
    assert_eq!(completion.text, OPENAI_TEXT);
    assert_eq!(
        failure(&completion.outcome).kind,
        ErrorKind::Network,
        "a broken connection"
    );

    // The done line without its final `\n` is whole: the stream is complete.
    let (_, completion) = play("ollama", Reply::ndjson(body[..body.len() - 1].to_vec())).await;
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "stop"));
}

#[tokio::test]
async fn ollama_streams_read_the_same_in_any_chunking_with_crlf_and_blank_lines() {
    for name in [
        "ollama_text.ndjson",
        "ollama_thinking.ndjson",
        "ollama_tool_call.ndjson",
    ] {
        let (whole, _) = play("ollama", Reply::ndjson(fixture(name))).await;
        for chunking in [Chunking::EveryByte, Chunking::Fixed(7)] {
            let reply = Reply::ndjson(fixture(name))
                .chunking(chunking.clone())
                .delay(std::time::Duration::from_micros(50));
            let (events, _) = play("ollama", reply).await;
            assert_eq!(events, whole, "{name} in {chunking:?}");
        }
        let crlf = String::from_utf8(fixture(name)).unwrap().replace('\n', "\r\n\r\n");
        let (events, _) = play("ollama", Reply::ndjson(crlf.into_bytes())).await;
        assert_eq!(events, whole, "{name} with CRLF and blank lines");
    }
}

#[tokio::test]
async fn ollama_checks_its_own_content_type() {
    // `application/ndjson` is NDJSON too; an event stream is not what the protocol reads.
    let body = fixture("ollama_text.ndjson");
    let (_, completion) = play(
        "ollama",
        Reply::ndjson(body.clone()).header("content-type", "application/ndjson; charset=utf-8"),
    )
    .await;
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "stop"));
    let (_, completion) = play("ollama", Reply::sse(body.clone())).await;
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Protocol);
    assert!(
        error
            .message
            .starts_with("expected an event stream (`application/x-ndjson`), got `text/event-stream`"),
        "{}",
        error.message
    );
    let (_, completion) = play("openai", Reply::ndjson(fixture("openai_text.sse"))).await;
    let error = failure(&completion.outcome);
    assert!(
        error
            .message
            .starts_with("expected an event stream (`text/event-stream`), got `application/x-ndjson`"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn ollama_requests_post_to_api_chat_with_options() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::ndjson(fixture("ollama_text.ndjson")));
    let mut request = request();
    request.messages.insert(0, runnel_core::Message::system("be brief"));
    request.options.max_tokens = Some(64);
    let completion = engine()
        .stream(&endpoint(&server, "ollama"), &request, StreamOptions::default())
        .finish()
        .await;
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "stop"));
    let recorded = server.requests();
    assert_eq!(recorded[0].path, "/api/chat");
    assert_eq!(recorded[0].header("accept"), Some("application/x-ndjson"));
    let body = recorded[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["messages"][0],
        serde_json::json!({ "role": "system", "content": "be brief" })
    );
    assert_eq!(body["options"]["num_predict"], 64);
}

#[test]
fn an_ndjson_file_of_the_ollama_protocol_is_recognised_as_such() {
    for name in [
        "ollama_text.ndjson",
        "ollama_thinking.ndjson",
        "ollama_tool_call.ndjson",
        "ollama_length.ndjson",
        "ollama_no_done.ndjson",
        "ollama_error.ndjson",
    ] {
        let guessed = runnel_core::sse_file::guess_protocol(&fixture(name));
        assert_eq!(guessed.id(), "ollama", "{name}");
    }
    assert_eq!(
        runnel_core::sse_file::guess_protocol(&fixture("openai_text.sse")).id(),
        "openai"
    );
}

#[tokio::test]
async fn a_generated_ollama_stream_decodes_to_its_text_and_usage() {
    let (_, completion) = play("ollama", Reply::ndjson(runnel_testkit::ollama_stream(300))).await;
    assert_eq!(completion.text, runnel_testkit::anthropic_text_of(300));
    assert_eq!(completion.usage.output_tokens, Some(300));
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "stop"));
}

const GEMINI_TEXT: &str = "Bonjour ! Voilà du texte : 日本語, ünïcödé et 🦀 crabes (x < y && \"quoted\").\nAu revoir.";

#[tokio::test]
async fn gemini_text_thinking_and_function_call_streams() {
    let (events, completion) = play("gemini", Reply::sse(fixture("gemini_text.sse"))).await;
    assert_eq!(
        events.first(),
        Some(&StreamEvent::Start {
            response_id: Some("Ot4ZaKvBD5-HnvgP4rSh-Q4".into()),
            model: Some("gemini-2.0-flash".into()),
        })
    );
    assert_eq!(text_of(&events), GEMINI_TEXT);
    assert_eq!(completion.text, GEMINI_TEXT);
    // The usage comes on every chunk, a running total: the last one is reported, once.
    let usages: Vec<_> = events
        .iter()
        .filter(|event| matches!(event, StreamEvent::Usage(_)))
        .collect();
    assert_eq!(
        usages,
        [&StreamEvent::Usage(Usage {
            input_tokens: Some(9),
            output_tokens: Some(24),
            ..Usage::default()
        })]
    );
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "STOP"));
    assert_eq!(events.iter().filter(|event| event.is_ending()).count(), 1);
    assert!(events.last().unwrap().is_ending());

    let (_, completion) = play("gemini", Reply::sse(fixture("gemini_thinking.sse"))).await;
    assert_eq!(
        completion.thinking,
        "**Counting the letters**\n\nI'm spelling out “strawberry”: s-t-r-a-w-b-e-r-r-y. The letter r appears at positions 3, 8 and 9, so three times.\n\n\n"
    );
    assert_eq!(completion.text, "There are **3** r’s in “strawberry”.");
    // The answer's tokens are the candidates' and the thoughts', the thoughts' its reasoning.
    assert_eq!(
        completion.usage,
        Usage {
            input_tokens: Some(11),
            output_tokens: Some(12 + 412),
            reasoning_tokens: Some(412),
            cached_input_tokens: None,
            generation_ns: None
        }
    );
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "STOP"));

    let (_, completion) = play("gemini", Reply::sse(fixture("gemini_function_call.sse"))).await;
    assert_eq!(
        completion.tool_calls,
        vec![ToolCall {
            id: None,
            name: Some("get_weather".into()),
            arguments: r#"{"location":"Paris, France","unit":"celsius"}"#.into(),
        }]
    );
    assert_eq!(completion.text, "");
    assert_eq!(completion.outcome, finished(FinishReason::ToolCalls, "STOP"));
    assert_eq!(
        (completion.usage.output_tokens, completion.usage.reasoning_tokens),
        (Some(19 + 61), Some(61))
    );
}

#[tokio::test]
async fn gemini_length_filters_blocked_prompts_errors_and_cut_streams() {
    let (_, completion) = play("gemini", Reply::sse(fixture("gemini_max_tokens.sse"))).await;
    assert_eq!(
        completion.text,
        "The history of Paris begins with the Parisii, a Celtic tribe who settled on the Île"
    );
    assert_eq!(completion.outcome, finished(FinishReason::Length, "MAX_TOKENS"));
    assert_eq!(completion.usage.output_tokens, Some(16));

    let (_, completion) = play("gemini", Reply::sse(fixture("gemini_safety.sse"))).await;
    assert_eq!(completion.text, "Here is how");
    assert_eq!(completion.outcome, finished(FinishReason::ContentFilter, "SAFETY"));

    let (events, completion) = play("gemini", Reply::sse(fixture("gemini_prompt_blocked.sse"))).await;
    assert_eq!(completion.text, "");
    assert_eq!(
        completion.outcome,
        finished(FinishReason::ContentFilter, "PROHIBITED_CONTENT")
    );
    assert_eq!(completion.usage.input_tokens, Some(12));
    assert!(events.last().unwrap().is_ending());

    let (events, completion) = play("gemini", Reply::sse(fixture("gemini_error_midstream.sse"))).await;
    assert_eq!(completion.text, "Sure, here is");
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.error_type.as_deref(), error.message.as_str()),
        (
            ErrorKind::Overloaded,
            Some("UNAVAILABLE"),
            "The model is overloaded. Please try again later."
        )
    );
    assert!(matches!(events.last(), Some(StreamEvent::Error(_))));

    let (_, completion) = play("gemini", Reply::sse(fixture("gemini_no_finish.sse"))).await;
    assert_eq!(
        completion.text,
        "Bonjour ! Voilà du texte : 日本語, ünïcödé et 🦀 crabes"
    );
    let error = failure(&completion.outcome);
    assert_eq!(error.kind, ErrorKind::Incomplete);
    assert!(error.message.contains("finishReason"), "{}", error.message);
}

#[tokio::test]
async fn gemini_fixtures_read_the_same_under_any_chunking_and_with_lf_framing() {
    for name in [
        "gemini_text.sse",
        "gemini_thinking.sse",
        "gemini_function_call.sse",
        "gemini_error_midstream.sse",
    ] {
        let (whole, _) = play("gemini", Reply::sse(fixture(name))).await;
        let (bytewise, _) = play("gemini", Reply::sse(fixture(name)).chunking(Chunking::EveryByte)).await;
        assert_eq!(bytewise, whole, "{name}");
        let lf = String::from_utf8(fixture(name)).unwrap().replace("\r\n", "\n");
        let (events, _) = play("gemini", Reply::sse(lf.into_bytes())).await;
        assert_eq!(events, whole, "{name}");
    }
}

#[tokio::test]
async fn gemini_http_errors_are_typed_and_a_retry_info_says_when_to_retry() {
    let body = String::from_utf8(fixture("gemini_error_429.json")).unwrap();
    let (events, completion) = play("gemini", Reply::json(429, &body)).await;
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.status, error.error_type.as_deref()),
        (ErrorKind::RateLimited, Some(429), Some("RESOURCE_EXHAUSTED"))
    );
    assert_eq!(error.retry_after, Some(29.0));
    assert!(
        error
            .message
            .starts_with("HTTP 429 Too Many Requests: You exceeded your current quota"),
        "{}",
        error.message
    );
    assert_eq!(events.len(), 1);
    // A retry-after header, when there is one, wins.
    let (_, completion) = play("gemini", Reply::json(429, &body).header("retry-after", "5")).await;
    assert_eq!(failure(&completion.outcome).retry_after, Some(5.0));
    // A wrong key is a 400 INVALID_ARGUMENT whose ErrorInfo says API_KEY_INVALID.
    let (_, completion) = play(
        "gemini",
        Reply::json(400, &String::from_utf8(fixture("gemini_error_400.json")).unwrap()),
    )
    .await;
    let error = failure(&completion.outcome);
    assert_eq!(
        (error.kind, error.status, error.error_type.as_deref()),
        (ErrorKind::Authentication, Some(400), Some("API_KEY_INVALID"))
    );
    assert_eq!(
        error.message,
        "HTTP 400 Bad Request: API key not valid. Please pass a valid API key."
    );
    let unavailable = r#"{"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}"#;
    let (_, completion) = play("gemini", Reply::json(503, unavailable)).await;
    let error = failure(&completion.outcome);
    assert_eq!((error.kind, error.retry_after), (ErrorKind::Overloaded, None));
}

#[tokio::test]
async fn gemini_requests_post_to_the_models_path_with_the_key_only_in_its_header() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("gemini_text.sse")));
    let mut request = request();
    request.messages.insert(0, runnel_core::Message::system("be brief"));
    request.options.max_tokens = Some(64);
    let completion = engine()
        .stream(&endpoint(&server, "gemini"), &request, StreamOptions::default())
        .finish()
        .await;
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "STOP"));
    let recorded = &server.requests()[0];
    assert_eq!(
        (recorded.method.as_str(), recorded.path.as_str()),
        ("POST", "/v1beta/models/test-model:streamGenerateContent?alt=sse")
    );
    assert_eq!(recorded.header("x-goog-api-key"), Some(SECRET));
    assert!(recorded.header("authorization").is_none());
    assert!(!recorded.path.contains(SECRET));
    let body = recorded.json();
    assert_eq!(
        body["contents"],
        serde_json::json!([{ "role": "user", "parts": [{ "text": "hi" }] }])
    );
    assert_eq!(body["systemInstruction"]["parts"][0]["text"], "be brief");
    assert_eq!(body["generationConfig"]["maxOutputTokens"], 64);
}

#[tokio::test]
async fn gemini_model_lists_follow_their_pages_up_to_a_bound() {
    let server = FakeServer::start().await;
    for name in ["gemini_models.json", "gemini_models_page2.json"] {
        server.enqueue(Reply::json(200, &String::from_utf8(fixture(name)).unwrap()));
    }
    let models = engine().models(&endpoint(&server, "gemini")).await.unwrap();
    let ids: Vec<_> = models.into_iter().map(|model| model.id).collect();
    assert_eq!(
        ids,
        [
            "gemini-2.0-flash",
            "gemini-2.5-flash",
            "gemini-2.5-flash-lite",
            "gemini-2.5-pro"
        ]
    );
    let paths: Vec<_> = server.requests().into_iter().map(|request| request.path).collect();
    assert_eq!(
        paths,
        [
            "/v1beta/models?pageSize=1000",
            "/v1beta/models?pageSize=1000&pageToken=ChFtb2RlbHMvZ2VtaW5pLXBybw%3D%3D"
        ]
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|request| request.header("x-goog-api-key") == Some(SECRET))
    );

    // A server that always names a next page is read for a bounded number of pages.
    let endless = FakeServer::start().await;
    let pages = runnel_core::provider::MODEL_LIST_PAGES;
    for page in 0..pages + 5 {
        let body = format!(
            r#"{{"models": [{{"name": "models/m{page:03}","supportedGenerationMethods": ["generateContent"]}}],"nextPageToken": "t{page}"}}"#
        );
        endless.enqueue(Reply::json(200, &body));
    }
    let models = engine().models(&endpoint(&endless, "gemini")).await.unwrap();
    assert_eq!(models.len(), pages);
    assert_eq!(endless.requests().len(), pages);
}

#[test]
fn an_sse_file_of_the_gemini_protocol_is_recognised_as_such() {
    for name in [
        "gemini_text.sse",
        "gemini_thinking.sse",
        "gemini_function_call.sse",
        "gemini_max_tokens.sse",
        "gemini_safety.sse",
        "gemini_prompt_blocked.sse",
        "gemini_no_finish.sse",
        "gemini_error_midstream.sse",
    ] {
        let guessed = runnel_core::sse_file::guess_protocol(&fixture(name));
        assert_eq!(guessed.id(), "gemini", "{name}");
    }
}

#[tokio::test]
async fn a_generated_gemini_stream_decodes_to_its_text_and_usage() {
    let (_, completion) = play("gemini", Reply::sse(runnel_testkit::gemini_stream(300))).await;
    assert_eq!(completion.text, runnel_testkit::anthropic_text_of(300));
    assert_eq!(completion.usage.output_tokens, Some(300));
    assert_eq!(completion.outcome, finished(FinishReason::Stop, "STOP"));
}
