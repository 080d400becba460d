//! Stop, timeouts, parallel streams, model lists and the demo provider, against real servers on
//! 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::{SECRET, endpoint, engine, request, run_to_end};
use runnel_core::provider::protocol;
use runnel_core::{
    Endpoint, Engine, ErrorKind, MemoryStore, Outcome, SetEvent, StreamEvent, StreamOptions, StreamSet, TimeoutPhase,
    Timeouts, resolve,
};
use runnel_testkit::{Chunking, End, FakeServer, Rendezvous, Reply, fixture, openai_stream, slow_openai_reply, tarpit};

/// How soon the server must see a stopped stream's connection go. Generous, so a busy 2-core
/// machine passes; the stream it stops would run for minutes, so a Stop that did not close the
/// connection still fails. The real figure (tens of µs) is measured by `cargo bench` (PERFORMANCE.md).
const STOP_BUDGET: Duration = Duration::from_secs(1);

/// How long parallel streams wait for each other before a test fails: far longer than a loaded
/// machine takes to start them, far shorter than the slow stream (about a minute).
const OVERLAP_PATIENCE: Duration = Duration::from_secs(20);

/// A reply that sends a few deltas and then goes silent with the connection open.
fn silent_reply() -> Reply {
    let body = openai_stream(3);
    let cut = body.len() - "data: [DONE]\n\n".len() - 200;
    Reply::sse(body[..cut].to_vec()).end(End::Hang)
}

/// A fake server playing `reply`, and a stream from it that has shown its first text.
async fn streaming(reply: Reply) -> (FakeServer, runnel_core::ChatStream) {
    let server = FakeServer::start().await;
    server.enqueue(reply);
    let mut stream = engine().stream(&endpoint(&server, "openai"), &request(), StreamOptions::default());
    first_text(&mut stream).await;
    (server, stream)
}

async fn first_text(stream: &mut runnel_core::ChatStream) {
    while let Some(event) = stream.next().await {
        if matches!(event, StreamEvent::TextDelta { .. }) {
            return;
        }
    }
    panic!("the stream ended before any text");
}

/// Stop closes the connection within [`STOP_BUDGET`] (a second). The 50 ms the README promises is
/// the benchmark's to check: `cargo bench -p runnel-core --bench decode -- stop` times it
/// (`stop/streaming`, `stop/silent`: tens of µs, docs/PERFORMANCE.md) and reports its slowest run
/// against 50 ms among its targets.
#[tokio::test]
async fn stop_closes_the_connection_within_a_second_while_streaming_and_while_silent() {
    for reply in [slow_openai_reply(), silent_reply()] {
        let (server, stream) = streaming(reply).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let stopped_at = Instant::now();
        stream.stop();
        let closed_at = server.connection(0).wait_closed_by_client(Duration::from_secs(2)).await;
        let closed_at = closed_at.expect("the server saw the connection close");
        assert!(
            closed_at.duration_since(stopped_at) < STOP_BUDGET,
            "{:?}",
            closed_at.duration_since(stopped_at)
        );
        let completion = stream.finish().await;
        assert_eq!(completion.outcome, Outcome::Stopped);
        assert!(!completion.text.is_empty(), "the partial text is kept");
    }
}

#[tokio::test]
async fn a_stop_from_another_task_ends_a_consumer_waiting_on_a_silent_server() {
    let (server, mut stream) = streaming(silent_reply()).await;
    let handle = stream.stop_handle();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        handle.stop();
    });
    let started = Instant::now();
    let mut last = None;
    while let Some(event) = stream.next().await {
        last = Some(event);
    }
    assert_eq!(last, Some(StreamEvent::Stopped));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        server
            .connection(0)
            .wait_closed_by_client(Duration::from_secs(1))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn dropping_a_stream_closes_its_connection() {
    let (server, stream) = streaming(slow_openai_reply()).await;
    let dropped_at = Instant::now();
    drop(stream);
    let closed_at = server
        .connection(0)
        .wait_closed_by_client(Duration::from_secs(2))
        .await
        .unwrap();
    assert!(closed_at.duration_since(dropped_at) < STOP_BUDGET);
}

#[tokio::test]
async fn a_stop_before_the_response_head_ends_the_stream_stopped() {
    let server = FakeServer::start().await;
    server.enqueue(slow_openai_reply().first_byte_delay(Duration::from_secs(3)));
    let stream = engine().stream(&endpoint(&server, "openai"), &request(), StreamOptions::default());
    server.wait_requests(1, Duration::from_secs(2)).await;
    stream.stop();
    let completion = stream.finish().await;
    assert_eq!(completion.outcome, Outcome::Stopped);
    assert!(
        server
            .connection(0)
            .wait_closed_by_client(Duration::from_secs(1))
            .await
            .is_some()
    );
}

