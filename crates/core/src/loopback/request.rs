//! Reading one request off a connection, as a server that anything on the machine (and, through
//! a browser, any web page) can reach must: within [`REQUEST_TIMEOUT`], under [`MAX_REQUEST`],
//! each byte of the head scanned once, and only for a loopback `Host` (`host.rs`).

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::host::is_loopback;
use super::write_text;

/// Requests larger than this are refused: these servers take chat requests, not uploads. It
/// bounds the head (what is held before its blank line) and the body alike.
const MAX_REQUEST: usize = 8 * 1024 * 1024;

/// How long a client has, from the moment it is accepted, to send its whole request (head and
/// body). One that sends nothing, or only part of a request, is dropped then, so idle or
/// trickling connections cannot pile up. A chat request over loopback arrives in milliseconds;
/// 10 s leaves room for a machine under load.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The bytes that end a request head.
const HEAD_END: &[u8] = b"\r\n\r\n";

/// One request as read off a connection.
pub(crate) struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target without its query string.
    pub path: String,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

/// Why a request is not handed to its server.
enum Rejected {
    /// Nothing to answer: the client closed, took too long, or sent too much or no HTTP.
    Dropped,
    /// Answered with this status and plain-text message, then closed.
    Refused(u16, &'static str),
}

/// Reads one request within [`REQUEST_TIMEOUT`]; `None` when there is none to serve. A request
/// for another `Host` (or without one, in HTTP/1.1) is answered here with a short refusal and
/// never reaches the caller.
pub(crate) async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    read_request_within(socket, REQUEST_TIMEOUT).await
}

/// [`read_request`] with the time the client has.
pub(crate) async fn read_request_within(socket: &mut TcpStream, timeout: Duration) -> Option<Request> {
    let read = tokio::time::timeout(timeout, read(socket))
        .await
        .unwrap_or(Err(Rejected::Dropped));
    match read {
        Ok(request) => Some(request),
        Err(Rejected::Refused(status, message)) => {
            let _ = write_text(socket, status, message).await;
            None
        }
        Err(Rejected::Dropped) => None,
    }
}

async fn read(socket: &mut TcpStream) -> Result<Request, Rejected> {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let mut scan = HeadScan::default();
    let head_end = loop {
        if let Some(end) = scan.end(&buffer) {
            break end;
        }
        if buffer.len() > MAX_REQUEST {
            return Err(Rejected::Dropped);
        }
        read_more(socket, &mut chunk, &mut buffer).await?;
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), version) = (request_line.next(), request_line.next(), request_line.next()) else {
        return Err(Rejected::Dropped);
    };
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect();
    check_host(version, &headers)?;
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST {
        return Err(Rejected::Dropped);
    }
    let (method, path) = (
        method.to_owned(),
        target.split('?').next().unwrap_or_default().to_owned(),
    );
    let mut body = buffer.split_off(head_end);
    while body.len() < length {
        read_more(socket, &mut chunk, &mut body).await?;
    }
    body.truncate(length);
    Ok(Request { method, path, body })
}

/// Reads what the socket has into `buffer` (through `chunk`); a closed or failed socket drops the
/// request.
async fn read_more(socket: &mut TcpStream, chunk: &mut [u8], buffer: &mut Vec<u8>) -> Result<(), Rejected> {
    let read = socket
        .read(chunk)
        .await
        .ok()
        .filter(|&n| n > 0)
        .ok_or(Rejected::Dropped)?;
    buffer.extend_from_slice(&chunk[..read]);
    Ok(())
}

/// A request is served only when its one `Host` is a loopback name (`host.rs`); HTTP/1.0 may
/// omit it (a browser never does), HTTP/1.1 must send it (RFC 9112, 3.2).
fn check_host(version: Option<&str>, headers: &[(&str, &str)]) -> Result<(), Rejected> {
    let mut hosts = headers.iter().filter(|(name, _)| name.eq_ignore_ascii_case("host"));
    match (hosts.next(), hosts.next()) {
        (Some((_, host)), None) if is_loopback(host) => Ok(()),
        (Some(_), None) => Err(Rejected::Refused(
            421,
            "this server answers only requests for 127.0.0.1, localhost or [::1]\n",
        )),
        (None, _) if version == Some("HTTP/1.0") => Ok(()),
        _ => Err(Rejected::Refused(400, "a request must have exactly one Host header\n")),
    }
}

