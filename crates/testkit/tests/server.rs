//! The fake server seen from a plain tokio `TcpStream` client.

use std::time::{Duration, Instant};

use runnel_testkit::{Chunking, End, FakeServer, Framing, Rendezvous, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);
/// How soon the server must see a client's close: generous for a busy 2-core machine, and still
/// far shorter than the streams these tests close.
const CLOSE_BUDGET: Duration = Duration::from_secs(1);

async fn connect_and_send(server: &FakeServer, raw: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(raw).await.unwrap();
    stream
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n").into_bytes()
}

async fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut out))
        .await
        .expect("response did not end")
        .unwrap();
    out
}

/// Splits a raw response into its head (status line and headers) and body bytes.
fn split(response: &[u8]) -> (String, Vec<u8>) {
    let at = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of head")
        + 4;
    (
        String::from_utf8(response[..at].to_vec()).unwrap(),
        response[at..].to_vec(),
    )
}

/// Decodes a chunked body: (payload, chunk sizes, whether the 0-size terminator came).
fn dechunk(mut body: &[u8]) -> (Vec<u8>, Vec<usize>, bool) {
    let (mut payload, mut sizes) = (Vec::new(), Vec::new());
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&body[..eol]).unwrap(), 16).unwrap();
        if size == 0 {
            assert_eq!(&body[eol..], b"\r\n\r\n", "bytes after the terminating chunk");
            return (payload, sizes, true);
        }
        let data = &body[eol + 2..];
        if data.len() < size + 2 {
            payload.extend_from_slice(&data[..data.len().min(size)]);
            return (payload, sizes, false);
        }
        assert_eq!(&data[size..size + 2], b"\r\n");
        payload.extend_from_slice(&data[..size]);
        sizes.push(size);
        body = &data[size + 2..];
    }
    assert!(body.is_empty(), "partial chunk-size line {body:?}");
    (payload, sizes, false)
}

async fn fetch(server: &FakeServer, path: &str) -> (String, Vec<u8>) {
    let mut stream = connect_and_send(server, &get(path)).await;
    split(&read_to_end(&mut stream).await)
}

#[tokio::test]
async fn chunked_framing_decodes_back_to_the_body() {
    let server = FakeServer::start().await;
    let body = "data: {\"x\":\"日本語 🦀\"}\n\n".repeat(5);
    server.enqueue(Reply::sse(body.clone()).chunking(Chunking::Fixed(7)));
    let (head, raw) = fetch(&server, "/").await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("transfer-encoding: chunked\r\n"));
    assert!(head.contains("connection: close\r\n"));
    assert!(head.contains("content-type: text/event-stream\r\n"));
    let (payload, sizes, terminated) = dechunk(&raw);
    assert_eq!(payload, body.as_bytes());
    assert!(terminated);
    assert_eq!(sizes.len(), body.len().div_ceil(7));
    assert!(sizes[..sizes.len() - 1].iter().all(|&s| s == 7));
    assert_eq!(server.connection(0).bytes_written(), body.len());
}

#[tokio::test]
async fn random_chunking_keeps_every_chunk_whole() {
    let server = FakeServer::start().await;
    let body = vec![b'z'; 500];
    let reply = Reply::sse(body.clone()).chunking(Chunking::Random { seed: 42, max: 16 });
    server.enqueue(reply.clone());
    server.enqueue(reply);
    let (_, first) = fetch(&server, "/").await;
    let (_, second) = fetch(&server, "/").await;
    let (payload, sizes, terminated) = dechunk(&first);
    assert_eq!((payload, terminated), (body, true));
    assert!(sizes.iter().all(|&s| (1..=16).contains(&s)));
    assert_eq!(first, second, "same seed, same bytes");
}

#[tokio::test]
async fn every_byte_with_delay_arrives_in_many_reads() {
    let server = FakeServer::start().await;
    let body = b"data: abcdefghijklmnopqrstuvwx\n\n";
    server.enqueue(
        Reply::sse(&body[..])
            .chunking(Chunking::EveryByte)
            .delay(Duration::from_millis(2))
            .framing(Framing::CloseDelimited),
    );
    let mut stream = connect_and_send(&server, &get("/")).await;
    let (mut received, mut reads) = (Vec::new(), 0);
    let mut buf = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
        reads += 1;
    }
    let (head, payload) = split(&received);
    assert!(
        !head.contains("content-length") && !head.contains("transfer-encoding"),
        "{head}"
    );
    assert_eq!(payload, body);
    assert!(
        reads >= body.len() / 2,
        "only {reads} reads for {} paced bytes",
        body.len()
    );
}

