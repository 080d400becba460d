//! From a provider definition (and an optional base URL) to an [`Endpoint`] ready to call: the
//! base URL (explicit, else the SDK's env var, else the definition's), and the key (env var, else
//! the keychain entry set for that origin).

use crate::catalog::{Catalog, DEMO, ProviderDef};
use crate::demo;
use crate::endpoint::Endpoint;
use crate::keys::{KeyError, KeySource, KeyStore, resolve_key};
use crate::provider::protocol;

/// Why a provider could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No provider has this id.
    #[error("unknown provider `{id}` (known: {known})")]
    UnknownProvider {
        /// The id asked for.
        id: String,
        /// The ids that exist, comma-separated.
        known: String,
    },
    /// The provider names a protocol Runnel does not speak.
    #[error("provider `{id}` speaks `{protocol}`, a protocol Runnel does not know")]
    UnknownProtocol {
        /// The provider's id.
        id: String,
        /// The protocol it names.
        protocol: String,
    },
    /// The provider has no default URL and none was given.
    #[error("provider `{0}` needs a base URL (--base-url)")]
    NoBaseUrl(String),
    /// The base URL is not a URL.
    #[error("`{0}` is not a valid base URL (expected http:// or https://…)")]
    BadBaseUrl(String),
    /// The provider needs a key and none was found.
    #[error("no API key for {name}: {hint}")]
    MissingKey {
        /// The provider's name.
        name: String,
        /// Where a key can come from.
        hint: String,
    },
    /// The keychain failed or refused the stored key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The built-in demo server could not start.
    #[error("the demo model could not start: {0}")]
    Demo(String),
}

impl Catalog {
    /// Makes provider `id` ready to call at `base_url` (or its own). Blocking: it may read the
    /// keychain. Returns where the key came from, if one was found.
    pub fn resolve(
        &self,
        id: &str,
        base_url: Option<&str>,
        store: &dyn KeyStore,
    ) -> Result<(Endpoint, Option<KeySource>), ResolveError> {
        let def = self.get(id).ok_or_else(|| ResolveError::UnknownProvider {
            id: id.to_owned(),
            known: self.ids(),
        })?;
        resolve_def(def, base_url, store)
    }
}

/// Makes built-in provider `id` ready to call (see [`Catalog::resolve`]).
pub fn resolve(
    id: &str,
    base_url: Option<&str>,
    store: &dyn KeyStore,
) -> Result<(Endpoint, Option<KeySource>), ResolveError> {
    Catalog::builtin().resolve(id, base_url, store)
}

/// Makes `def` ready to call at `base_url` (or its own) with no key at all: neither its env var
/// nor the keychain is read. For requests the person did not aim at this provider — detecting
/// local servers, listing every provider's models — which must never carry a key.
pub fn resolve_keyless(def: &ProviderDef, base_url: Option<&str>) -> Result<Endpoint, ResolveError> {
    let def = placed(def, base_url)?;
    let mut endpoint = Endpoint::new(&def.id, protocol_of(&def)?, &def.base_url, None);
    endpoint.quirks = def.quirks;
    Ok(endpoint)
}

/// `def` as it is called at `explicit` (or where its env var or its own base URL puts it): its
/// `base_url` is that URL ([`base_url_for`]), and off its own host it speaks its
/// `protocol_elsewhere` (OpenAI's Chat Completions at a compatible server behind
/// `OPENAI_BASE_URL`). Placing a placed definition changes nothing.
pub fn placed(def: &ProviderDef, explicit: Option<&str>) -> Result<ProviderDef, ResolveError> {
    let base_url = base_url_for(def, explicit)?;
    let moved = crate::keys::origin_of(&base_url) != crate::keys::origin_of(&def.base_url);
    let mut placed = match def.protocol_elsewhere.as_deref() {
        Some(elsewhere) if moved => def.speaking(elsewhere).ok_or_else(|| ResolveError::UnknownProtocol {
            id: def.id.clone(),
            protocol: elsewhere.to_owned(),
        })?,
        _ => def.clone(),
    };
    placed.base_url = base_url_for(&placed, explicit)?;
    // Still offered to a person's choice, no longer applied by itself.
    if let Some(elsewhere) = placed.protocol_elsewhere.take()
        && !placed.protocols.contains(&elsewhere)
    {
        placed.protocols.push(elsewhere);
    }
    Ok(placed)
}

