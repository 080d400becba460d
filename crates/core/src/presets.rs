//! Providers as data: each preset names a protocol, a default base URL, where its key comes from
//! and a fallback model list. OpenAI-compatible vendors are one entry each here, not code.

use crate::provider::Quirks;

/// A known provider.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The id used on the command line and in settings (`openai`, `ollama`, …).
    pub id: &'static str,
    /// The name shown to people.
    pub name: &'static str,
    /// The wire protocol's id (see [`crate::provider::PROTOCOLS`]).
    pub protocol: &'static str,
    /// The default base URL, following the official SDKs (OpenAI's includes `/v1`, Anthropic's
    /// does not). Empty for the built-in demo, whose URL is its loopback server's.
    pub base_url: &'static str,
    /// The env var that overrides the base URL, as the official SDKs read it.
    pub base_url_env: Option<&'static str>,
    /// The env var that holds the key, as the official SDKs read it.
    pub key_env: Option<&'static str>,
    /// Whether requests fail without a key (local servers need none).
    pub key_required: bool,
    /// Whether the server runs on this machine by default (a local server to detect).
    pub local: bool,
    /// The model used when none is named.
    pub default_model: &'static str,
    /// Models offered when the provider's model list cannot be fetched.
    pub fallback_models: &'static [&'static str],
    /// How this server differs from others of its protocol.
    pub quirks: Quirks,
}

impl Preset {
    /// Whether a key can be set for this provider. The demo and the local servers that have no
    /// key variable (Ollama, LM Studio, llama.cpp) take none, so the keychain is never asked
    /// about them.
    pub fn takes_key(&self) -> bool {
        self.id != DEMO && !(self.local && self.key_env.is_none() && !self.key_required)
    }
}

const COMPATIBLE: Quirks = Quirks {
    max_tokens_field: "max_tokens",
    stream_usage: true,
};

/// The id of the built-in offline demo provider.
pub const DEMO: &str = "demo";

/// Every preset, in the order they are offered.
pub static PRESETS: &[Preset] = &[
    Preset {
        id: DEMO,
        name: "Demo (offline)",
        protocol: "openai",
        base_url: "",
        base_url_env: None,
        key_env: None,
        key_required: false,
        local: true,
        default_model: "runnel-demo",
        fallback_models: &["runnel-demo"],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "openai",
        name: "OpenAI",
        protocol: "openai",
        base_url: "https://api.openai.com/v1",
        base_url_env: Some("OPENAI_BASE_URL"),
        key_env: Some("OPENAI_API_KEY"),
        key_required: true,
        local: false,
        default_model: "gpt-4o-mini",
        fallback_models: &["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "o4-mini"],
        quirks: Quirks {
            max_tokens_field: "max_completion_tokens",
            stream_usage: true,
        },
    },
    Preset {
        id: "anthropic",
        name: "Anthropic",
        protocol: "anthropic",
        base_url: "https://api.anthropic.com",
        base_url_env: Some("ANTHROPIC_BASE_URL"),
        key_env: Some("ANTHROPIC_API_KEY"),
        key_required: true,
        local: false,
        default_model: "claude-sonnet-4-5",
        fallback_models: &["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "ollama",
        name: "Ollama",
        protocol: "openai",
        base_url: "http://localhost:11434/v1",
        base_url_env: Some("OLLAMA_BASE_URL"),
        key_env: None,
        key_required: false,
        local: true,
        default_model: "llama3.2",
        fallback_models: &["llama3.2", "qwen2.5", "mistral"],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "lmstudio",
        name: "LM Studio",
        protocol: "openai",
        base_url: "http://localhost:1234/v1",
        base_url_env: Some("LMSTUDIO_BASE_URL"),
        key_env: None,
        key_required: false,
        local: true,
        default_model: "local-model",
        fallback_models: &["local-model"],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "llamacpp",
        name: "llama.cpp server",
        protocol: "openai",
        base_url: "http://localhost:8080/v1",
        base_url_env: Some("LLAMACPP_BASE_URL"),
        key_env: None,
        key_required: false,
        local: true,
        default_model: "default",
        fallback_models: &["default"],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "vllm",
        name: "vLLM",
        protocol: "openai",
        base_url: "http://localhost:8000/v1",
        base_url_env: Some("VLLM_BASE_URL"),
        key_env: Some("VLLM_API_KEY"),
        key_required: false,
        local: true,
        default_model: "default",
        fallback_models: &["default"],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "openrouter",
        name: "OpenRouter",
        protocol: "openai",
        base_url: "https://openrouter.ai/api/v1",
        base_url_env: None,
        key_env: Some("OPENROUTER_API_KEY"),
        key_required: true,
        local: false,
        default_model: "openai/gpt-4o-mini",
        fallback_models: &[
            "openai/gpt-4o-mini",
            "anthropic/claude-sonnet-4.5",
            "meta-llama/llama-3.3-70b-instruct",
        ],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "groq",
        name: "Groq",
        protocol: "openai",
        base_url: "https://api.groq.com/openai/v1",
        base_url_env: None,
        key_env: Some("GROQ_API_KEY"),
        key_required: true,
        local: false,
        default_model: "llama-3.3-70b-versatile",
        fallback_models: &["llama-3.3-70b-versatile", "llama-3.1-8b-instant"],
        quirks: COMPATIBLE,
    },
    Preset {
        id: "custom",
        name: "OpenAI-compatible (custom)",
        protocol: "openai",
        base_url: "",
        base_url_env: None,
        key_env: None,
        key_required: false,
        local: false,
        default_model: "default",
        fallback_models: &[],
        quirks: COMPATIBLE,
    },
];

/// Looks up a preset by id.
pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_providers_that_can_use_a_key_take_one() {
        let takes: Vec<&str> = PRESETS
            .iter()
            .filter(|preset| preset.takes_key())
            .map(|preset| preset.id)
            .collect();
        assert_eq!(takes, ["openai", "anthropic", "vllm", "openrouter", "groq", "custom"]);
    }

    #[test]
    fn every_preset_names_a_registered_protocol_and_a_unique_id() {
        let mut ids = std::collections::HashSet::new();
        for preset in PRESETS {
            assert!(crate::provider::protocol(preset.protocol).is_some(), "{}", preset.id);
            assert!(ids.insert(preset.id), "duplicate {}", preset.id);
            assert!(!preset.base_url.ends_with('/'), "{}", preset.id);
        }
    }
}
