//! Which provider and model a command talks to: `-m provider/model`, `--provider`, `--model`,
//! `RUNNEL_MODEL`, else the first provider with a key (env var, then keychain), else the demo.

use std::sync::OnceLock;

use runnel_core::catalog::DEMO;
use runnel_core::keys::{KeySource, env_key};
use runnel_core::{Catalog, Endpoint, KeyStore, KeychainStore, ProviderDef, ResolveError};

use crate::failure::Failure;

/// A provider and model, as chosen on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The provider's id.
    pub provider: String,
    /// The model; the provider's default when `None`.
    pub model: Option<String>,
}

impl Choice {
    /// Parses `provider/model` or `provider` (a model id may itself hold `/`, as on OpenRouter).
    pub fn parse(text: &str) -> Choice {
        match text.split_once('/') {
            Some((provider, model)) if !model.is_empty() => Choice {
                provider: provider.to_owned(),
                model: Some(model.to_owned()),
            },
            Some((provider, _)) => Choice {
                provider: provider.to_owned(),
                model: None,
            },
            None => Choice {
                provider: text.to_owned(),
                model: None,
            },
        }
    }

    /// `provider/model` with the model filled in.
    pub fn label(&self) -> String {
        format!("{}/{}", self.provider, self.model())
    }

    /// The model, or the provider's default.
    pub fn model(&self) -> String {
        self.model
            .clone()
            .or_else(|| catalog().get(&self.provider).map(|def| def.default_model().to_owned()))
            .unwrap_or_default()
    }
}

/// The choice from the flags, `RUNNEL_MODEL`, or the first provider that has a key; the demo when
/// none has. Blocking (may read the keychain).
pub fn choose(model_flag: Option<&str>, provider_flag: Option<&str>, model_only: Option<&str>) -> Choice {
    let mut choice = match (model_flag, provider_flag) {
        (Some(both), _) => Choice::parse(both),
        (None, Some(provider)) => Choice {
            provider: provider.to_owned(),
            model: None,
        },
        (None, None) => match std::env::var("RUNNEL_MODEL").ok().filter(|value| !value.is_empty()) {
            Some(from_env) => Choice::parse(&from_env),
            None => Choice {
                provider: first_provider_with_key(),
                model: None,
            },
        },
    };
    if let Some(model) = model_only {
        choice.model = Some(model.to_owned());
    }
    choice
}

/// Every provider: the built-in ones, then those of `RUNNEL_PROVIDERS_FILE`. A file that cannot
/// be used is reported on stderr (once) and the built-in providers remain.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let (catalog, problem) = Catalog::from_env();
        if let Some(problem) = problem {
            let place = problem.line.map_or_else(String::new, |line| {
                format!(" (line {line}, column {})", problem.column.unwrap_or(1))
            });
            eprintln!("runnel: RUNNEL_PROVIDERS_FILE not used: {problem}{place}");
        }
        catalog
    })
}

/// The provider `id`, or a usage failure naming the ones that exist.
pub fn known(id: &str) -> Result<&'static ProviderDef, Failure> {
    catalog()
        .get(id)
        .ok_or_else(|| Failure::Usage(format!("unknown provider `{id}` (known: {})", catalog().ids())))
}

/// The OS keychain (under `RUNNEL_KEYCHAIN_SERVICE` when set).
pub fn keychain() -> KeychainStore {
    KeychainStore::from_env()
}

fn first_provider_with_key() -> String {
    let remote = || catalog().usable().filter(|def| def.key_required);
    if let Some(def) = remote().find(|def| def.key_env.as_deref().is_some_and(|var| env_key(var).is_some())) {
        return def.id.clone();
    }
    let keychain = keychain();
    remote()
        .find(|def| matches!(keychain.get(&def.id), Ok(Some(_))))
        .map_or_else(|| DEMO.to_owned(), |def| def.id.clone())
}

/// Makes the chosen provider ready (blocking: keychain), with a hint on how to add a missing key.
pub fn endpoint(choice: &Choice, base_url: Option<&str>) -> Result<(Endpoint, Option<KeySource>), Failure> {
    catalog()
        .resolve(&choice.provider, base_url, &keychain())
        .map_err(|error| match error {
            ResolveError::MissingKey { .. } => Failure::from(error).with_hint(&format!(
                ". Store one with `runnel keys set {}`, or use `-m demo` for the offline demo",
                choice.provider
            )),
            other => Failure::from(other),
        })
}

/// Like [`endpoint`], off the async runtime.
pub async fn endpoint_async(choice: &Choice, base_url: Option<&str>) -> Result<(Endpoint, Option<KeySource>), Failure> {
    let choice = choice.clone();
    let base_url = base_url.map(str::to_owned);
    tokio::task::spawn_blocking(move || endpoint(&choice, base_url.as_deref()))
        .await
        .map_err(|error| Failure::Error(format!("key lookup failed: {error}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_provider_and_model() {
        assert_eq!(
            Choice::parse("openai/gpt-4o"),
            Choice {
                provider: "openai".into(),
                model: Some("gpt-4o".into())
            }
        );
        assert_eq!(
            Choice::parse("openrouter/meta-llama/llama-3").model.as_deref(),
            Some("meta-llama/llama-3")
        );
        assert_eq!(Choice::parse("anthropic").label(), "anthropic/claude-sonnet-4-5");
        assert_eq!(Choice::parse("demo/").model(), "runnel-demo");
    }
}