fn short_timeouts() -> Engine {
    Engine::new(Timeouts {
        connect: Duration::from_millis(300),
        first_byte: Duration::from_millis(300),
        idle: Duration::from_millis(300),
    })
    .unwrap()
}

fn timeout_phase(outcome: &Outcome) -> Option<TimeoutPhase> {
    match outcome {
        Outcome::Error { error } if error.kind == ErrorKind::Timeout => error.timeout,
        _ => None,
    }
}

#[tokio::test]
async fn connect_first_byte_and_idle_timeouts_are_each_a_typed_error() {
    let pit = tarpit();
    let unreachable = Endpoint::new("test", protocol("openai").unwrap(), &format!("{}/v1", pit.url), None);
    let completion = run_to_end(&short_timeouts(), &unreachable).await;
    assert_eq!(
        timeout_phase(&completion.outcome),
        Some(TimeoutPhase::Connect),
        "{:?}",
        completion.outcome
    );

    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("openai_text.sse")).first_byte_delay(Duration::from_secs(2)));
    let completion = run_to_end(&short_timeouts(), &endpoint(&server, "openai")).await;
    assert_eq!(
        timeout_phase(&completion.outcome),
        Some(TimeoutPhase::FirstByte),
        "{:?}",
        completion.outcome
    );

    server.enqueue(silent_reply());
    let completion = run_to_end(&short_timeouts(), &endpoint(&server, "openai")).await;
    assert_eq!(
        timeout_phase(&completion.outcome),
        Some(TimeoutPhase::Idle),
        "{:?}",
        completion.outcome
    );
    assert!(!completion.text.is_empty(), "the text before the silence is kept");
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = Endpoint::new(
        "test",
        protocol("openai").unwrap(),
        &format!("http://127.0.0.1:{port}/v1"),
        None,
    );
    let completion = run_to_end(&engine(), &closed).await;
    match completion.outcome {
        Outcome::Error { error } => assert_eq!(error.kind, ErrorKind::Network, "{}", error.message),
        other => panic!("{other:?}"),
    }
}

/// The streams of a set run at the same time: the three servers hold their replies until all
/// three requests have arrived, and the slow stream is stopped only once the other two have ended
/// (a set that ran its streams one after another would wait for the slow one for minutes).
#[tokio::test]
async fn parallel_streams_run_at_the_same_time_tagged_and_stopped_alone_or_together() {
    let servers = [
        FakeServer::start().await,
        FakeServer::start().await,
        FakeServer::start().await,
    ];
    let rendezvous = Rendezvous::new(3, OVERLAP_PATIENCE);
    servers[0].enqueue(
        Reply::sse(fixture("openai_text.sse"))
            .chunking(Chunking::Fixed(40))
            .delay(Duration::from_millis(2))
            .meet(&rendezvous),
    );
    servers[1].enqueue(slow_openai_reply().meet(&rendezvous));
    servers[2].enqueue(Reply::sse(fixture("anthropic_text.sse")).meet(&rendezvous));
    let engine = engine();
    let mut set = StreamSet::new();
    let ids = [
        set.add(engine.stream(&endpoint(&servers[0], "openai"), &request(), StreamOptions::default())),
        set.add(engine.stream(&endpoint(&servers[1], "openai"), &request(), StreamOptions::default())),
        set.add(engine.stream(
            &endpoint(&servers[2], "anthropic"),
            &request(),
            StreamOptions::default(),
        )),
    ];
    let mut texts = [String::new(), String::new(), String::new()];
    let mut outcomes = [None, None, None];
    let all_ended = async {
        while let Some(event) = set.next().await {
            match event {
                SetEvent::Event {
                    id,
                    event: StreamEvent::TextDelta { text },
                } => texts[id].push_str(&text),
                SetEvent::Event { .. } => {}
                SetEvent::Done { id, completion } => outcomes[id] = Some(completion.outcome),
            }
            if outcomes[ids[0]].is_some() && outcomes[ids[2]].is_some() && texts[ids[1]].len() > 20 {
                set.stop(ids[1]);
            }
        }
    };
    tokio::time::timeout(OVERLAP_PATIENCE, all_ended)
        .await
        .expect("the others ended while the slow stream ran");
    assert!(matches!(outcomes[0], Some(Outcome::Done { .. })), "{:?}", outcomes[0]);
    assert_eq!(outcomes[1], Some(Outcome::Stopped));
    assert!(matches!(outcomes[2], Some(Outcome::Done { .. })), "{:?}", outcomes[2]);
    assert!(texts[0].starts_with("Hello!") && texts[2].starts_with("Bonjour"));
    assert!(
        servers[1]
            .connection(0)
            .wait_closed_by_client(Duration::from_secs(1))
            .await
            .is_some()
    );

    let mut set = StreamSet::new();
    for server in &servers[..2] {
        server.enqueue(slow_openai_reply());
        set.add(engine.stream(&endpoint(server, "openai"), &request(), StreamOptions::default()));
    }
    set.stop_all();
    let mut stopped = 0;
    while let Some(event) = set.next().await {
        if let SetEvent::Done { completion, .. } = event {
            assert_eq!(completion.outcome, Outcome::Stopped);
            stopped += 1;
        }
    }
    assert_eq!(stopped, 2);
}

