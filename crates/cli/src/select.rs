//! Which provider and model a command talks to, and where its key may go.
//!
//! A provider is named on the command line by `-m provider/model` or `--provider`; a named
//! provider given `--base-url` sends its own key there, as the official SDKs do. A `--base-url`
//! with no provider named is a custom endpoint (`custom`, speaking `--protocol`, OpenAI's by
//! default): it reads no env key, so a URL never receives a key of a provider the person did not
//! name on that command line (not even `RUNNEL_MODEL`'s). With neither, `RUNNEL_MODEL` names the
//! provider, else the first built-in provider with a key (env var, then keychain) answers, else
//! the demo: a providers-file entry is used only when named, so its env key goes out only then.

use std::sync::OnceLock;

use runnel_core::catalog::{CUSTOM, DEMO, Origin};
use runnel_core::keys::{KeySource, env_key};
use runnel_core::provider::{PROTOCOLS, protocol};
use runnel_core::{Catalog, Endpoint, KeyStore, KeychainStore, ProviderDef, ResolveError};

use crate::failure::Failure;

/// A provider and model, as chosen on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The provider's id.
    pub provider: String,
    /// The model; the provider's default when `None`.
    pub model: Option<String>,
    /// The protocol chosen for the provider (`--protocol`): one it offers, any for a [`CUSTOM`]
    /// endpoint; `None` for its default.
    pub protocol: Option<String>,
}

impl Choice {
    /// Parses `provider/model` or `provider` (a model id may itself hold `/`, as on OpenRouter).
    pub fn parse(text: &str) -> Choice {
        let (provider, model) = match text.split_once('/') {
            Some((provider, model)) => (provider, Some(model).filter(|model| !model.is_empty())),
            None => (text, None),
        };
        Choice {
            provider: provider.to_owned(),
            model: model.map(str::to_owned),
            protocol: None,
        }
    }

    /// `provider/model` with the model filled in.
    pub fn label(&self) -> String {
        format!("{}/{}", self.provider, self.model())
    }

    /// The model's price, as the catalog (built in, or the providers file) gives it.
    pub fn price(&self) -> Option<runnel_core::Price> {
        catalog().get(&self.provider)?.price(&self.model())
    }

    /// The model, or the provider's default.
    pub fn model(&self) -> String {
        self.model
            .clone()
            .or_else(|| catalog().get(&self.provider).map(|def| def.default_model().to_owned()))
            .unwrap_or_default()
    }
}

/// What the command line says about where requests go.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    /// `-m provider/model`.
    pub model_id: Option<&'a str>,
    /// `--provider`.
    pub provider: Option<&'a str>,
    /// `--model`.
    pub model: Option<&'a str>,
    /// `--base-url`.
    pub base_url: Option<&'a str>,
    /// `--protocol`.
    pub protocol: Option<&'a str>,
}

/// The choice from the flags, else `RUNNEL_MODEL`, else the first built-in provider that has a
/// key; the demo when none has. Blocking (may read the keychain).
pub fn choose(flags: Flags<'_>) -> Result<Choice, Failure> {
    let named = match (flags.model_id, flags.provider) {
        (Some(both), _) => Some(Choice::parse(both)),
        (None, Some(provider)) => Some(Choice::parse(provider)),
        (None, None) => None,
    };
    let mut choice = match (named, flags.base_url) {
        (Some(named), _) => named,
        // A URL alone: a custom endpoint, never the first provider that has a key.
        (None, Some(_)) => Choice::parse(CUSTOM),
        (None, None) => match std::env::var("RUNNEL_MODEL").ok().filter(|value| !value.is_empty()) {
            Some(from_env) => Choice::parse(&from_env),
            None => Choice::parse(&first_builtin_with_key()),
        },
    };
    if let Some(model) = flags.model {
        choice.model = Some(model.to_owned());
    }
    choice.protocol = chosen_protocol(&choice, flags)?;
    Ok(choice)
}

/// `--protocol`, checked: what a custom endpoint given by `--base-url` speaks, or which of its
/// protocols a named provider speaks (Ollama's own or its OpenAI-compatible endpoint).
pub fn chosen_protocol(choice: &Choice, flags: Flags<'_>) -> Result<Option<String>, Failure> {
    let Some(protocol) = flags.protocol else {
        return Ok(None);
    };
    if choice.provider == CUSTOM && flags.base_url.is_none() {
        return Err(Failure::Usage("--protocol goes with --base-url".to_owned()));
    }
    let offered = known(&choice.provider)?.offered_protocols();
    if !offered.iter().any(|id| id == protocol) {
        return Err(Failure::Usage(format!(
            "`{}` speaks {}, not `{protocol}`",
            choice.provider,
            offered.join(" or ")
        )));
    }
    Ok(Some(protocol.to_owned()))
}

