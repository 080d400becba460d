//! Load: 50 streams at once, 10,000 deltas each, over real loopback HTTP from one fake provider,
//! half OpenAI and half Anthropic. Every stream must yield exactly its own text (nothing lost,
//! doubled or crossed), and memory must stay flat over repeated rounds. No wall-clock bounds: a
//! slow, shared machine only makes it take longer.

mod common;

use common::{SECRET, engine, request};
use runnel_core::provider::protocol;
use runnel_core::{ApiKey, Endpoint, Outcome, StreamOptions};
use runnel_testkit::{Chunking, FakeServer, Reply};

const STREAMS: usize = 50;
const DELTAS: usize = 10_000;
/// Rounds measured after a first one that warms up the pool and the allocator.
const ROUNDS: usize = 3;
/// Growth of the resident set allowed over the measured rounds. A leak of what one round
/// carries (about 45 MB of SSE, 4 MB of text) would pass it within three rounds.
const ALLOWED_GROWTH: u64 = 96 << 20;

fn word(stream: usize, delta: usize) -> String {
    format!("s{stream}w{delta} ")
}

fn text_of(stream: usize) -> String {
    (0..DELTAS).map(|delta| word(stream, delta)).collect()
}

/// A lean stream of `DELTAS` text deltas whose words name the stream, in `protocol_id`'s shape.
fn body(protocol_id: &str, stream: usize) -> Vec<u8> {
    let mut out = String::new();
    for delta in 0..DELTAS {
        let word = word(stream, delta);
        match protocol_id {
            "openai" => out.push_str(&format!(
                "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{word}\"}}}}]}}\n\n"
            )),
            _ => out.push_str(&format!(
                "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{word}\"}}}}\n\n"
            )),
        }
    }
    match protocol_id {
        "openai" => out.push_str("data: [DONE]\n\n"),
        _ => out.push_str("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
    }
    out.into_bytes()
}

fn protocol_of(stream: usize) -> &'static str {
    if stream.is_multiple_of(2) {
        "openai"
    } else {
        "anthropic"
    }
}

/// This process's resident set, in bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_streams_of_ten_thousand_deltas_lose_nothing_and_memory_stays_flat() {
    let server = FakeServer::start().await;
    let mut endpoints = Vec::new();
    for stream in 0..STREAMS {
        let protocol_id = protocol_of(stream);
        let base = format!("{}/s{stream}", server.url());
        let path = match protocol_id {
            "openai" => format!("/s{stream}/chat/completions"),
            _ => format!("/s{stream}/v1/messages"),
        };
        let reply = Reply::sse(body(protocol_id, stream)).chunking(Chunking::Random {
            seed: stream as u64,
            max: 8192,
        });
        server.route(&path, reply);
        endpoints.push(Endpoint::new(
            "load",
            protocol(protocol_id).unwrap(),
            &base,
            Some(ApiKey::new(SECRET)),
        ));
    }
    let expected: Vec<String> = (0..STREAMS).map(text_of).collect();
    let engine = engine();
    let mut after_warm_up = 0;
    for round in 0..=ROUNDS {
        let streams: Vec<_> = endpoints
            .iter()
            .map(|endpoint| engine.stream(endpoint, &request(), StreamOptions::default()))
            .collect();
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|stream| tokio::spawn(stream.finish()))
            .collect();
        for (stream, task) in tasks.into_iter().enumerate() {
            let completion = task.await.unwrap();
            assert!(
                matches!(completion.outcome, Outcome::Done { .. }),
                "round {round}, stream {stream}: {:?}",
                completion.outcome
            );
            assert_eq!(
                completion.metrics.deltas, DELTAS as u64,
                "round {round}, stream {stream}"
            );
            assert!(
                completion.text == expected[stream],
                "round {round}, stream {stream}: wrong text"
            );
        }
        let resident = resident_bytes();
        println!("round {round}: resident {} MiB", resident >> 20);
        if round == 0 {
            after_warm_up = resident;
        }
    }
    let growth = resident_bytes().saturating_sub(after_warm_up);
    assert!(
        growth <= ALLOWED_GROWTH,
        "resident memory grew by {} MiB over {ROUNDS} rounds",
        growth >> 20
    );
}
