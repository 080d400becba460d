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
    let base_url = base_url_for(def, base_url)?;
    let mut endpoint = Endpoint::new(&def.id, protocol_of(def)?, &base_url, None);
    endpoint.quirks = def.quirks;
    Ok(endpoint)
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
    let base_url = base_url_for(def, base_url)?;
    let found = if !def.takes_key() {
        None // the demo and keyless local servers: never touch the keychain for them
    } else {
        match resolve_key(store, &def.id, def.key_env.as_deref(), &base_url) {
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
    let mut endpoint = Endpoint::new(&def.id, protocol_of(def)?, &base_url, key);
    endpoint.quirks = def.quirks;
    Ok((endpoint, source))
}

fn missing_key_hint(def: &ProviderDef, keychain_down: Option<&str>) -> String {
    let keychain = match keychain_down {
        Some(reason) => format!("the OS keychain is not available here ({reason})"),
        None => "or store a key in the OS keychain".to_owned(),
    };
    match (&def.key_env, keychain_down) {
        (Some(var), Some(_)) => format!("set {var}; {keychain}"),
        (Some(var), None) => format!("set {var} {keychain}"),
        (None, _) => keychain,
    }
}

/// The base URL for `def`: the one given, else its env var, else its own (the demo's is its
/// in-process server).
pub fn base_url_for(def: &ProviderDef, explicit: Option<&str>) -> Result<String, ResolveError> {
    let from_env = def
        .base_url_env
        .as_deref()
        .and_then(|var| std::env::var(var).ok())
        .filter(|url| !url.trim().is_empty());
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
}
