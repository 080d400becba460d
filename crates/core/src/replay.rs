//! Serving a [`Recording`] on 127.0.0.1 as an endpoint of its protocol (`runnel replay`): every
//! chat request gets the recorded status, content type and body, chunk by chunk, at a chosen
//! [`Pace`]; `GET …/models` (or the protocol's own model-list path) lists the recorded model. A
//! recording that kept no content type is served with its protocol's framing's
//! (`text/event-stream`, `application/x-ndjson`). Any client (the app, the official SDKs,
//! curl) then sees the bytes a provider sent, with their timing: a bug report becomes a file.
//!
//! Times are counted from the moment the request has arrived: at [`Pace::Recorded`] a chunk
//! recorded 300 ms after its request was sent leaves 300 ms after the replayed request arrived.
//! Each recorded chunk is one HTTP chunk, written on its own with Nagle off, so a client reading
//! at the recorded pace sees the recorded boundaries (the network may still merge writes that
//! leave at the same moment, as it may anywhere). The HTTP is the demo's (`crate::loopback`),
//! which serves only requests addressed to a loopback name (no web page reads a replay through
//! DNS rebinding) and drops a client that has not sent its request within 10 s.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, sleep_until};

use crate::loopback::{end_chunked, error_body, read_request, write_chunk, write_chunked_head, write_json};
use crate::provider::protocol;
use crate::recording::Recording;

/// The model listed when the recording names none.
const UNNAMED_MODEL: &str = "runnel-replay";
/// The slowest and fastest speeds a pace may ask for.
const SPEEDS: (f64, f64) = (0.01, 1000.0);

/// How fast a recording is replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Each chunk at its recorded offset from the request.
    Recorded,
    /// Everything at once.
    Max,
    /// The recorded offsets divided by this speed (`2x` is twice as fast).
    Speed(f64),
}

/// A pace that is not `recorded`, `max` or a speed within bounds.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{0}` is not a pace: use `recorded`, `max` or a speed from 0.01x to 1000x (`2x`, `0.5x`)")]
pub struct PaceError(String);

impl FromStr for Pace {
    type Err = PaceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "recorded" => Ok(Self::Recorded),
            "max" => Ok(Self::Max),
            _ => text
                .strip_suffix('x')
                .and_then(|speed| speed.parse::<f64>().ok())
                .filter(|speed| (SPEEDS.0..=SPEEDS.1).contains(speed))
                .map(Self::Speed)
                .ok_or_else(|| PaceError(text.to_owned())),
        }
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Recorded => f.write_str("recorded"),
            Self::Max => f.write_str("max"),
            Self::Speed(speed) => write!(f, "{speed}x"),
        }
    }
}

impl Pace {
    /// When something recorded `at_ms` after its request was sent is replayed, counted from the
    /// replayed request's arrival.
    pub fn offset(self, at_ms: f64) -> Duration {
        let seconds = match self {
            Self::Max => return Duration::ZERO,
            Self::Recorded => at_ms / 1000.0,
            Self::Speed(speed) => at_ms / 1000.0 / speed,
        };
        Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO)
    }
}

/// A recording served on 127.0.0.1.
pub struct ReplayServer {
    listener: TcpListener,
    recording: Arc<Recording>,
    pace: Pace,
}