fn protocol_of(def: &ProviderDef) -> Result<&'static dyn crate::provider::Protocol, ResolveError> {
    protocol(&def.protocol).ok_or_else(|| ResolveError::UnknownProtocol {
        id: def.id.clone(),
        protocol: def.protocol.clone(),
    })
}

/// Makes `def` ready to call at `base_url` (or its own). Blocking: it may read the keychain.
pub fn resolve_def(
    def: &ProviderDef,
    base_url: Option<&str>,
    store: &dyn KeyStore,
) -> Result<(Endpoint, Option<KeySource>), ResolveError> {
    let def = &placed(def, base_url)?;
    let base_url = &def.base_url;
    let found = if !def.takes_key() {
        None // the demo and keyless local servers: never touch the keychain for them
    } else {
        match resolve_key(store, &def.id, def.key_env_in_use(), base_url) {
            Ok(found) => found,
            // A machine without a keychain service can still use keyless (local) providers.
            Err(KeyError::Unavailable(_)) if !def.key_required => None,
            Err(KeyError::Unavailable(reason)) => {
                return Err(ResolveError::MissingKey {
                    name: def.name.clone(),
                    hint: missing_key_hint(def, Some(&reason)),
                });
            }
            Err(other) => return Err(other.into()),
        }
    };
    let (key, source) = match found {
        Some((key, source)) => (Some(key), Some(source)),
        None if def.key_required => {
            return Err(ResolveError::MissingKey {
                name: def.name.clone(),
                hint: missing_key_hint(def, None),
            });
        }
        None => (None, None),
    };
    let mut endpoint = Endpoint::new(&def.id, protocol_of(def)?, base_url, key);
    endpoint.quirks = def.quirks;
    Ok((endpoint, source))
}

fn missing_key_hint(def: &ProviderDef, keychain_down: Option<&str>) -> String {
    let keychain = match keychain_down {
        Some(reason) => format!("the OS keychain is not available here ({reason})"),
        None => "or store a key in the OS keychain".to_owned(),
    };
    let vars: Vec<&str> = def.key_env_vars().collect();
    match (vars.join(" or "), keychain_down) {
        (vars, _) if vars.is_empty() => keychain,
        (vars, Some(_)) => format!("set {vars}; {keychain}"),
        (vars, None) => format!("set {vars} {keychain}"),
    }
}

