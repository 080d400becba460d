//! Stop over HTTP/2: the stream is reset (RST_STREAM, CANCEL) promptly, while the server streams
//! and while it is silent, and the connection itself stays usable. The server is a real `h2`
//! server on 127.0.0.1 (cleartext, prior knowledge).

use std::future::poll_fn;
use std::time::{Duration, Instant};

use bytes::Bytes;
use runnel_core::provider::protocol;
use runnel_core::{ChatRequest, Endpoint, Engine, Message, Outcome, StreamEvent, StreamOptions, Timeouts};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How soon the server must see a stopped stream's connection go. Generous, so a busy 2-core
/// machine passes; the stream it stops would run for minutes, so a Stop that did not close the
/// connection still fails. The real figure (tens of µs) is measured by `cargo bench` (PERFORMANCE.md).
const STOP_BUDGET: Duration = Duration::from_secs(1);

fn chunk(text: &str) -> Bytes {
    Bytes::from(format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n"
    ))
}

/// Serves every stream on one h2 connection: a first delta, then (when `keep_streaming`) a delta
/// every 5 ms, else silence; reports when and why each stream was reset.
async fn server(keep_streaming: bool) -> (String, mpsc::UnboundedReceiver<(Instant, h2::Reason)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (resets, reported) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut connection = h2::server::handshake(socket).await.unwrap();
        while let Some(Ok((_request, mut respond))) = connection.accept().await {
            let resets = resets.clone();
            tokio::spawn(async move {
                let head = http::Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(())
                    .unwrap();
                let mut body = respond.send_response(head, false).unwrap();
                body.send_data(chunk("first"), false).unwrap();
                loop {
                    tokio::select! {
                        reset = poll_fn(|cx| body.poll_reset(cx)) => {
                            let _ = resets.send((Instant::now(), reset.unwrap()));
                            return;
                        }
                        () = tokio::time::sleep(Duration::from_millis(5)), if keep_streaming => {
                            if body.send_data(chunk("more"), false).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    (url, reported)
}

fn engine() -> Engine {
    let http = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    Engine::with_client(http, Timeouts::default())
}

async fn stop_after_first_text(engine: &Engine, url: &str) -> Instant {
    let endpoint = Endpoint::new("h2", protocol("openai").unwrap(), url, None);
    let request = ChatRequest::new("m", vec![Message::user("hi")]);
    let mut stream = engine.stream(&endpoint, &request, StreamOptions::default());
    while let Some(event) = stream.next().await {
        if matches!(event, StreamEvent::TextDelta { .. }) {
            break;
        }
    }
    let stopped_at = Instant::now();
    stream.stop();
    let completion = stream.finish().await;
    assert_eq!(completion.outcome, Outcome::Stopped);
    assert!(completion.text.starts_with("first"));
    stopped_at
}

#[tokio::test]
async fn stop_resets_the_http2_stream_promptly_while_streaming_and_while_silent() {
    for keep_streaming in [true, false] {
        let (url, mut resets) = server(keep_streaming).await;
        let engine = engine();
        // Two streams on the same connection: the first stop must leave the connection usable.
        for _ in 0..2 {
            let stopped_at = stop_after_first_text(&engine, &url).await;
            let (reset_at, reason) = tokio::time::timeout(Duration::from_secs(2), resets.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(reason, h2::Reason::CANCEL);
            let delay = reset_at.duration_since(stopped_at);
            assert!(
                delay < STOP_BUDGET,
                "reset {delay:?} after stop (streaming: {keep_streaming})"
            );
        }
    }
}