impl ReplayServer {
    /// Listens on `127.0.0.1:port` (0 picks a free port). A recording without a response (no
    /// status) is served as an empty 200.
    pub async fn bind(port: u16, recording: Recording, pace: Pace) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        Ok(Self {
            listener,
            recording: Arc::new(recording),
            pace,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The base URL to give a client, as its SDK wants it: `http://127.0.0.1:PORT/v1` for
    /// OpenAI, `http://127.0.0.1:PORT` for Anthropic (the protocol's
    /// [`base_path`](crate::provider::Routes::base_path)).
    pub fn base_url(&self) -> String {
        let base_path = protocol(&self.recording.protocol).map_or("", |protocol| protocol.routes().base_path);
        format!("http://{}{base_path}", self.address())
    }

    /// Serves until the task is dropped, each connection on a task of its own.
    pub async fn run(self) {
        loop {
            match self.listener.accept().await {
                Ok((socket, _)) => {
                    tokio::spawn(serve(socket, self.recording.clone(), self.pace));
                }
                // Out of file descriptors or similar: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}

async fn serve(mut socket: TcpStream, recording: Arc<Recording>, pace: Pace) {
    let _ = socket.set_nodelay(true);
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let arrived = Instant::now();
    let model = recording.model.as_deref().unwrap_or(UNNAMED_MODEL);
    let _ = match request.method.as_str() {
        "POST" => replay(&mut socket, &recording, pace, arrived).await,
        "GET" if request.path.ends_with("/models") || lists_models(&recording, &request.path) => {
            write_json(&mut socket, 200, &model_list(model)).await
        }
        _ => {
            let message = "this replay answers every POST (a chat request) with its recording, and GET …/models";
            write_json(&mut socket, 404, &error_body("not_found_error", message)).await
        }
    };
}

/// Writes the recorded response, each part at its offset from `arrived`.
async fn replay(socket: &mut TcpStream, recording: &Recording, pace: Pace, arrived: Instant) -> std::io::Result<()> {
    let first_chunk = recording.chunks.first().map_or(f64::INFINITY, |chunk| chunk.at_ms);
    let head_ms = recording.head_ms.unwrap_or(0.0).min(first_chunk);
    sleep_until(arrived + pace.offset(head_ms)).await;
    let status = recording.status.unwrap_or(200);
    // A recording that kept no content type is served as its protocol's stream.
    let content_type = recording.content_type.as_deref().or_else(|| {
        let framing = protocol(&recording.protocol)?.framing();
        (200..300).contains(&status).then(|| framing.content_type())
    });
    write_chunked_head(socket, status, content_type).await?;
    for chunk in &recording.chunks {
        sleep_until(arrived + pace.offset(chunk.at_ms)).await;
        write_chunk(socket, &chunk.bytes).await?;
    }
    end_chunked(socket).await
}

/// Whether `path` is the recording's protocol's model list (`…/models`, or another path a protocol
/// lists its models at).
fn lists_models(recording: &Recording, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    protocol(&recording.protocol).is_some_and(|protocol| path.ends_with(protocol.routes().models_path))
}

/// A model list the clients of every protocol read: the `{ "data": [{ "id" }] }` shape with
/// OpenAI's fields and Anthropic's side by side, and the `{ "models": [{ "name", "model" }] }`
/// shape of servers that list models by name.
fn model_list(model: &str) -> Value {
    json!({
        "object": "list",
        "data": [{
            "id": model, "object": "model", "created": 0, "owned_by": "runnel-replay",
            "type": "model", "display_name": model, "created_at": "1970-01-01T00:00:00Z"
        }],
        "has_more": false, "first_id": model, "last_id": model,
        "models": [{ "name": model, "model": model }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_parse_and_say_their_offsets() {
        assert_eq!("recorded".parse(), Ok(Pace::Recorded));
        assert_eq!("max".parse(), Ok(Pace::Max));
        assert_eq!("2x".parse(), Ok(Pace::Speed(2.0)));
        assert_eq!("0.5x".parse::<Pace>().unwrap().to_string(), "0.5x");
        for bad in ["fast", "x", "0x", "-1x", "2", "infx", "NaNx", "5000x"] {
            let error = bad.parse::<Pace>().unwrap_err();
            assert!(
                error.to_string().starts_with(&format!("`{bad}` is not a pace")),
                "{error}"
            );
        }
        assert_eq!(Pace::Recorded.offset(1500.0), Duration::from_millis(1500));
        assert_eq!(Pace::Speed(2.0).offset(1500.0), Duration::from_millis(750));
        assert_eq!(Pace::Max.offset(1500.0), Duration::ZERO);
    }
}
