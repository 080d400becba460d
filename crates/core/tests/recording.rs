//! Recording a stream (`StreamOptions::record`) through the real road: a fake provider on
//! loopback, adversarial chunking, the engine's driver.

mod common;

use std::time::Duration;

use common::{endpoint, engine, play_with, request};
use runnel_core::inspect::RowReader;
use runnel_core::provider;
use runnel_core::{ErrorKind, Limits, Outcome, StreamEvent, StreamOptions};
use runnel_testkit::{Chunking, End, FakeServer, Reply, fixture};

const RECORD: StreamOptions = StreamOptions {
    raw: true,
    record: true,
    price: None,
};

#[tokio::test]
async fn a_recording_holds_the_body_byte_for_byte_in_the_chunks_it_arrived_in() {
    for (protocol, name, content_type) in [
        ("openai", "openai_text.sse", "text/event-stream; charset=utf-8"),
        ("anthropic", "anthropic_text.sse", "text/event-stream; charset=utf-8"),
        ("ollama", "ollama_text.ndjson", "application/x-ndjson"),
    ] {
        let body = fixture(name);
        let reply = Reply::sse(body.clone())
            .header("content-type", content_type)
            .chunking(Chunking::Random { seed: 3, max: 9 })
            .delay(Duration::from_millis(1))
            .first_byte_delay(Duration::from_millis(20));
        let (events, completion) = play_with(protocol, reply, RECORD).await;
        assert!(
            matches!(completion.outcome, Outcome::Done { .. }),
            "{:?}",
            completion.outcome
        );
        let recording = completion.recording.expect("the stream was recorded");
        assert_eq!(recording.body(), body, "{name}");
        assert_eq!(recording.protocol, protocol);
        assert_eq!(recording.model.as_deref(), Some("test-model"));
        assert_eq!(recording.status, Some(200));
        assert_eq!(recording.content_type.as_deref(), Some(content_type));
        assert!(!recording.truncated);
        assert!(recording.chunks.len() > 1, "{name}: 1 ms apart, the chunks stay apart");
        let head_ms = recording.head_ms.unwrap();
        assert!(head_ms >= 20.0, "the head came after the first-byte delay: {head_ms}");
        let times: Vec<f64> = recording.chunks.iter().map(|chunk| chunk.at_ms).collect();
        assert!(times[0] >= head_ms && times.is_sorted(), "{times:?}");
        // The inspector's rows, read from the recording, are the frames seen live, and their
        // events are those the stream yielded, to its ending.
        let live: Vec<_> = events
            .iter()
            .filter_map(|event| match event {
                StreamEvent::Raw(frame) => Some((frame.event.clone(), frame.data.clone())),
                _ => None,
            })
            .collect();
        let mut reader = RowReader::new(provider::protocol(protocol).unwrap(), true, &Limits::default());
        let mut rows = Vec::new();
        for chunk in &recording.chunks {
            reader.push(chunk, &mut rows);
        }
        assert_eq!(reader.finish(&mut rows), None, "{name}: complete");
        let framed: Vec<_> = rows.iter().map(|row| (row.event.clone(), row.data.clone())).collect();
        assert_eq!(framed, live, "{name}");
        let decoded: Vec<StreamEvent> = rows.into_iter().flat_map(|row| row.decoded).collect();
        let yielded: Vec<StreamEvent> = events
            .into_iter()
            .filter(|event| !matches!(event, StreamEvent::Raw(_)))
            .collect();
        assert_eq!(decoded, yielded, "{name}");
        // The same numbers, counted from the reads' arrival instead of the consumer's clock.
        let (read, streamed) = (reader.metrics(), &completion.metrics);
        assert_eq!(
            (
                read.deltas,
                read.output_tokens,
                read.input_tokens,
                read.tokens_estimated
            ),
            (
                streamed.deltas,
                streamed.output_tokens,
                streamed.input_tokens,
                streamed.tokens_estimated
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn without_asking_there_is_no_recording() {
    let (_, completion) = play_with(
        "openai",
        Reply::sse(fixture("openai_text.sse")),
        StreamOptions::default(),
    )
    .await;
    assert_eq!(completion.recording, None);
}

#[tokio::test]
async fn an_http_error_and_a_cut_stream_are_recorded_too() {
    let body = fixture("openai_error_429.json");
    let (_, completion) = play_with("openai", Reply::json(429, std::str::from_utf8(&body).unwrap()), RECORD).await;
    assert!(matches!(&completion.outcome, Outcome::Error { error } if error.kind == ErrorKind::RateLimited));
    let recording = completion.recording.unwrap();
    assert_eq!(recording.status, Some(429));
    assert_eq!(recording.content_type.as_deref(), Some("application/json"));
    assert_eq!(recording.body(), body);

    let body = fixture("openai_text.sse");
    let cut = Reply::sse(body.clone())
        .chunking(Chunking::Fixed(100))
        .end(End::DropAfter(250));
    let (_, completion) = play_with("openai", cut, RECORD).await;
    assert!(matches!(&completion.outcome, Outcome::Error { error } if error.kind == ErrorKind::Network));
    assert_eq!(completion.recording.unwrap().body(), &body[..250]);
}

#[tokio::test]
async fn a_stopped_stream_hands_over_what_arrived() {
    let server = FakeServer::start().await;
    let body = fixture("openai_text.sse");
    server.enqueue(Reply::sse(body.clone()).chunking(Chunking::Fixed(64)).end(End::Hang));
    let mut stream = engine().stream(&endpoint(&server, "openai"), &request(), RECORD);
    while let Some(event) = stream.next().await {
        if matches!(event, StreamEvent::TextDelta { .. }) {
            stream.stop();
        }
    }
    let completion = stream.finish().await;
    assert_eq!(completion.outcome, Outcome::Stopped);
    let recorded = completion.recording.unwrap().body();
    assert!(!recorded.is_empty() && body.starts_with(&recorded));
}

#[tokio::test]
async fn a_recording_stops_at_its_limit_and_the_answer_goes_on() {
    let server = FakeServer::start().await;
    let body = fixture("anthropic_text.sse");
    server.enqueue(
        Reply::sse(body.clone())
            .chunking(Chunking::Fixed(64))
            .delay(Duration::from_millis(1)),
    );
    let limits = Limits {
        recording_bytes: 100,
        ..Limits::default()
    };
    let engine = engine().with_limits(limits);
    let completion = engine
        .stream(&endpoint(&server, "anthropic"), &request(), RECORD)
        .finish()
        .await;
    assert!(
        matches!(completion.outcome, Outcome::Done { .. }),
        "{:?}",
        completion.outcome
    );
    assert!(!completion.text.is_empty());
    let recording = completion.recording.unwrap();
    assert!(recording.truncated);
    assert_eq!(recording.body(), &body[..100]);
}

#[test]
fn a_file_without_a_sidecar_is_read_in_its_guessed_protocols_framing() {
    let dir = tempfile::tempdir().unwrap();
    for (name, protocol, content_type, events) in [
        ("ollama_text.ndjson", "ollama", "application/x-ndjson", 16),
        ("openai_text.sse", "openai", "text/event-stream", 15),
    ] {
        let path = dir.path().join(format!("{name}.sse"));
        std::fs::write(&path, fixture(name)).unwrap();
        let file = runnel_core::sse_file::read(&path, &Limits::default()).unwrap();
        let recording = file.recording;
        assert_eq!(recording.protocol, protocol, "{name}");
        assert_eq!(recording.content_type.as_deref(), Some(content_type), "{name}");
        let mut reader = RowReader::new(provider::protocol(protocol).unwrap(), true, &Limits::default());
        let mut rows = Vec::new();
        for chunk in &recording.chunks {
            reader.push(chunk, &mut rows);
        }
        assert_eq!(reader.finish(&mut rows), None, "{name}: complete");
        assert_eq!(rows.len(), events, "{name}: one row an event");
        assert!(
            matches!(rows.last().unwrap().decoded.last(), Some(StreamEvent::Finish { .. })),
            "{name}"
        );
        if protocol == "ollama" {
            assert!(rows.iter().all(|row| row.event == "message"));
            assert_eq!(
                rows[0].data.as_bytes(),
                fixture(name).split(|&b| b == b'\n').next().unwrap()
            );
            let labels: Vec<_> = rows[15].fields.iter().map(|field| field.label.as_str()).collect();
            assert!(
                labels.contains(&"done_reason") && labels.contains(&"eval_count"),
                "{labels:?}"
            );
        }
    }
}
