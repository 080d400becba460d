//! The HTTP/1.1 that Runnel's own loopback servers speak (the demo model, `runnel replay`): one
//! request per connection, read under a size limit, answered with JSON or a chunked body, then
//! `connection: close`. Only what those servers need; not a general HTTP server.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Requests larger than this are refused: these servers take chat requests, not uploads.
const MAX_REQUEST: usize = 8 * 1024 * 1024;

/// One request as read off a connection.
pub(crate) struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target without its query string.
    pub path: String,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

/// Reads one request; `None` when the connection closed first or the request is too large.
pub(crate) async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > MAX_REQUEST {
            return None;
        }
        let read = socket.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target) = (request_line.next()?.to_owned(), request_line.next()?);
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST {
        return None;
    }
    let mut body = buffer.split_off(head_end);
    while body.len() < length {
        let read = socket.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    Some(Request { method, path, body })
}

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
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}
