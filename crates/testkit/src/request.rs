//! Requests as the fake server received them, and the HTTP/1.1 request parser.

use std::io;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest request head (request line plus headers) the server accepts.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body the server accepts.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One HTTP request received by a [`FakeServer`](crate::FakeServer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Request method, e.g. `POST`.
    pub method: String,
    /// Request target as sent, including any query string.
    pub path: String,
    /// Headers in the order received; names lowercased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (read by `Content-Length`; empty without one).
    pub body: Vec<u8>,
    /// When the server had read the whole request (a client's start-up ends at about this
    /// moment: `scripts/bench-cli` times it from the client's spawn).
    pub received_at: Instant,
}

impl RecordedRequest {
    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; panics if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "request body of {} {} is not JSON ({e}): {:?}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The path without its query string: what routes are matched against.
    pub fn path_without_query(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }
}

/// Reads one request. Errors: `InvalidData` for a malformed or oversized
/// request, any other kind when the client closed or the read failed.
pub(crate) async fn read_request<R: AsyncRead + Unpin>(reader: &mut R) -> io::Result<RecordedRequest> {
    let mut buf = Vec::with_capacity(4096);
    let head_len = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("request head too large"));
        }
        read_more(reader, &mut buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_len]).map_err(|_| invalid("request head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(path), Some(_version)) = (request_line.next(), request_line.next(), request_line.next())
    else {
        return Err(invalid("malformed request line"));
    };
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or_else(|| invalid("malformed header"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut request = RecordedRequest {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: Vec::new(),
        received_at: Instant::now(),
    };
    let body_len = match request.header("content-length") {
        Some(v) => v.parse::<usize>().map_err(|_| invalid("bad content-length"))?,
        None => 0,
    };
    if body_len > MAX_BODY {
        return Err(invalid("request body too large"));
    }
    while buf.len() < head_len + body_len {
        read_more(reader, &mut buf).await?;
    }
    request.body = buf[head_len..head_len + body_len].to_vec();
    request.received_at = Instant::now();
    Ok(request)
}

/// Appends what one read returns; end of stream is an `UnexpectedEof` error.
async fn read_more<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0u8; 8192];
    match reader.read(&mut chunk).await? {
        0 => Err(io::ErrorKind::UnexpectedEof.into()),
        n => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8]) -> io::Result<RecordedRequest> {
        read_request(&mut &bytes[..]).await
    }

    #[tokio::test]
    async fn parses_line_headers_and_body() {
        let raw = b"POST /v1/chat?x=1 HTTP/1.1\r\nHost: a\r\nX-Api-Key:  k \r\nContent-Length: 4\r\n\r\nbodyEXTRA";
        let req = parse(raw).await.unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/v1/chat?x=1");
        assert_eq!(req.path_without_query(), "/v1/chat");
        assert_eq!(req.header("x-api-key"), Some("k"));
        assert_eq!(req.header("HOST"), Some("a"));
        assert_eq!(req.headers[0].0, "host");
        assert_eq!(req.body, b"body");
    }

    #[tokio::test]
    async fn rejects_garbage_and_reports_early_close() {
        assert_eq!(
            parse(b"GARBAGE\r\n\r\n").await.unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost").await.unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        let short_body = b"POST / HTTP/1.1\r\ncontent-length: 9\r\n\r\nab";
        assert_eq!(
            parse(short_body).await.unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
