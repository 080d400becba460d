//! Runnel's streaming engine: a provider's SSE bytes → one typed event stream, exactly, fast and
//! stoppable at any moment. No UI, no Tauri: the desktop app and the CLI both drive it.
//!
//! # Layout
//! A byte has one road: socket → [`body`] ([`sse`] framing, then a [`provider`]'s decoder) →
//! [`StreamEvent`] → the consumer ([`ChatStream`], [`StreamSet`]). Every reader of a body — the
//! engine, the `.sse` file's protocol guess, an inspector's rows — reads it through [`body`], and
//! every front end reads a stream's numbers from [`metrics`].
//!
//! - [`event`]: the one vocabulary ([`StreamEvent`], [`FinishReason`], [`Usage`]).
//! - [`error`]: [`StreamError`], kinds a person can act on; [`http_error`] reads error bodies.
//! - [`sse`]: SSE framing that scans each byte once, under any chunking.
//! - [`body`]: a body read as its protocol's events, with how it ended (complete, failed, or cut
//!   between or inside events).
//! - [`provider`]: wire protocols (OpenAI Chat Completions, Anthropic Messages), each owning its
//!   words (finish reasons, error types, model list, what an inspector shows of its events), and
//!   their registry.
//! - [`catalog`]: providers as data, one [`ProviderDef`] each: the built-in list (OpenAI,
//!   Anthropic, Ollama, LM Studio, llama.cpp, vLLM, OpenRouter, Groq, the demo) and the
//!   providers file.
//! - [`endpoint`]: a provider ready to be called; [`timeouts`]: how long each phase may take.
//! - [`net`]: the HTTP client's redirect and proxy rules; `http`: sending and reading bodies
//!   under timeouts and limits.
//! - [`engine`]: the client, starting streams, listing models.
//! - [`limits`]: the bounds on everything a server controls (event, answer, tool calls, bodies).
//! - [`recording`]: a response as it arrived, chunk by chunk with arrival times; [`sse_file`]:
//!   writing and reading it as an `.sse` file; [`replay`]: serving one on loopback; [`inspect`]:
//!   an inspector's rows of one.
//! - [`stream`]: one running stream, its stop handle and what it collected.
//! - [`collect`]: message, usage and outcome folded from events; [`metrics`]: the stream's numbers
//!   (time to first token, tokens per second, …), one definition for every front end.
//! - [`parallel`]: several streams at once, tagged by id.
//! - [`redact`]: masking any fragment of a key in text that leaves the core.
//! - [`keys`]: the OS keychain and env-var keys; [`resolve`]: provider id → ready endpoint.
//! - [`demo`]: the offline demo model, a loopback server in this process.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use runnel_core::{ChatRequest, Engine, Message, MemoryStore, StreamEvent, StreamOptions, Timeouts, resolve};
//! let (endpoint, _) = resolve("demo", None, &MemoryStore::default())?;
//! let engine = Engine::new(Timeouts::default())?;
//! let request = ChatRequest::new("runnel-demo", vec![Message::user("hello")]);
//! let mut stream = engine.stream(&endpoint, &request, StreamOptions::default());
//! while let Some(event) = stream.next().await {
//!     if let StreamEvent::TextDelta { text } = event {
//!         print!("{text}");
//!     }
//! }
//! println!("\n{:?}", stream.completion().metrics);
//! # Ok(()) }
//! ```

pub mod body;
pub mod catalog;
pub mod collect;
pub mod cost;
pub mod demo;
pub mod endpoint;
pub mod engine;
pub mod error;
pub mod event;
mod http;
pub mod http_error;
pub mod inspect;
pub mod keys;
pub mod limits;
mod loopback;
pub mod metrics;
pub mod ndjson;
pub mod net;
pub mod parallel;
pub mod provider;
pub mod recording;
pub mod redact;
pub mod replay;
pub mod request;
pub mod resolve;
pub mod sse;
pub mod sse_file;
pub mod stream;
pub mod timeouts;

pub use catalog::{Catalog, ProviderDef};
pub use collect::{Collector, Completion, Outcome, ToolCall};
pub use cost::Price;
pub use endpoint::Endpoint;
pub use engine::Engine;
pub use error::{ErrorKind, StreamError, TimeoutPhase};
pub use event::{FinishReason, RawFrame, StreamEvent, Usage};
pub use keys::{ApiKey, KeyError, KeySource, KeyStore, KeychainStore, MemoryStore, StoredKey};
pub use limits::Limits;
pub use metrics::Metrics;
pub use parallel::{SetEvent, StreamId, StreamSet};
pub use provider::ModelInfo;
pub use recording::{RecordedChunk, Recording, RecordingTap};
pub use request::{ChatOptions, ChatRequest, Message, Role};
pub use resolve::{ResolveError, resolve, resolve_def, resolve_keyless};
pub use stream::{ChatStream, StopHandle, StreamOptions};
pub use timeouts::Timeouts;
