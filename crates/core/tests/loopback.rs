//! Runnel's own loopback servers (`runnel replay`, the demo) through a real TCP client on
//! 127.0.0.1: they answer only requests addressed to a loopback name, so a web page that reaches
//! their port under a name of its own (DNS rebinding) reads nothing.

use std::net::SocketAddr;

use bytes::Bytes;
use runnel_core::replay::{Pace, ReplayServer};
use runnel_core::{RecordedChunk, Recording};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The recorded body: what a refused request must never see.
const BODY: &[u8] =
    b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"secret answer\"}}]}\n\ndata: [DONE]\n\n";

/// A replay of [`BODY`] on 127.0.0.1, served on a task.
async fn replay() -> SocketAddr {
    let mut recording = Recording::new("openai", Some("gpt-x".into()));
    recording.status = Some(200);
    recording.content_type = Some("text/event-stream".into());
    recording.chunks.push(RecordedChunk {
        at_ms: 0.0,
        bytes: Bytes::from_static(BODY),
    });
    let server = ReplayServer::bind(0, recording, Pace::Max).await.unwrap();
    let address = server.address();
    tokio::spawn(server.run());
    address
}

/// Sends `head` (and a `{}` body) on a new connection; returns the status and everything after
/// the response head.
async fn send(address: SocketAddr, head: &str) -> (u16, String) {
    let mut client = TcpStream::connect(address).await.unwrap();
    client
        .write_all(format!("{head}Content-Length: 2\r\n\r\n{{}}").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    client.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
    (status, body)
}

/// True when `body` (chunked or not) holds the recorded answer.
fn holds_the_answer(body: &str) -> bool {
    body.contains("secret answer")
}

#[tokio::test]
async fn a_replay_refuses_a_foreign_host_without_the_body() {
    let address = replay().await;
    for host in [
        "evil.example",
        "127.0.0.1.evil.example",
        "evil.example:8765",
        "localhost.evil.example",
    ] {
        let (status, body) = send(
            address,
            &format!("POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n"),
        )
        .await;
        assert_eq!(status, 421, "{host}: {body}");
        assert!(!holds_the_answer(&body), "{host}: {body}");
        assert!(
            body.contains("only requests for 127.0.0.1, localhost or [::1]"),
            "{host}: {body}"
        );
    }
    let (status, body) = send(address, "GET /v1/models HTTP/1.1\r\nHost: evil.example\r\n").await;
    assert_eq!(status, 421, "the model list too: {body}");
    assert!(!body.contains("gpt-x"), "{body}");
}

#[tokio::test]
async fn a_replay_refuses_an_http_1_1_request_without_exactly_one_host() {
    let address = replay().await;
    for head in [
        "POST /v1/chat/completions HTTP/1.1\r\n",
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n",
    ] {
        let (status, body) = send(address, head).await;
        assert_eq!(status, 400, "{head:?}: {body}");
        assert!(!holds_the_answer(&body), "{head:?}: {body}");
    }
    let (status, body) = send(address, "POST /v1/chat/completions HTTP/1.0\r\n").await;
    assert_eq!(status, 200, "HTTP/1.0 has no Host to send: {body}");
    assert!(holds_the_answer(&body), "{body}");
}

#[tokio::test]
async fn a_replay_answers_every_loopback_host_with_or_without_its_port() {
    let address = replay().await;
    let port = address.port();
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_owned(),
        format!("localhost:{port}"),
        "LOCALHOST".to_owned(),
        format!("[::1]:{port}"),
        "[::1]".to_owned(),
    ] {
        let (status, body) = send(
            address,
            &format!("POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n"),
        )
        .await;
        assert_eq!(status, 200, "{host}: {body}");
        assert!(holds_the_answer(&body), "{host}: {body}");
    }
}

#[tokio::test]
async fn the_demo_refuses_a_foreign_host_and_answers_its_own() {
    let base_url = runnel_core::demo::base_url().unwrap();
    let address: SocketAddr = base_url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .parse()
        .unwrap();
    let (status, body) = send(address, "GET /v1/models HTTP/1.1\r\nHost: evil.example\r\n").await;
    assert_eq!(status, 421, "{body}");
    assert!(!body.contains("runnel-demo"), "{body}");
    let (status, body) = send(address, &format!("GET /v1/models HTTP/1.1\r\nHost: {address}\r\n")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("runnel-demo"), "{body}");
}

#[tokio::test]
async fn a_replay_serves_a_recording_without_a_content_type_in_its_protocols_framing() {
    let body = runnel_testkit::fixture("ollama_text.ndjson");
    let mut recording = Recording::new("ollama", Some("llama3.2".into()));
    recording.status = Some(200);
    recording.chunks.push(RecordedChunk {
        at_ms: 0.0,
        bytes: Bytes::from(body),
    });
    let server = ReplayServer::bind(0, recording, Pace::Max).await.unwrap();
    let (address, base) = (server.address(), server.base_url());
    tokio::spawn(server.run());
    assert_eq!(
        base,
        format!("http://{address}"),
        "the protocol's base path is the root"
    );
    let mut client = TcpStream::connect(address).await.unwrap();
    client
        .write_all(b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let mut response = Vec::new();
    client.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("content-type: application/x-ndjson\r\n"),
        "{response}"
    );
    assert!(response.contains(r#""done_reason":"stop""#), "{response}");
    let (status, models) = send(address, "GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n").await;
    assert_eq!(status, 200, "{models}");
    let models: serde_json::Value = serde_json::from_str(&models).unwrap();
    assert_eq!(models["models"][0]["name"], "llama3.2");
}