#[tokio::test]
async fn drop_after_closes_without_terminating_chunk() {
    let server = FakeServer::start().await;
    server.enqueue(
        Reply::sse("0123456789abcdef")
            .chunking(Chunking::Fixed(4))
            .end(End::DropAfter(10)),
    );
    let (_, raw) = fetch(&server, "/").await;
    let (payload, sizes, terminated) = dechunk(&raw);
    assert_eq!(payload, b"0123456789");
    assert_eq!(sizes, [4, 4, 2]);
    assert!(!terminated);
    assert_eq!(server.connection(0).bytes_written(), 10);
}

#[tokio::test]
async fn drop_after_with_content_length_announces_the_full_body() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::json(200, r#"{"long":"body"}"#).end(End::DropAfter(5)));
    let (head, body) = fetch(&server, "/").await;
    assert!(head.contains("content-length: 15\r\n"), "{head}");
    assert_eq!(body, b"{\"lon");
}

#[tokio::test]
async fn hang_then_client_drop_is_seen_promptly() {
    let server = FakeServer::start().await;
    let body = b"data: {\"a\":1}\n\n";
    server.enqueue(Reply::sse(&body[..]).end(End::Hang));
    let mut stream = connect_and_send(&server, &get("/v1/chat/completions")).await;
    let log = server.wait_connection(0, WAIT).await;
    log.wait_written(body.len(), WAIT).await;
    // Everything arrives, but no terminating chunk and no close.
    let mut buf = vec![0u8; 4096];
    let mut received = Vec::new();
    // One chunk: "f\r\n" + 15 bytes + "\r\n".
    let complete = |r: &[u8]| r.windows(4).any(|w| w == b"\r\n\r\n") && split(r).1.len() >= body.len() + 5;
    while !complete(&received) {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(n, 0, "server closed a hanging connection");
        received.extend_from_slice(&buf[..n]);
    }
    let (_, _, terminated) = dechunk(&split(&received).1);
    assert!(!terminated);
    assert!(
        tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf))
            .await
            .is_err(),
        "not silent"
    );
    assert_eq!(log.closed_by_client(), None);

    let dropped_at = Instant::now();
    drop(stream);
    let closed_at = log.wait_closed_by_client(WAIT).await.expect("close not observed");
    let lag = closed_at.saturating_duration_since(dropped_at);
    assert!(lag < CLOSE_BUDGET, "close observed after {lag:?}");
}

#[tokio::test]
async fn client_close_mid_stream_stops_the_writes() {
    let server = FakeServer::start().await;
    let body = vec![b'x'; 4_000];
    server.enqueue(
        Reply::sse(body.clone())
            .chunking(Chunking::Fixed(4))
            .delay(Duration::from_millis(2)),
    );
    let stream = connect_and_send(&server, &get("/")).await;
    let log = server.wait_connection(0, WAIT).await;
    log.wait_written(20, WAIT).await;
    let dropped_at = Instant::now();
    drop(stream);
    let closed_at = log.wait_closed_by_client(WAIT).await.expect("close not observed");
    assert!(closed_at.saturating_duration_since(dropped_at) < CLOSE_BUDGET);
    let written = log.bytes_written();
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(log.bytes_written(), written, "kept writing after the client closed");
    assert!(written < body.len());
}

#[tokio::test]
async fn writes_stall_when_the_client_stops_reading_and_not_while_it_reads() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(Vec::new()).end(End::Endless(vec![b'x'; 1024])));
    let mut stream = connect_and_send(&server, &get("/")).await;
    let log = server.wait_connection(0, WAIT).await;
    // Read for a while: the writes go on, so they never stall for 200 ms within 1 s.
    let reading = async {
        let mut buffer = vec![0u8; 64 << 10];
        loop {
            if stream.read(&mut buffer).await.unwrap() == 0 {
                break;
            }
        }
    };
    let stalled = tokio::select! {
        stalled = log.wait_stalled(Duration::from_millis(200), Duration::from_secs(1)) => stalled,
        () = reading => panic!("the endless body ended"),
    };
    assert_eq!(stalled, None, "writes stalled while the client read");
    // Stop reading: the socket's buffers fill and the writes stop.
    let written = log
        .wait_stalled(Duration::from_millis(200), WAIT)
        .await
        .expect("the writes never stalled");
    assert_eq!(log.bytes_written(), written);
    drop(stream);
}

#[tokio::test]
async fn first_byte_delay_holds_back_the_status_line() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::json(200, "{}").first_byte_delay(Duration::from_millis(80)));
    let started = Instant::now();
    let mut stream = connect_and_send(&server, &get("/")).await;
    let mut byte = [0u8; 1];
    stream.read_exact(&mut byte).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(80));
    assert_eq!(&byte, b"H");
}

