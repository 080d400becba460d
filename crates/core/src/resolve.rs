//! From a provider id (and an optional base URL) to an [`Endpoint`] ready to call: the preset,
//! the base URL (explicit, else the SDK's env var, else the default), and the key (env var, else
//! the keychain entry set for that origin).

use crate::demo;
use crate::engine::Endpoint;
use crate::keys::{KeyError, KeySource, KeyStore, resolve_key};
use crate::presets::{DEMO, PRESETS, Preset, preset};
use crate::provider::protocol;

/// Why a provider could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No preset has this id.
    #[error("unknown provider `{id}` (known: {known})")]
    UnknownProvider {
        /// The id asked for.
        id: String,
        /// The ids that exist, comma-separated.
        known: String,
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

/// Makes `provider_id` ready to call at `base_url` (or its default). Blocking: it may read the
/// keychain. Returns where the key came from, if one was found.
pub fn resolve(
    provider_id: &str,
    base_url: Option<&str>,
    store: &dyn KeyStore,
) -> Result<(Endpoint, Option<KeySource>), ResolveError> {
    let preset = preset(provider_id).ok_or_else(|| ResolveError::UnknownProvider {
        id: provider_id.to_owned(),
        known: PRESETS.iter().map(|preset| preset.id).collect::<Vec<_>>().join(", "),
    })?;
    let base_url = base_url_for(preset, base_url)?;
    let found = if !preset.takes_key() {
        None // the demo and keyless local servers: never touch the keychain for them
    } else {
        match resolve_key(store, preset.id, preset.key_env, &base_url) {
            Ok(found) => found,
            // A machine without a keychain service can still use keyless (local) providers.
            Err(KeyError::Unavailable(_)) if !preset.key_required => None,
            Err(KeyError::Unavailable(reason)) => {
                return Err(ResolveError::MissingKey {
                    name: preset.name.to_owned(),
                    hint: missing_key_hint(preset, Some(&reason)),
                });
            }
            Err(other) => return Err(other.into()),
        }
    };
    let (key, source) = match found {
        Some((key, source)) => (Some(key), Some(source)),
        None if preset.key_required => {
            return Err(ResolveError::MissingKey {
                name: preset.name.to_owned(),
                hint: missing_key_hint(preset, None),
            });
        }
        None => (None, None),
    };
    let protocol = protocol(preset.protocol).expect("presets name registered protocols");
    let mut endpoint = Endpoint::new(preset.id, protocol, &base_url, key);
    endpoint.quirks = preset.quirks;
    Ok((endpoint, source))
}

fn missing_key_hint(preset: &Preset, keychain_down: Option<&str>) -> String {
    let keychain = match keychain_down {
        Some(reason) => format!("the OS keychain is not available here ({reason})"),
        None => "or store a key in the OS keychain".to_owned(),
    };
    match (preset.key_env, keychain_down) {
        (Some(var), Some(_)) => format!("set {var}; {keychain}"),
        (Some(var), None) => format!("set {var} {keychain}"),
        (None, _) => keychain,
    }
}

/// The base URL for `preset`: the one given, else its env var, else its default (the demo's is
/// its in-process server).
pub fn base_url_for(preset: &Preset, explicit: Option<&str>) -> Result<String, ResolveError> {
    let from_env = preset
        .base_url_env
        .and_then(|var| std::env::var(var).ok())
        .filter(|url| !url.trim().is_empty());
    let url = match explicit.map(str::to_owned).or(from_env) {
        Some(url) => url,
        None if preset.id == DEMO => demo::base_url().map_err(|error| ResolveError::Demo(error.to_string()))?,
        None if preset.base_url.is_empty() => {
            return Err(ResolveError::NoBaseUrl(preset.id.to_owned()));
        }
        None => preset.base_url.to_owned(),
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
