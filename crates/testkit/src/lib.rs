//! Test support for Runnel: everything a test or benchmark needs to talk to a
//! "provider" without leaving 127.0.0.1.
//!
//! - [`FakeServer`]: a real HTTP/1.1 server (tokio `TcpListener`, no hyper) that
//!   plays scripted [`Reply`]s with byte-level control over chunking, pacing,
//!   framing and how the response ends, and records every request and every
//!   connection ([`RecordedRequest`], [`ConnectionLog`]); over TLS too
//!   ([`FakeServer::start_tls`]).
//! - [`Rendezvous`]: replies that wait for each other's requests, across servers, to prove a
//!   client sent them at the same time.
//! - [`tarpit()`]: a loopback address whose connects hang, for connect-timeout tests.
//! - [`fixture()`]: real OpenAI / Anthropic SSE streams and error bodies, byte for
//!   byte (documented in `fixtures/EXPECTED.md`).
//! - [`openai_stream()`], [`anthropic_stream()`], [`long_line_event()`], [`slow_openai_reply()`]: generated
//!   streams of any size for benchmarks and stress tests.
//! - [`sse_events()`]: a body's SSE events and comment lines read by the spec's rules alone, to
//!   compare an inspector's rows with.
//!
//! ```no_run
//! use std::time::Duration;
//! use runnel_testkit::{Chunking, End, FakeServer, Reply, fixture};
//!
//! # async fn example() {
//! let server = FakeServer::start().await;
//! server.enqueue(
//!     Reply::sse(fixture("openai_text.sse"))
//!         .chunking(Chunking::EveryByte)
//!         .delay(Duration::from_millis(1))
//!         .end(End::Hang),
//! );
//! let base_url = server.url(); // point the client under test here
//! # let _ = base_url;
//! let request = &server.wait_requests(1, Duration::from_secs(2)).await[0];
//! assert_eq!(request.path, "/v1/chat/completions");
//! let closed = server.connection(0).wait_closed_by_client(Duration::from_secs(1)).await;
//! assert!(closed.is_some(), "the client should hang up on a silent stream");
//! # }
//! ```

#![warn(missing_docs)]

mod connection;
mod fixtures;
mod generate;
mod rendezvous;
mod reply;
mod request;
mod server;
mod spec;
mod tarpit;
mod tls;

pub use connection::ConnectionLog;
pub use fixtures::{fixture, fixture_names};
pub use generate::{
    anthropic_stream, anthropic_text_of, long_line_event, openai_stream, openai_text_of, slow_openai_reply,
};
pub use rendezvous::Rendezvous;
pub use reply::{Chunking, End, Framing, Reply};
pub use request::RecordedRequest;
pub use server::FakeServer;
pub use spec::sse_events;
pub use tarpit::{Tarpit, tarpit};

/// The env vars through which a person's own keys, base URLs, default model, log filter and
/// providers file would reach a `runnel` process: tests and benchmarks remove them all.
pub const USER_ENV: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "VLLM_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "OLLAMA_BASE_URL",
    "LMSTUDIO_BASE_URL",
    "LLAMACPP_BASE_URL",
    "VLLM_BASE_URL",
    "RUNNEL_MODEL",
    "RUNNEL_LOG",
    "RUNNEL_PROVIDERS_FILE",
];
