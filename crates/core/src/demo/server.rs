//! The demo's HTTP/1.1 server: `POST /v1/chat/completions` (streaming only) and
//! `GET /v1/models`, one request per connection (`crate::loopback`: loopback `Host`s only, 10 s to
//! send it), chunked SSE at a typing pace.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use super::{DEMO_MODEL, answer_for};
use crate::loopback::{end_chunked, error_body, read_request, write_chunk, write_chunked_head, write_json};

/// The pause before the first token, like a real model's time to first token.
const FIRST_TOKEN_DELAY: Duration = Duration::from_millis(120);
/// The pause between tokens (about 70 tokens/s).
const TOKEN_DELAY: Duration = Duration::from_millis(14);

/// Binds 127.0.0.1:0 and serves on a thread of its own; returns the bound address.
pub fn spawn() -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("runnel-demo".into()).spawn(move || {
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("a bound std listener converts");
            loop {
                if let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve(socket));
                }
            }
        });
    })?;
    Ok(address)
}

async fn serve(mut socket: TcpStream) {
    let _ = socket.set_nodelay(true);
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let _ = match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/chat/completions") => chat(&mut socket, &request.body).await,
        ("GET", "/v1/models") => {
            let models = json!({ "object": "list", "data": [{ "id": DEMO_MODEL, "object": "model", "created": 0, "owned_by": "runnel" }] });
            write_json(&mut socket, 200, &models).await
        }
        _ => {
            write_json(
                &mut socket,
                404,
                &error_body("not_found_error", "the demo serves /v1/chat/completions and /v1/models"),
            )
            .await
        }
    };
}

async fn chat(socket: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return write_json(
            socket,
            400,
            &error_body("invalid_request_error", "the request body is not JSON"),
        )
        .await;
    };
    if request["stream"] != json!(true) {
        return write_json(
            socket,
            400,
            &error_body("invalid_request_error", "the demo model only streams (stream: true)"),
        )
        .await;
    }
    let messages: Vec<(String, String)> = request["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|m| {
                    (
                        m["role"].as_str().unwrap_or("").to_owned(),
                        m["content"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let max_tokens = request["max_completion_tokens"]
        .as_u64()
        .or(request["max_tokens"].as_u64())
        .unwrap_or(u64::MAX);
    let include_usage = request["stream_options"]["include_usage"] == json!(true);
    let answer = answer_for(&messages);
    let prompt_tokens = messages
        .iter()
        .map(|(_, content)| content.split_whitespace().count() as u64 + 4)
        .sum::<u64>();

    write_chunked_head(socket, 200, Some("text/event-stream")).await?;
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let id = format!("chatcmpl-demo-{created}");
    let chunk = |delta: Value, finish: Value| {
        let chunk = json!({ "id": id, "object": "chat.completion.chunk", "created": created, "model": DEMO_MODEL,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] });
        format!("data: {chunk}\n\n")
    };
    write_chunk(
        socket,
        chunk(json!({ "role": "assistant", "content": "" }), Value::Null).as_bytes(),
    )
    .await?;
    tokio::time::sleep(FIRST_TOKEN_DELAY).await;
    let mut sent = 0u64;
    let mut finish = "stop";
    for piece in tokens(&answer) {
        if sent == max_tokens {
            finish = "length";
            break;
        }
        write_chunk(socket, chunk(json!({ "content": piece }), Value::Null).as_bytes()).await?;
        sent += 1;
        tokio::time::sleep(TOKEN_DELAY).await;
    }
    write_chunk(socket, chunk(json!({}), json!(finish)).as_bytes()).await?;
    if include_usage {
        let usage = json!({ "id": id, "object": "chat.completion.chunk", "created": created, "model": DEMO_MODEL, "choices": [],
            "usage": { "prompt_tokens": prompt_tokens, "completion_tokens": sent, "total_tokens": prompt_tokens + sent } });
        write_chunk(socket, format!("data: {usage}\n\n").as_bytes()).await?;
    }
    write_chunk(socket, b"data: [DONE]\n\n").await?;
    end_chunked(socket).await
}

/// Splits text into token-sized pieces: each word with the whitespace before it.
fn tokens(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (index, character) in text.char_indices() {
        let is_space = character.is_whitespace();
        if in_word && is_space {
            pieces.push(&text[start..index]);
            start = index;
        }
        in_word = !is_space;
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::tokens;

    #[test]
    fn tokens_rejoin_to_the_text() {
        let text = "Hello, world!\n\n```rust\nfn main() {}\n```\n";
        assert_eq!(tokens(text).concat(), text);
        assert_eq!(tokens("a b"), ["a", " b"]);
    }
}
