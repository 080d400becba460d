//! The built-in demo model: no key, no network. It is a real OpenAI-compatible HTTP server on
//! 127.0.0.1 inside this process, so its answers travel the same road as a real provider's:
//! HTTP → SSE → decoder → events.
//!
//! The server runs on a thread of its own (with its own small runtime), started once per
//! process by [`base_url`], so it outlives whichever runtime first asked for it.

mod answers;
mod server;

use std::sync::OnceLock;

pub use answers::answer_for;

/// The model id the demo answers as.
pub const DEMO_MODEL: &str = "runnel-demo";

static BASE_URL: OnceLock<Result<String, String>> = OnceLock::new();

/// The demo server's base URL (`http://127.0.0.1:PORT/v1`), starting the server on first use.
pub fn base_url() -> Result<String, std::io::Error> {
    BASE_URL
        .get_or_init(|| {
            server::spawn()
                .map(|address| format!("http://{address}/v1"))
                .map_err(|error| error.to_string())
        })
        .clone()
        .map_err(std::io::Error::other)
}