/// `--protocol`'s help: `what` it sets, then the protocols it may name, the one a custom endpoint
/// speaks when none is given first (from the core's registry and built-in catalog, so the help
/// names every protocol the core speaks, a new one too).
pub fn protocol_help(what: &str) -> String {
    let builtin = Catalog::builtin();
    let default = builtin.get(CUSTOM).map(|def| def.protocol.as_str());
    let mut ids: Vec<String> = PROTOCOLS.iter().map(|protocol| protocol.id().to_owned()).collect();
    ids.sort_by_key(|id| Some(id.as_str()) != default);
    if let Some(first) = ids.first_mut().filter(|id| Some(id.as_str()) == default) {
        first.push_str(" (the default)");
    }
    let last = ids.pop().unwrap_or_default();
    match ids.is_empty() {
        true => format!("{what}: {last}"),
        false => format!("{what}: {} or {last}", ids.join(", ")),
    }
}

/// Parses `--protocol`: a protocol the core speaks.
pub fn protocol_id(text: &str) -> Result<String, String> {
    if protocol(text).is_some() {
        return Ok(text.to_owned());
    }
    let known: Vec<&str> = PROTOCOLS.iter().map(|protocol| protocol.id()).collect();
    Err(format!("unknown protocol `{text}` (known: {})", known.join(", ")))
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
        for problem in catalog.price_problems() {
            eprintln!("runnel: RUNNEL_PROVIDERS_FILE: left out {problem}");
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

/// The first built-in provider needing a key that has one (its env var, then the keychain).
/// Only built-in providers: a providers-file entry may name any env var (and any URL), so it is
/// used only when named.
fn first_builtin_with_key() -> String {
    let remote = || {
        catalog()
            .usable()
            .filter(|def| def.key_required && def.origin == Origin::Builtin)
    };
    if let Some(def) = remote().find(|def| def.key_env_in_use().is_some_and(|var| env_key(var).is_some())) {
        return def.id.clone();
    }
    let keychain = keychain();
    remote()
        .find(|def| matches!(keychain.get(&def.id), Ok(Some(_))))
        .map_or_else(|| DEMO.to_owned(), |def| def.id.clone())
}

/// The definition `choice` names, speaking its `--protocol` when it has one.
fn definition(choice: &Choice) -> Result<ProviderDef, Failure> {
    let def = known(&choice.provider)?;
    match &choice.protocol {
        Some(protocol) => def
            .speaking(protocol)
            .ok_or_else(|| Failure::Usage(format!("`{}` does not speak `{protocol}`", def.id))),
        None => Ok(def.clone()),
    }
}

/// Makes the chosen provider ready (blocking: keychain), with a hint on how to add a missing key.
pub fn endpoint(choice: &Choice, base_url: Option<&str>) -> Result<(Endpoint, Option<KeySource>), Failure> {
    let def = definition(choice)?;
    runnel_core::resolve_def(&def, base_url, &keychain()).map_err(|error| match error {
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
    fn the_protocol_help_names_every_registered_protocol_the_default_first() {
        let help = protocol_help("Speaks");
        assert!(help.starts_with("Speaks: openai (the default)"), "{help}");
        for registered in PROTOCOLS {
            assert!(help.contains(registered.id()), "{help}");
        }
    }

    #[test]
    fn parses_provider_and_model() {
        assert_eq!(
            Choice::parse("openai/gpt-4o"),
            Choice {
                provider: "openai".into(),
                model: Some("gpt-4o".into()),
                protocol: None,
            }
        );
        assert_eq!(
            Choice::parse("openrouter/meta-llama/llama-3").model.as_deref(),
            Some("meta-llama/llama-3")
        );
        assert_eq!(Choice::parse("anthropic").label(), "anthropic/claude-sonnet-4-5");
        assert_eq!(Choice::parse("demo/").model(), "runnel-demo");
    }

    #[test]
    fn a_base_url_alone_is_a_custom_endpoint_and_protocol_picks_one_the_provider_offers() {
        let url = Some("http://127.0.0.1:9/v1");
        let choice = choose(Flags {
            base_url: url,
            protocol: Some("anthropic"),
            model: Some("m"),
            ..Flags::default()
        })
        .unwrap();
        assert_eq!(
            (
                choice.provider.as_str(),
                choice.model.as_deref(),
                choice.protocol.as_deref()
            ),
            ("custom", Some("m"), Some("anthropic"))
        );
        let named = choose(Flags {
            model_id: Some("openai/gpt-4o"),
            base_url: url,
            ..Flags::default()
        })
        .unwrap();
        assert_eq!(
            named.provider, "openai",
            "a named provider keeps its name with a base URL"
        );
        for flags in [
            Flags {
                model_id: Some("openai/gpt-4o"),
                base_url: url,
                protocol: Some("anthropic"),
                ..Flags::default()
            },
            Flags {
                provider: Some("custom"),
                protocol: Some("anthropic"),
                ..Flags::default()
            },
        ] {
            assert!(matches!(choose(flags), Err(Failure::Usage(_))), "{flags:?}");
        }
        let chosen = choose(Flags {
            provider: Some("openai"),
            protocol: Some("openai"),
            ..Flags::default()
        })
        .unwrap();
        assert_eq!(
            chosen.protocol.as_deref(),
            Some("openai"),
            "one of the protocols it offers"
        );
        assert!(protocol_id("anthropic").is_ok());
        assert!(protocol_id("gopher").unwrap_err().contains("known: openai, anthropic"));
    }
}
