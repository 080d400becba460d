//! Bounds on what a server sends, through the real HTTP path: a fake provider on 127.0.0.1 sends
//! endless lines, huge answers, absurd tool-call indexes and endless model lists, and the engine
//! must end with a `too_large` error naming the limit, keep the text before it, and stop reading.

mod common;

use std::time::Duration;

use common::{endpoint, engine, request};
use runnel_core::{Completion, Engine, ErrorKind, Limits, Outcome, StreamError, StreamOptions};
use runnel_testkit::{End, FakeServer, Framing, Reply, openai_stream, openai_text_of};

/// Far longer than any of these streams takes on a slow machine; only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(60);

fn limited(limits: Limits) -> Engine {
    engine().with_limits(limits)
}

fn failure(completion: &Completion) -> &StreamError {
    match &completion.outcome {
        Outcome::Error { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn text_chunk(text: &str) -> String {
    format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

/// Streams the one-message request from a server playing `reply`, within [`PATIENCE`].
async fn play(engine: &Engine, protocol_id: &str, reply: Reply) -> (FakeServer, Completion) {
    let server = FakeServer::start().await;
    server.enqueue(reply);
    let stream = engine.stream(&endpoint(&server, protocol_id), &request(), StreamOptions::default());
    let completion = tokio::time::timeout(PATIENCE, stream.finish())
        .await
        .expect("the stream must end, not read forever");
    (server, completion)
}

#[tokio::test]
async fn an_endless_line_is_refused_at_the_event_limit_keeping_the_text_and_closing_the_connection() {
    let mut body = text_chunk("Before").into_bytes();
    body.extend_from_slice(b"data: ");
    let reply = Reply::sse(body).end(End::Endless(vec![b'x'; 64 << 10]));
    let limits = Limits {
        event_bytes: 1 << 20,
        ..Limits::default()
    };
    let (server, completion) = play(&limited(limits), "openai", reply).await;
    assert_eq!(completion.text, "Before");
    let error = failure(&completion);
    assert_eq!(error.kind, ErrorKind::TooLarge);
    assert_eq!(error.message, "one event of the stream passed the limit of 1 MiB");
    let connection = server.connection(0);
    assert!(
        connection
            .wait_closed_by_client(Duration::from_secs(10))
            .await
            .is_some(),
        "the client must hang up on an endless line"
    );
    // What the server wrote by then is the limit plus what socket buffers hold, not 100 MiB.
    assert!(connection.bytes_written() < 64 << 20, "{}", connection.bytes_written());
}

#[tokio::test]
async fn an_answer_past_its_limit_ends_too_large_with_exactly_the_text_before() {
    let limits = Limits {
        answer_bytes: 1000,
        ..Limits::default()
    };
    let (_, completion) = play(&limited(limits), "openai", Reply::sse(openai_stream(10_000))).await;
    let error = failure(&completion);
    assert_eq!(error.kind, ErrorKind::TooLarge);
    assert_eq!(error.message, "the answer passed the limit of 1000 bytes");
    let full = openai_text_of(10_000);
    assert!(full.starts_with(&completion.text));
    // The response id and model name of the stream's start count too.
    let counted = completion.text.len()
        + completion.response_id.as_ref().map_or(0, String::len)
        + completion.model.as_ref().map_or(0, String::len);
    assert!(counted <= 1000 && counted > 990, "{counted}");
}

#[tokio::test]
async fn an_openai_tool_call_index_of_u32_max_is_a_typed_error_not_an_abort() {
    let mut body = text_chunk("Hi");
    body.push_str(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":4294967295,\"id\":\"call_1\",\
         \"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\ndata: [DONE]\n\n",
    );
    let (_, completion) = play(&engine(), "openai", Reply::sse(body)).await;
    assert_eq!(completion.text, "Hi");
    assert!(completion.tool_calls.is_empty());
    let error = failure(&completion);
    assert_eq!(error.kind, ErrorKind::TooLarge);
    assert!(
        error.message.contains("#4294967295") && error.message.contains("limit of 1024 tool calls"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn anthropic_block_indexes_are_never_sizes_and_tool_calls_are_counted_against_the_limit() {
    let event = |name: &str, data: String| format!("event: {name}\ndata: {data}\n\n");
    let tool_block = |index: u64| {
        event(
            "content_block_start",
            format!(
                r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"tool_use","id":"t{index}","name":"f","input":{{}}}}}}"#
            ),
        )
    };
    let stop = event("message_stop", r#"{"type":"message_stop"}"#.into());
    // A content-block index of u32::MAX is only a key: one tool call, numbered 0.
    let body = format!("{}{stop}", tool_block(u64::from(u32::MAX)));
    let (_, completion) = play(&engine(), "anthropic", Reply::sse(body)).await;
    assert!(
        matches!(completion.outcome, Outcome::Done { .. }),
        "{:?}",
        completion.outcome
    );
    assert_eq!(completion.tool_calls.len(), 1);
    assert_eq!(completion.tool_calls[0].id.as_deref(), Some("t4294967295"));

    let limits = Limits {
        tool_calls: 3,
        ..Limits::default()
    };
    let body: String = (0..10).map(tool_block).collect::<String>() + &stop;
    let (_, completion) = play(&limited(limits), "anthropic", Reply::sse(body)).await;
    assert_eq!(completion.tool_calls.len(), 3);
    let error = failure(&completion);
    assert_eq!(error.kind, ErrorKind::TooLarge);
    assert!(error.message.contains("limit of 3 tool calls"), "{}", error.message);
}

#[tokio::test]
async fn an_endless_model_list_is_refused_at_its_limit() {
    let server = FakeServer::start().await;
    let entry = br#"{"id":"model-xxxxxxxxxxxxxxxxxxxxxxxx","display_name":null},"#;
    server.route(
        "/v1/models",
        Reply::json(200, r#"{"data":["#)
            .framing(Framing::Chunked)
            .end(End::Endless(entry.repeat(1000))),
    );
    let limits = Limits {
        model_list_bytes: 1 << 20,
        ..Limits::default()
    };
    let (engine, endpoint) = (limited(limits), endpoint(&server, "openai"));
    let error = tokio::time::timeout(PATIENCE, engine.models(&endpoint))
        .await
        .expect("listing models must end, not read forever")
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::TooLarge);
    assert_eq!(error.message, "the model list passed the limit of 1 MiB");
    let connection = server.connection(0);
    assert!(
        connection
            .wait_closed_by_client(Duration::from_secs(10))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn an_endless_error_body_is_read_only_up_to_its_limit() {
    let server = FakeServer::start().await;
    let page = Reply::json(502, "<html><body>Bad gateway</body></html>\n")
        .header("content-type", "text/html")
        .framing(Framing::Chunked)
        .end(End::Endless(b"<p>padding</p>\n".repeat(4096)));
    server.enqueue(page.clone());
    server.route("/v1/models", page);
    let endpoint = endpoint(&server, "openai");
    let stream = engine().stream(&endpoint, &request(), StreamOptions::default());
    let completion = tokio::time::timeout(PATIENCE, stream.finish()).await.unwrap();
    let error = failure(&completion);
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::Server,
            "HTTP 502 Bad Gateway: <html><body>Bad gateway</body></html>"
        )
    );
    assert_eq!(completion.metrics.bytes, 64 << 10, "exactly the limit is read");
    let error = tokio::time::timeout(PATIENCE, engine().models(&endpoint))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server);
}

/// An OpenAI chunk that carries only a usage report: an event with no text.
const USAGE_CHUNK: &str =
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\n";

#[tokio::test]
async fn a_flood_of_events_without_text_ends_at_the_event_limit_keeping_the_text() {
    let limits = Limits {
        answer_events: 5_000,
        ..Limits::default()
    };
    for raw in [false, true] {
        let server = FakeServer::start().await;
        server.enqueue(Reply::sse(text_chunk("Before")).end(End::Endless(USAGE_CHUNK.repeat(100).into_bytes())));
        let options = StreamOptions {
            raw,
            ..StreamOptions::default()
        };
        let stream = limited(limits).stream(&endpoint(&server, "openai"), &request(), options);
        let completion = tokio::time::timeout(PATIENCE, stream.finish())
            .await
            .expect("a flood must end at the event limit");
        assert_eq!(completion.text, "Before");
        let error = failure(&completion);
        assert_eq!(error.kind, ErrorKind::TooLarge);
        assert_eq!(
            error.message, "the answer passed the limit of 5000 events",
            "raw: {raw}"
        );
        assert!(
            server
                .connection(0)
                .wait_closed_by_client(Duration::from_secs(10))
                .await
                .is_some(),
            "the client hangs up at the limit"
        );
    }
}

#[tokio::test]
async fn starts_with_megabyte_ids_count_against_the_answer_bytes() {
    let id = "i".repeat(1 << 20);
    let start = format!(
        "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"id\":\"{id}\",\"model\":\"m\"}}}}\n\n"
    );
    let limits = Limits {
        answer_bytes: 8 << 20,
        ..Limits::default()
    };
    let reply = Reply::sse(Vec::new()).end(End::Endless(start.into_bytes()));
    let (_, completion) = play(&limited(limits), "anthropic", reply).await;
    let error = failure(&completion);
    assert_eq!(error.kind, ErrorKind::TooLarge);
    assert_eq!(error.message, "the answer passed the limit of 8 MiB");
}

#[tokio::test]
async fn a_consumer_that_does_not_read_stops_the_socket_being_read() {
    for raw in [false, true] {
        let server = FakeServer::start().await;
        server.enqueue(Reply::sse(text_chunk("Before")).end(End::Endless(USAGE_CHUNK.repeat(100).into_bytes())));
        let options = StreamOptions {
            raw,
            ..StreamOptions::default()
        };
        let mut stream = engine().stream(&endpoint(&server, "openai"), &request(), options);
        // Read up to the first usage report, then read nothing.
        while let Some(event) = stream.next().await {
            if matches!(event, runnel_core::StreamEvent::Usage(_)) {
                break;
            }
        }
        let connection = server.connection(0);
        let mut written = connection.bytes_written();
        // Once the channel and the socket's buffers are full, the server can write no more.
        let mut still = 0;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = connection.bytes_written();
            still = if now == written { still + 1 } else { 0 };
            written = now;
            if still == 5 {
                break;
            }
        }
        assert_eq!(
            still, 5,
            "raw: {raw}: the server was still writing after 10 s ({written} bytes)"
        );
        assert!(
            written < 64 << 20,
            "raw: {raw}: {written} bytes were read ahead of the consumer"
        );
        // Stop still closes the connection at once, however full the channel is.
        stream.stop();
        assert!(
            connection.wait_closed_by_client(Duration::from_secs(5)).await.is_some(),
            "raw: {raw}: stop closes the connection"
        );
        let rest = tokio::time::timeout(PATIENCE, async {
            let mut last = None;
            while let Some(event) = stream.next().await {
                last = Some(event);
            }
            last
        })
        .await
        .expect("the stream ends after a stop");
        assert_eq!(rest, Some(runnel_core::StreamEvent::Stopped), "raw: {raw}");
    }
}