/// Finds where a request head ends (just past its blank line) as its bytes arrive. Each call
/// searches only the bytes added since the last one, and the three before them (where a
/// `\r\n\r\n` cut across two reads began), so a head that arrives a byte at a time still costs
/// one pass over its bytes.
#[derive(Default)]
struct HeadScan {
    /// How much of the buffer earlier calls searched.
    searched: usize,
    /// Every byte searched, counting the overlaps: what the linearity test checks.
    #[cfg(test)]
    scanned: usize,
}

impl HeadScan {
    /// The end of the head in `buffer` (the bytes of the connection so far), if it is there.
    fn end(&mut self, buffer: &[u8]) -> Option<usize> {
        let from = self.searched.saturating_sub(HEAD_END.len() - 1);
        self.searched = buffer.len();
        #[cfg(test)]
        {
            self.scanned += buffer.len() - from;
        }
        memchr::memmem::find(&buffer[from..], HEAD_END).map(|at| from + at + HEAD_END.len())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    use super::*;

    /// A listener on 127.0.0.1 whose first connection is read by `read_request_within(timeout)`.
    async fn server(
        timeout: Duration,
    ) -> (
        std::net::SocketAddr,
        tokio::task::JoinHandle<(Option<Request>, Duration)>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let start = Instant::now();
            let request = read_request_within(&mut socket, timeout).await;
            (request, start.elapsed())
        });
        (address, task)
    }

    #[test]
    fn a_head_arriving_a_byte_at_a_time_is_scanned_once() {
        let mut head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec();
        while head.len() < 64 * 1024 {
            head.extend_from_slice(b"x-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let mut scan = HeadScan::default();
        let mut buffer = Vec::new();
        let mut found = None;
        for &byte in &head {
            buffer.push(byte);
            if let Some(end) = scan.end(&buffer) {
                found = Some(end);
                break;
            }
        }
        assert_eq!(found, Some(head.len()));
        // One byte new per call, and the three before it: at most 4 bytes looked at per byte.
        assert!(
            scan.scanned <= 4 * head.len(),
            "{} bytes scanned for a head of {}",
            scan.scanned,
            head.len()
        );
    }

    // Two threads, so the server reads while the client writes: its reads see a few bytes each.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_64_kib_head_sent_a_byte_per_write_is_read_whole() {
        let (address, server) = server(REQUEST_TIMEOUT).await;
        let mut head = b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n".to_vec();
        while head.len() < 64 * 1024 {
            head.extend_from_slice(b"x-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        head.extend_from_slice(b"\r\n{}");
        let mut client = TcpStream::connect(address).await.unwrap();
        client.set_nodelay(true).unwrap();
        for byte in &head {
            client.write_all(std::slice::from_ref(byte)).await.unwrap();
        }
        let (request, _) = server.await.unwrap();
        let request = request.expect("the request is read");
        assert_eq!(
            (request.method.as_str(), request.path.as_str(), &request.body[..]),
            ("POST", "/v1/chat/completions", &b"{}"[..])
        );
    }

    #[tokio::test]
    async fn a_client_that_sends_nothing_or_part_of_a_head_is_dropped_at_the_timeout() {
        let timeout = Duration::from_millis(300);
        for sent in [&b""[..], b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"] {
            let (address, server) = server(timeout).await;
            let mut client = TcpStream::connect(address).await.unwrap();
            client.write_all(sent).await.unwrap();
            let (request, waited) = tokio::time::timeout(timeout * 10, server)
                .await
                .unwrap_or_else(|_| panic!("{sent:?}: still connected after {:?}", timeout * 10))
                .unwrap();
            assert!(request.is_none(), "{sent:?}");
            assert!(waited >= timeout, "{sent:?}: dropped after {waited:?}");
            // The server closed it: the client reads the end of the stream, and nothing else.
            let mut rest = Vec::new();
            client.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest, b"", "{sent:?}");
        }
    }

    #[tokio::test]
    async fn a_head_past_the_limit_is_dropped_unfinished() {
        let (address, server) = server(REQUEST_TIMEOUT).await;
        let mut client = TcpStream::connect(address).await.unwrap();
        let mut head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nx-long: ".to_vec();
        head.resize(MAX_REQUEST + 2 * 8192, b'a');
        // The server stops reading past the limit; the write may then fail, which is the point.
        let _ = client.write_all(&head).await;
        let (request, waited) = server.await.unwrap();
        assert!(request.is_none());
        assert!(waited < REQUEST_TIMEOUT, "dropped at the limit, not at the timeout");
    }
}
