//! Helpers shared by the core's integration tests: an engine with short timeouts and endpoints
//! pointing at a fake provider on 127.0.0.1.

#![allow(dead_code)] // each test binary uses its own subset

use std::time::Duration;

use runnel_core::provider::protocol;
use runnel_core::{ApiKey, ChatRequest, Completion, Endpoint, Engine, Message, StreamEvent, StreamOptions, Timeouts};
use runnel_testkit::{FakeServer, Reply};

/// A key that must never appear in any error, log or output.
pub const SECRET: &str = "sk-test-DO-NOT-LEAK-4f9a1c";

/// An engine with timeouts short enough for tests but far above loopback latency.
pub fn engine() -> Engine {
    Engine::new(Timeouts {
        connect: Duration::from_secs(2),
        first_byte: Duration::from_secs(5),
        idle: Duration::from_secs(5),
    })
    .unwrap()
}

/// An endpoint of `protocol_id` at the fake server, with the test key.
pub fn endpoint(server: &FakeServer, protocol_id: &str) -> Endpoint {
    let protocol = protocol(protocol_id).unwrap();
    // The base URL as the protocol's SDKs take it (`…/v1` for OpenAI's protocols).
    let base = format!("{}{}", server.url(), protocol.routes().base_path);
    Endpoint::new("test", protocol, &base, Some(ApiKey::new(SECRET)))
}

/// A one-message request.
pub fn request() -> ChatRequest {
    ChatRequest::new("test-model", vec![Message::user("hi")])
}

/// Streams the one-message request from `endpoint` to its end.
pub async fn run_to_end(engine: &Engine, endpoint: &Endpoint) -> Completion {
    engine
        .stream(endpoint, &request(), StreamOptions::default())
        .finish()
        .await
}

/// Plays `reply` and collects every event and the completion.
pub async fn play(protocol_id: &str, reply: Reply) -> (Vec<StreamEvent>, Completion) {
    play_with(protocol_id, reply, StreamOptions::default()).await
}

/// Like [`play`], with stream options.
pub async fn play_with(protocol_id: &str, reply: Reply, options: StreamOptions) -> (Vec<StreamEvent>, Completion) {
    let server = FakeServer::start().await;
    server.enqueue(reply);
    let mut stream = engine().stream(&endpoint(&server, protocol_id), &request(), options);
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event);
    }
    (events, stream.finish().await)
}

/// The concatenated text deltas of `events`.
pub fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
