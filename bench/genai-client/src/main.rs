//! Streams one answer with genai and prints its text to stdout as it arrives, the way the crate's
//! examples do: the baseline of `scripts/bench-cli`.
//!
//! Usage: `genai-client openai|anthropic BASE_URL` (the server's root; genai adds `v1/…`).

use std::io::Write;

use futures_util::StreamExt;
use genai::adapter::AdapterKind;
use genai::chat::{ChatMessage, ChatRequest, ChatStreamEvent};
use genai::resolver::{AuthData, Endpoint, ServiceTargetResolver};
use genai::{Client, ModelIden, ServiceTarget};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(protocol), Some(base_url)) = (args.next(), args.next()) else {
        return Err("usage: genai-client openai|anthropic BASE_URL".into());
    };
    let (kind, model) = match protocol.as_str() {
        "openai" => (AdapterKind::OpenAI, "gpt-4o-mini"),
        "anthropic" => (AdapterKind::Anthropic, "claude-sonnet-4-5"),
        other => return Err(format!("unknown protocol {other}").into()),
    };
    let endpoint = format!("{}/v1/", base_url.trim_end_matches('/'));
    let resolver = ServiceTargetResolver::from_resolver_fn(move |target: ServiceTarget| {
        Ok(ServiceTarget {
            endpoint: Endpoint::from_owned(endpoint.clone()),
            auth: AuthData::from_single("sk-bench"),
            model: ModelIden::new(kind, target.model.model_name),
        })
    });
    let client = Client::builder().with_service_target_resolver(resolver).build()?;
    let request = ChatRequest::new(vec![ChatMessage::user("hi")]);
    let mut response = client.exec_chat_stream(model, request, None).await?;
    let mut out = std::io::stdout().lock();
    while let Some(event) = response.stream.next().await {
        if let ChatStreamEvent::Chunk(chunk) = event? {
            out.write_all(chunk.content.as_bytes())?;
        }
    }
    writeln!(out)?;
    Ok(())
}
