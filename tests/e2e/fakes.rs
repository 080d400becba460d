//! The two fake providers the app is pointed at (through `RUNNEL_PROVIDERS_FILE`), and the
//! streams they play.

use runnel_testkit::FakeServer;
use serde_json::json;

/// The OpenAI-style endpoint's chat path.
pub const OPENAI_CHAT: &str = "/v1/chat/completions";
/// The Anthropic-style endpoint's messages path.
pub const ANTHROPIC_MESSAGES: &str = "/v1/messages";
/// The OpenAI-style model, as the app names it.
pub const GPT: &str = "fake-openai/gpt-fake";
/// The Anthropic-style model, as the app names it (its provider requires a key).
pub const CLAUDE: &str = "fake-anthropic/claude-fake";
/// The price of `GPT` in the providers file, in US dollars per million tokens: an answer of
/// [`openai_sse`] (9 prompt tokens) costs 9 × $3 + its deltas × $10 per million. Claude has none.
pub fn gpt_price() -> serde_json::Value {
    json!({ "input": 3, "output": 10 })
}
/// The built-in offline demo model.
pub const DEMO: &str = "demo/runnel-demo";
/// The text `openai_text.sse` streams.
pub const OPENAI_FIXTURE_TEXT: &str = "Hello! Café au lait, 日本語 and a crab 🦀.\nDone \"quoted\".";
/// The text `anthropic_text.sse` streams.
pub const ANTHROPIC_FIXTURE_TEXT: &str = "Bonjour ! Voilà du texte : 日本語, ünïcödé et 🦀 crabes.\nAu revoir.";

/// An OpenAI-style and an Anthropic-style fake provider on 127.0.0.1.
pub struct Fakes {
    /// Serves `fake-openai` (no key needed).
    pub openai: FakeServer,
    /// Serves `fake-anthropic` (a key is required).
    pub anthropic: FakeServer,
}

impl Fakes {
    /// Starts both servers (inside the tests' runtime).
    pub async fn start() -> Fakes {
        Fakes {
            openai: FakeServer::start().await,
            anthropic: FakeServer::start().await,
        }
    }

    /// The providers file that points the app at both.
    pub fn providers_file(&self) -> String {
        json!([
            {
                "id": "fake-openai", "name": "Fake OpenAI", "protocol": "openai",
                "base_url": format!("{}/v1", self.openai.url()), "models": ["gpt-fake"], "key_required": false,
                "prices_as_of": "2025-10-01", "prices": { "gpt-fake": gpt_price() }
            },
            {
                "id": "fake-anthropic", "name": "Fake Anthropic", "protocol": "anthropic",
                "base_url": self.anthropic.url(), "models": ["claude-fake"], "key_required": true
            }
        ])
        .to_string()
    }
}

/// An OpenAI Chat Completions stream whose answer is `deltas`, one event each, then a finish,
/// usage and `[DONE]`.
pub fn openai_sse(deltas: &[&str]) -> Vec<u8> {
    let chunk = |choices: serde_json::Value, usage: serde_json::Value| {
        let event = json!({
            "id": "chatcmpl-e2e", "object": "chat.completion.chunk", "created": 1_741_569_952,
            "model": "gpt-fake", "choices": choices, "usage": usage
        });
        format!("data: {event}\n\n")
    };
    let mut out = chunk(
        json!([{ "index": 0, "delta": { "role": "assistant", "content": "" }, "finish_reason": null }]),
        json!(null),
    );
    for delta in deltas {
        out += &chunk(
            json!([{ "index": 0, "delta": { "content": delta }, "finish_reason": null }]),
            json!(null),
        );
    }
    out += &chunk(
        json!([{ "index": 0, "delta": {}, "finish_reason": "stop" }]),
        json!(null),
    );
    out += &chunk(
        json!([]),
        json!({ "prompt_tokens": 9, "completion_tokens": deltas.len(), "total_tokens": 9 + deltas.len() }),
    );
    out += "data: [DONE]\n\n";
    out.into_bytes()
}
