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
//! - [`fixture()`]: real provider SSE streams, error bodies and model lists, byte for
//!   byte (documented in `fixtures/EXPECTED.md`).
//! - [`openai_stream()`], [`anthropic_stream()`], [`responses_stream()`], [`gemini_stream()`],
//!   [`long_line_event()`], [`slow_openai_reply()`]: generated
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
    anthropic_stream, anthropic_text_of, gemini_stream, long_line_event, openai_stream, openai_text_of,
    responses_stream, slow_openai_reply,
};
pub use rendezvous::Rendezvous;
pub use reply::{Chunking, End, Framing, Reply};
pub use request::RecordedRequest;
pub use server::FakeServer;
pub use spec::sse_events;
pub use tarpit::{Tarpit, tarpit};

/// Runnel's own settings that would make a test depend on the machine it runs on.
const RUNNEL_ENV: &[&str] = &["RUNNEL_MODEL", "RUNNEL_LOG", "RUNNEL_PROVIDERS_FILE"];

/// The proxies the engine reads (upper and lower case), which would route a test's requests.
const PROXY_ENV: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// The env vars through which a person's own keys, base URLs, default model, log filter,
/// providers file and proxies would reach a `runnel` process: every key and base-URL variable a
/// built-in provider names (read from the core's catalog, so a new provider's are included),
/// Runnel's own settings and the proxies. Tests and benchmarks remove them all.
pub fn user_env() -> Vec<String> {
    let mut vars: Vec<String> = runnel_core::Catalog::builtin()
        .all()
        .iter()
        .flat_map(|def| def.key_env_vars().chain(def.base_url_env.as_deref()).map(str::to_owned))
        .chain(RUNNEL_ENV.iter().chain(PROXY_ENV).map(|var| (*var).to_owned()))
        .collect();
    vars.sort();
    vars.dedup();
    vars
}