#[tokio::test]
async fn model_lists_for_both_protocols_and_their_errors() {
    let server = FakeServer::start().await;
    server.route(
        "/v1/models",
        Reply::json(200, std::str::from_utf8(&fixture("openai_models.json")).unwrap()),
    );
    let models = engine().models(&endpoint(&server, "openai")).await.unwrap();
    assert!(!models.is_empty());
    assert!(models.windows(2).all(|pair| pair[0].id <= pair[1].id), "sorted");
    let anthropic_models = std::str::from_utf8(&fixture("anthropic_models.json"))
        .unwrap()
        .to_owned();
    server.route("/v1/models", Reply::json(200, &anthropic_models));
    let models = engine().models(&endpoint(&server, "anthropic")).await.unwrap();
    assert!(!models.is_empty() && models.iter().all(|model| model.id.starts_with("claude-")));
    let recorded = server.requests();
    assert_eq!(
        recorded[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_eq!(recorded[1].header("x-api-key"), Some(SECRET));

    let echo = format!(r#"{{"error":{{"message":"bad key {SECRET}","type":"authentication_error"}}}}"#);
    server.route("/v1/models", Reply::json(401, &echo));
    let error = engine().models(&endpoint(&server, "anthropic")).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Authentication);
    assert!(!error.message.contains(SECRET));
}

#[tokio::test]
async fn the_demo_streams_over_loopback_http_with_no_key() {
    let (endpoint, source) = resolve("demo", None, &MemoryStore::default()).unwrap();
    assert!(
        endpoint.base_url.starts_with("http://127.0.0.1:"),
        "{}",
        endpoint.base_url
    );
    assert!(endpoint.key.is_none() && source.is_none());
    let mut request = request();
    request.model = "runnel-demo".into();
    request.messages = vec![runnel_core::Message::user("hello")];
    let completion = engine()
        .stream(&endpoint, &request, StreamOptions::default())
        .finish()
        .await;
    assert!(completion.text.starts_with("Hello!"), "{}", completion.text);
    assert!(matches!(completion.outcome, Outcome::Done { .. }));
    assert!(completion.metrics.deltas > 10);
    assert_eq!(completion.model.as_deref(), Some("runnel-demo"));
    assert!(completion.usage.output_tokens.is_some());
    let models = engine().models(&endpoint).await.unwrap();
    assert_eq!(models[0].id, "runnel-demo");
}

#[tokio::test]
async fn the_demo_can_be_stopped_and_honours_max_tokens() {
    let (endpoint, _) = resolve("demo", None, &MemoryStore::default()).unwrap();
    let mut request = request();
    request.messages = vec![runnel_core::Message::user("tell me a long story")];
    request.options.max_tokens = Some(3);
    let completion = engine()
        .stream(&endpoint, &request, StreamOptions::default())
        .finish()
        .await;
    assert_eq!(completion.text, "Once upon a");
    assert!(matches!(
        completion.outcome,
        Outcome::Done {
            reason: runnel_core::FinishReason::Length,
            ..
        }
    ));

    request.options.max_tokens = None;
    let mut stream = engine().stream(&endpoint, &request, StreamOptions::default());
    first_text(&mut stream).await;
    stream.stop();
    let completion = stream.finish().await;
    assert_eq!(completion.outcome, Outcome::Stopped);
    assert!(completion.text.len() < 200);
}
