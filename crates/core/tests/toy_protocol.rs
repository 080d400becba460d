//! A wire protocol added the way docs/adding-a-provider.md says, run before it is registered:
//! `provider/toy.rs` (a protocol file as it would sit in `crates/core/src/provider/`) is included
//! here under a `provider` module that stands in for the core's, given to an `Endpoint`, streamed
//! by the real engine from a fake server on 127.0.0.1, and its recording read into an inspector's
//! rows. (`tests/adding_a_protocol.rs` registers the same file in a copy of the workspace.)

use std::time::Duration;

// What a protocol file's `crate::` paths name in the core, named the same here.
use runnel_core::{error, event, keys, request, sse};

/// Stands in for the core's `provider` module: the toy's `super::`.
mod provider {
    pub use runnel_core::provider::*;
    pub mod toy;
}

use provider::toy::Toy;
use runnel_core::inspect::{COMMENT, RowReader};
use runnel_core::provider::Field;
use runnel_core::{
    ApiKey, ChatRequest, Endpoint, Engine, ErrorKind, FinishReason, Limits, Message, Outcome, StreamEvent,
    StreamOptions, Timeouts,
};
use runnel_testkit::{Chunking, FakeServer, Reply};
use serde_json::json;

const KEY: &str = "toy-key-123456789";

fn engine() -> Engine {
    Engine::new(Timeouts {
        connect: Duration::from_secs(2),
        first_byte: Duration::from_secs(5),
        idle: Duration::from_secs(5),
    })
    .unwrap()
}

fn toy_endpoint(server: &FakeServer) -> Endpoint {
    Endpoint::new("toy-provider", &Toy, &server.url(), Some(ApiKey::new(KEY)))
}

async fn play(server: &FakeServer) -> (Vec<StreamEvent>, runnel_core::Completion) {
    let request = ChatRequest::new("toy-1", vec![Message::system("be brief"), Message::user("hi")]);
    let options = StreamOptions {
        record: true,
        ..StreamOptions::default()
    };
    let mut stream = engine().stream(&toy_endpoint(server), &request, options);
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event);
    }
    (events, stream.finish().await)
}

#[tokio::test]
async fn a_toy_protocol_streams_an_answer_to_its_finish_through_the_engine() {
    let server = FakeServer::start().await;
    let body = "data: {\"text\":\"Hel\"}\n\ndata: {\"text\":\"lo, \"}\n\n: a comment\n\ndata: {\"text\":\"toy\"}\n\ndata: {\"end\":\"done\"}\n\n";
    server.enqueue(Reply::sse(body).chunking(Chunking::EveryByte));
    let (events, completion) = play(&server).await;
    assert_eq!(
        events,
        vec![
            StreamEvent::Start {
                response_id: None,
                model: None
            },
            StreamEvent::TextDelta { text: "Hel".into() },
            StreamEvent::TextDelta { text: "lo, ".into() },
            StreamEvent::TextDelta { text: "toy".into() },
            StreamEvent::Finish {
                reason: FinishReason::Stop,
                raw_reason: Some("done".into())
            },
        ]
    );
    assert_eq!(completion.text, "Hello, toy");
    assert_eq!(
        completion.outcome,
        Outcome::Done {
            reason: FinishReason::Stop,
            raw_reason: Some("done".into())
        }
    );
    let request = &server.requests()[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/toy/chat"));
    assert_eq!(request.header("authorization"), Some(format!("Toy {KEY}").as_str()));
    assert_eq!(request.json(), json!({ "model": "toy-1", "prompt": "hi" }));

    // The inspector's rows of its recording: each frame with the toy's own fields, and the
    // events the stream yielded.
    let recording = completion.recording.expect("recorded");
    let mut reader = RowReader::new(&Toy, true, &Limits::default());
    let mut rows = Vec::new();
    for chunk in &recording.chunks {
        reader.push(chunk, &mut rows);
    }
    assert_eq!(
        reader.finish(&mut rows),
        None,
        "the terminator's row carries the ending"
    );
    let fields: Vec<Vec<Field>> = rows.iter().map(|row| row.fields.clone()).collect();
    assert_eq!(
        fields,
        [
            vec![Field::new("text", "Hel")],
            vec![Field::new("text", "lo, ")],
            vec![],
            vec![Field::new("text", "toy")],
            vec![Field::new("end", "done")],
        ]
    );
    assert_eq!(rows[2].event, COMMENT);
    let decoded: Vec<StreamEvent> = rows.into_iter().flat_map(|row| row.decoded).collect();
    assert_eq!(decoded, events);
    assert_eq!(reader.metrics().output_tokens, completion.metrics.output_tokens);
}

#[tokio::test]
async fn the_toy_protocols_own_words_decide_reasons_and_error_kinds() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse("data: {\"text\":\"Lo\"}\n\ndata: {\"end\":\"cut\"}\n\n"));
    let (_, completion) = play(&server).await;
    assert_eq!(
        completion.outcome,
        Outcome::Done {
            reason: FinishReason::Length,
            raw_reason: Some("cut".into())
        }
    );

    // An error frame mid-stream: the text before it is kept, the kind is the toy's.
    server.enqueue(Reply::sse(
        "data: {\"text\":\"Lo\"}\n\ndata: {\"error\":\"busy\",\"message\":\"come back later\"}\n\n",
    ));
    let (_, completion) = play(&server).await;
    let Outcome::Error { error } = &completion.outcome else {
        panic!("expected a failure, got {:?}", completion.outcome)
    };
    assert_eq!(completion.text, "Lo");
    assert_eq!(
        (error.kind, error.error_type.as_deref(), error.message.as_str()),
        (ErrorKind::Overloaded, Some("busy"), "come back later")
    );

    // An HTTP error whose body names a toy error type: the protocol refines the status.
    server.enqueue(Reply::json(400, r#"{"error":{"type":"busy","message":"queue full"}}"#));
    let (events, _) = play(&server).await;
    let [StreamEvent::Error(error)] = events.as_slice() else {
        panic!("expected one error, got {events:?}")
    };
    assert_eq!((error.kind, error.status), (ErrorKind::Overloaded, Some(400)));

    // A stream cut before its terminator names the toy's terminator.
    server.enqueue(Reply::sse("data: {\"text\":\"Lo\"}\n\n"));
    let (_, completion) = play(&server).await;
    let Outcome::Error { error } = &completion.outcome else {
        panic!("expected a failure, got {:?}", completion.outcome)
    };
    assert_eq!(error.kind, ErrorKind::Incomplete);
    assert!(error.message.contains(r#"data: {"end": …}"#), "{}", error.message);
}

#[tokio::test]
async fn the_toy_protocol_parses_its_own_model_list() {
    let server = FakeServer::start().await;
    server.route("/toy/models", Reply::json(200, r#"["toy-2","toy-1"]"#));
    let models = engine().models(&toy_endpoint(&server)).await.unwrap();
    let ids: Vec<_> = models.iter().map(|model| model.id.as_str()).collect();
    assert_eq!(ids, ["toy-1", "toy-2"]);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Toy {KEY}").as_str())
    );

    server.route("/toy/models", Reply::json(200, r#"{"data":[]}"#));
    let error = engine().models(&toy_endpoint(&server)).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Protocol);
    assert!(error.message.starts_with("not a toy model list"), "{}", error.message);
}