/// The base URL for `def`: the one given (as the SDKs of the protocol it speaks write it), else
/// its env var's (written for its own protocol's SDKs, moved to the one it speaks), else its own
/// (the demo's is its in-process server). An env var's URL without a scheme is `http://`, as
/// Ollama's `OLLAMA_HOST` is often written (`0.0.0.0:11434`).
pub fn base_url_for(def: &ProviderDef, explicit: Option<&str>) -> Result<String, ResolveError> {
    let from_env = def
        .base_url_env
        .as_deref()
        .and_then(|var| std::env::var(var).ok())
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .filter(|url| !url.is_empty())
        .map(|url| match url.contains("://") {
            true => url,
            false => format!("http://{url}"),
        })
        .map(
            |url| match (def.url_protocol.as_deref().and_then(protocol), protocol(&def.protocol)) {
                (Some(from), Some(to)) => crate::catalog::rebase(&url, from, to),
                _ => url,
            },
        );
    let url = match explicit.map(str::to_owned).or(from_env) {
        Some(url) => url,
        None if def.id == DEMO => demo::base_url().map_err(|error| ResolveError::Demo(error.to_string()))?,
        None if def.base_url.is_empty() => {
            return Err(ResolveError::NoBaseUrl(def.id.clone()));
        }
        None => def.base_url.clone(),
    };
    let url = url.trim().trim_end_matches('/').to_owned();
    match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() => Ok(url),
        _ => Err(ResolveError::BadBaseUrl(url)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::keys::{ApiKey, MemoryStore, StoredKey};

    #[test]
    fn a_local_server_needs_no_key_and_keeps_its_default_url() {
        let (endpoint, source) = resolve("llamacpp", None, &MemoryStore::default()).unwrap();
        assert_eq!(endpoint.base_url, "http://localhost:8080/v1");
        assert!(endpoint.key.is_none() && source.is_none());
    }

    #[test]
    fn an_explicit_base_url_wins_and_loses_its_trailing_slash() {
        let store = MemoryStore::default();
        let key = StoredKey::for_url(ApiKey::new("k"), "http://127.0.0.1:9").unwrap();
        store.set("anthropic", &key).unwrap();
        let (endpoint, source) = resolve("anthropic", Some("http://127.0.0.1:9/"), &store).unwrap();
        assert_eq!(endpoint.base_url, "http://127.0.0.1:9");
        assert_eq!(endpoint.protocol.id(), "anthropic");
        assert_eq!(source, Some(KeySource::Keychain));
    }

    #[test]
    fn a_keyless_endpoint_reads_neither_the_env_nor_the_keychain() {
        let store = MemoryStore::default();
        let key = StoredKey::for_url(ApiKey::new("stored"), "http://localhost:8000").unwrap();
        store.set("vllm", &key).unwrap();
        let vllm = Catalog::builtin().get("vllm").unwrap().clone();
        assert!(
            resolve_def(&vllm, None, &store).unwrap().0.key.is_some(),
            "named, it has its key"
        );
        let endpoint = resolve_keyless(&vllm, None).unwrap();
        assert!(endpoint.key.is_none());
        assert_eq!(endpoint.base_url, "http://localhost:8000/v1");
        let anthropic = Catalog::builtin().get("custom").unwrap().speaking("anthropic").unwrap();
        let endpoint = resolve_keyless(&anthropic, Some("http://h:1")).unwrap();
        assert_eq!(
            (endpoint.protocol.id(), endpoint.provider.as_str()),
            ("anthropic", "custom")
        );
    }

    #[test]
    fn unknown_providers_and_bad_urls_are_named() {
        let store = MemoryStore::default();
        let error = resolve("gopher", None, &store).unwrap_err().to_string();
        assert!(
            error.contains("unknown provider `gopher`") && error.contains("openai"),
            "{error}"
        );
        let error = resolve("custom", Some("ftp://x"), &store).unwrap_err().to_string();
        assert!(error.contains("not a valid base URL"), "{error}");
        assert!(matches!(
            resolve("custom", None, &store),
            Err(ResolveError::NoBaseUrl(_))
        ));
    }

    #[test]
    fn openai_speaks_responses_on_its_own_host_and_chat_completions_at_a_server_put_in_its_place() {
        let openai = Catalog::builtin().get("openai").unwrap().clone();
        let own = resolve_keyless(&openai, None).unwrap();
        assert_eq!(
            (own.protocol.id(), own.base_url.as_str()),
            ("openai-responses", "https://api.openai.com/v1")
        );
        let elsewhere = resolve_keyless(&openai, Some("http://127.0.0.1:9/v1")).unwrap();
        assert_eq!(elsewhere.protocol.id(), "openai", "a compatible server behind the URL");
        let chosen = openai.speaking("openai-responses").unwrap();
        let chosen = resolve_keyless(&chosen, Some("http://127.0.0.1:9/v1")).unwrap();
        assert_eq!(chosen.protocol.id(), "openai-responses", "a person's choice wins");
        assert!(openai.speaking("anthropic").is_none(), "not a protocol it offers");
        let twice = placed(&placed(&openai, Some("http://127.0.0.1:9/v1")).unwrap(), None).unwrap();
        assert_eq!(
            (twice.protocol.as_str(), twice.base_url.as_str()),
            ("openai", "http://127.0.0.1:9/v1"),
            "placing a placed definition changes nothing"
        );
        let own = placed(&openai, None).unwrap();
        assert_eq!(
            own.offered_protocols(),
            ["openai-responses", "openai"],
            "a placed definition still offers both"
        );
    }

    #[test]
    fn speaking_another_protocol_moves_the_base_url_by_the_protocols_base_paths() {
        let anthropic = protocol("anthropic").unwrap();
        let openai = protocol("openai").unwrap();
        assert_eq!(crate::catalog::rebase("http://h:1", anthropic, openai), "http://h:1/v1");
        assert_eq!(crate::catalog::rebase("http://h:1/v1", openai, anthropic), "http://h:1");
        assert_eq!(crate::catalog::rebase("http://h:1/v1", openai, openai), "http://h:1/v1");
        assert_eq!(crate::catalog::rebase("", anthropic, openai), "");
        let mut def = ProviderDef::new(crate::catalog::Origin::File, "box", "Box", "anthropic", "http://h:1");
        def.protocols = vec!["openai".into()];
        let speaking = def.speaking("openai").unwrap();
        assert_eq!(speaking.base_url, "http://h:1/v1");
        let back = speaking.speaking("anthropic").unwrap();
        assert_eq!(
            (back.base_url.as_str(), back.url_protocol.as_deref()),
            ("http://h:1", Some("anthropic"))
        );
        assert_eq!(def.offered_protocols(), ["anthropic", "openai"]);
    }
}