#[tokio::test]
async fn a_rendezvous_holds_every_reply_until_all_its_requests_arrived_on_any_server() {
    let servers = [FakeServer::start().await, FakeServer::start().await];
    let rendezvous = Rendezvous::new(2, WAIT);
    for (server, body) in servers.iter().zip(["data: a\n\n", "data: b\n\n"]) {
        server.enqueue(Reply::sse(body).meet(&rendezvous));
    }
    let mut first = connect_and_send(&servers[0], &get("/")).await;
    servers[0].wait_requests(1, WAIT).await;
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(200), first.read(&mut byte)).await;
    assert!(early.is_err(), "a reply went out before the other request came");
    assert_eq!(rendezvous.arrived(), 1);
    assert!(!rendezvous.all_arrived(Duration::ZERO).await);
    let (second_head, second) = fetch(&servers[1], "/").await;
    let (first_head, first) = split(&read_to_end(&mut first).await);
    assert!(first_head.starts_with("HTTP/1.1 200 ") && second_head.starts_with("HTTP/1.1 200 "));
    assert_eq!(dechunk(&first).0, b"data: a\n\n");
    assert_eq!(dechunk(&second).0, b"data: b\n\n");
    assert!(rendezvous.all_arrived(Duration::ZERO).await);
}

#[tokio::test]
async fn a_request_left_alone_at_a_rendezvous_gets_a_504_saying_so() {
    let server = FakeServer::start().await;
    let rendezvous = Rendezvous::new(2, Duration::from_millis(100));
    server.enqueue(Reply::sse("data: a\n\n").meet(&rendezvous));
    let (head, body) = fetch(&server, "/").await;
    assert!(head.starts_with("HTTP/1.1 504 "), "{head}");
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("1 of the 2 requests due at this rendezvous arrived within 100ms"),
        "{body}"
    );
}

#[tokio::test]
async fn routes_come_before_the_fifo_queue() {
    let server = FakeServer::start().await;
    server.route("/v1/models", Reply::json(200, r#"{"models":true}"#));
    server.enqueue(Reply::json(200, r#"{"n":1}"#));
    server.enqueue(Reply::json(429, r#"{"n":2}"#).header("retry-after", "1"));
    let (_, first) = fetch(&server, "/v1/chat").await;
    let (_, models) = fetch(&server, "/v1/models?limit=5").await;
    let (second_head, second) = fetch(&server, "/v1/chat").await;
    let (_, models_again) = fetch(&server, "/v1/models").await;
    let (empty_head, empty) = fetch(&server, "/v1/chat").await;
    assert_eq!(first, br#"{"n":1}"#);
    assert_eq!(models, br#"{"models":true}"#);
    assert_eq!(models_again, models);
    assert!(second_head.starts_with("HTTP/1.1 429 ") && second_head.contains("retry-after: 1\r\n"));
    assert_eq!(second, br#"{"n":2}"#);
    assert!(empty_head.starts_with("HTTP/1.1 500 "));
    assert_eq!(empty, br#"{"error":{"message":"no reply scripted","type":"testkit"}}"#);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/v1/chat", "/v1/models?limit=5", "/v1/chat", "/v1/models", "/v1/chat"]
    );
    assert_eq!(server.connection_count(), 5);
}

#[tokio::test]
async fn requests_are_recorded_with_headers_and_body() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse("data: [DONE]\n\n"));
    let body = r#"{"model":"gpt-4o-mini","stream":true}"#;
    let raw = format!(
        "POST /v1/chat/completions?beta=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Split the request across writes: the server must reassemble it.
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (a, b) = raw.as_bytes().split_at(40);
    stream.write_all(a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    stream.write_all(b).await.unwrap();
    read_to_end(&mut stream).await;
    let requests = server.wait_requests(1, WAIT).await;
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v1/chat/completions?beta=1");
    assert_eq!(req.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(req.header("CONTENT-TYPE"), Some("application/json"));
    assert!(req.headers.iter().all(|(name, _)| name == &name.to_lowercase()));
    assert_eq!(req.body, body.as_bytes());
    assert_eq!(req.json()["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn a_silent_client_does_not_block_others() {
    let server = FakeServer::start().await;
    let _silent = TcpStream::connect(server.addr()).await.unwrap();
    let _half = connect_and_send(&server, b"POST / HTTP/1.1\r\ncontent-length: 100\r\n\r\nab").await;
    server.enqueue(Reply::json(200, "{}"));
    let (head, _) = fetch(&server, "/").await;
    assert!(head.starts_with("HTTP/1.1 200 "));
    assert_eq!(server.wait_requests(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn client_closing_before_a_full_request_is_recorded() {
    let server = FakeServer::start().await;
    drop(connect_and_send(&server, b"GET / HT").await);
    let log = server.wait_connection(0, WAIT).await;
    assert!(log.wait_closed_by_client(WAIT).await.is_some());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn dropping_the_server_closes_hanging_connections() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse("data: x\n\n").end(End::Hang));
    let mut stream = connect_and_send(&server, &get("/")).await;
    server.wait_connection(0, WAIT).await.wait_written(9, WAIT).await;
    let addr = server.addr();
    drop(server);
    read_to_end(&mut stream).await;
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting after drop");
}
