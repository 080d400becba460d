//! The HTTP steps every provider call shares: sending within the response timeout, reading a
//! body under a limit and the idle timeout, and typing a failed send.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::timeout;

use crate::error::{ErrorKind, StreamError, TimeoutPhase};
use crate::limits::{Limits, too_large};
use crate::net;
use crate::timeouts::Timeouts;

/// Sends `request`, allowing `connect + first_byte` for the response head (so a connection that
/// never comes is always a connect timeout).
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    timeouts: &Timeouts,
) -> Result<reqwest::Response, StreamError> {
    match timeout(timeouts.until_response(), request.send()).await {
        Err(_) => Err(StreamError::timeout(TimeoutPhase::FirstByte, timeouts.first_byte)),
        Ok(Err(error)) => Err(transport_error(&error, timeouts.connect)),
        Ok(Ok(response)) => Ok(response),
    }
}

/// The start of a body that is not an answer (an error page, an HTTP error), at most
/// [`Limits::error_body_bytes`]; whatever arrived before a failure is kept.
pub(crate) async fn read_error_body(response: reqwest::Response, idle: Duration, limits: &Limits) -> Vec<u8> {
    read_body(response, idle, limits.error_body_bytes, "the error body")
        .await
        .unwrap_or_else(|(partial, _)| partial)
}

/// Reads a response body, each read within `idle`. A body longer than `limit` bytes is an
/// error naming `what` and the limit, and nothing past the limit is kept. On a failure, the
/// bytes read so far come back with the error.
pub(crate) async fn read_body(
    response: reqwest::Response,
    idle: Duration,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>, (Vec<u8>, StreamError)> {
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    loop {
        match timeout(idle, chunks.next()).await {
            Err(_) => return Err((body, StreamError::timeout(TimeoutPhase::Idle, idle))),
            Ok(None) => break,
            Ok(Some(Err(error))) => {
                let error = StreamError::new(
                    ErrorKind::Network,
                    format!("the body broke off: {}", source_text(&error)),
                );
                return Err((body, error));
            }
            Ok(Some(Ok(chunk))) => {
                let room = limit - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return Err((body, too_large(what, limit)));
                }
                body.extend_from_slice(&chunk);
            }
        }
    }
    Ok(body)
}

/// A failed send, as a typed error: a connect timeout, a refused connection, a reset.
fn transport_error(error: &reqwest::Error, connect_timeout: Duration) -> StreamError {
    if error.is_timeout() && error.is_connect() {
        return StreamError::timeout(TimeoutPhase::Connect, connect_timeout);
    }
    if let Some(refused) = net::redirect_error(error) {
        return refused;
    }
    let what = if error.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let host = error
        .url()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    StreamError::new(ErrorKind::Network, format!("{what} to {host}: {}", source_text(error)))
}

/// The innermost cause of an error, which is where reqwest keeps the useful words.
pub(crate) fn source_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}
