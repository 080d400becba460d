//! The HTTP/1.1 that Runnel's own loopback servers speak (the demo model, `runnel replay`): one
//! request per connection, read within a time and size limit and served only for a loopback
//! `Host` (`request.rs`, `host.rs`), answered with JSON or a chunked body, then
//! `connection: close`. Only what those servers need; not a general HTTP server.

mod host;
mod request;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub(crate) use request::read_request;

/// An error body in the shape OpenAI and Anthropic share (`{"error": {"type", "message"}}`).
pub(crate) fn error_body(error_type: &str, message: &str) -> Value {
    json!({ "error": { "message": message, "type": error_type, "param": null, "code": null } })
}

/// Writes a whole JSON response.
pub(crate) async fn write_json(socket: &mut TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body.as_bytes()).await
}

/// Writes a short plain-text response (a refusal).
async fn write_text(socket: &mut TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reason(status),
        text.len()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(text.as_bytes()).await?;
    socket.shutdown().await
}

/// Writes the head of a chunked response; `content_type` is sent as given (the caller checks
/// it is a valid header value), none when `None`.
pub(crate) async fn write_chunked_head(
    socket: &mut TcpStream,
    status: u16,
    content_type: Option<&str>,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if let Some(content_type) = content_type {
        head.push_str(&format!("content-type: {content_type}\r\n"));
    }
    head.push_str("cache-control: no-cache\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    socket.write_all(head.as_bytes()).await
}

/// Writes one chunk of a chunked body, in one write.
pub(crate) async fn write_chunk(socket: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    let mut frame = format!("{:x}\r\n", data.len()).into_bytes();
    frame.extend_from_slice(data);
    frame.extend_from_slice(b"\r\n");
    socket.write_all(&frame).await
}

/// Ends a chunked body and the connection.
pub(crate) async fn end_chunked(socket: &mut TcpStream) -> std::io::Result<()> {
    socket.write_all(b"0\r\n\r\n").await?;
    socket.shutdown().await
}

/// The reason phrase of a status (clients ignore it; it reads well in a capture).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        421 => "Misdirected Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}
