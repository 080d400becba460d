//! API keys: the OS keychain (one entry per provider), with the official SDKs' env vars as a
//! fallback, and an in-memory store for tests.
//!
//! A key is an [`ApiKey`], whose `Debug` never shows it and which has no `Display`. A stored key
//! is bound to the host it was set for ([`StoredKey::host`]): [`resolve_key`] refuses to hand it
//! to any other host. Keychain calls block (D-Bus, Keychain Services): call them off the async
//! runtime ([`tokio::task::spawn_blocking`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};

/// The keychain service name under which Runnel keeps its keys.
pub const KEYCHAIN_SERVICE: &str = "runnel";

/// A secret API key. `Debug` prints `ApiKey(***)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key, trimming surrounding whitespace (a pasted newline is not part of it).
    pub fn new(key: impl Into<String>) -> Self {
        let key: String = key.into();
        Self(key.trim().to_owned())
    }

    /// The key itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the key is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `prefix + key` as a header value marked sensitive (never printed by `Debug`, kept out of
    /// HTTP/2 header compression tables); `None` if the key holds bytes a header cannot.
    pub fn header_value(&self, prefix: &str) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.0)).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// A key as stored: the key and the host it may be sent to.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key.
    pub key: ApiKey,
    /// The host (`api.openai.com`, `127.0.0.1:8080`) the key was set for.
    pub host: String,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("key", &self.key)
            .field("host", &self.host)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct KeyRecord {
    host: String,
    key: String,
}

impl StoredKey {
    fn to_secret(&self) -> String {
        serde_json::to_string(&KeyRecord {
            host: self.host.clone(),
            key: self.key.expose().to_owned(),
        })
        .expect("a record of two strings serializes")
    }

    fn from_secret(secret: &str) -> Result<Self, KeyError> {
        let record: KeyRecord = serde_json::from_str(secret).map_err(|_| KeyError::Corrupt)?;
        Ok(Self {
            key: ApiKey::new(record.key),
            host: record.host,
        })
    }
}

/// Why a key could not be stored, read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum KeyError {
    /// No keychain service can be reached (no Secret Service on D-Bus, a locked store, …).
    #[error("the OS keychain is not available: {0}")]
    Unavailable(String),
    /// The keychain answered with an error.
    #[error("the OS keychain failed: {0}")]
    Keychain(String),
    /// The stored entry is not one Runnel wrote.
    #[error("the keychain entry is not a Runnel key; delete it and set the key again")]
    Corrupt,
    /// The stored key was set for another host than the one the request goes to.
    #[error("the stored {provider} key was set for {stored_host}, not {requested_host}; it is not sent elsewhere")]
    WrongHost {
        /// The provider whose key it is.
        provider: String,
        /// The host the key was set for.
        stored_host: String,
        /// The host the request would go to.
        requested_host: String,
    },
    /// An empty key was given.
    #[error("the key is empty")]
    Empty,
}

/// Where keys are kept, one per provider id.
pub trait KeyStore: Send + Sync {
    /// The key stored for `provider`, if any.
    fn get(&self, provider: &str) -> Result<Option<StoredKey>, KeyError>;
    /// Stores (or replaces) the key for `provider`.
    fn set(&self, provider: &str, key: &StoredKey) -> Result<(), KeyError>;
    /// Deletes the key for `provider`; `Ok(false)` when there was none.
    fn delete(&self, provider: &str) -> Result<bool, KeyError>;
}

/// The OS keychain: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
#[derive(Debug, Clone)]
pub struct KeychainStore {
    service: String,
}

impl Default for KeychainStore {
    fn default() -> Self {
        Self::new(KEYCHAIN_SERVICE)
    }
}

impl KeychainStore {
    /// A store whose entries live under `service` in the OS keychain.
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    /// The store under `RUNNEL_KEYCHAIN_SERVICE` when it is set, else under [`KEYCHAIN_SERVICE`]:
    /// tests and separate profiles keep their keys apart this way.
    pub fn from_env() -> Self {
        match std::env::var("RUNNEL_KEYCHAIN_SERVICE") {
            Ok(service) if !service.trim().is_empty() => Self::new(service.trim()),
            _ => Self::default(),
        }
    }

    fn entry(&self, provider: &str) -> Result<keyring::Entry, KeyError> {
        keyring::Entry::new(&self.service, provider).map_err(keychain_error)
    }
}

fn keychain_error(error: keyring::Error) -> KeyError {
    match error {
        keyring::Error::NoDefaultStore | keyring::Error::NoStorageAccess(_) => KeyError::Unavailable(error.to_string()),
        other => KeyError::Keychain(other.to_string()),
    }
}

impl KeyStore for KeychainStore {
    fn get(&self, provider: &str) -> Result<Option<StoredKey>, KeyError> {
        match self.entry(provider)?.get_password() {
            Ok(secret) => StoredKey::from_secret(&secret).map(Some),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(keychain_error(error)),
        }
    }

    fn set(&self, provider: &str, key: &StoredKey) -> Result<(), KeyError> {
        if key.key.is_empty() {
            return Err(KeyError::Empty);
        }
        self.entry(provider)?
            .set_password(&key.to_secret())
            .map_err(keychain_error)
    }

    fn delete(&self, provider: &str) -> Result<bool, KeyError> {
        match self.entry(provider)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(error) => Err(keychain_error(error)),
        }
    }
}

/// Keys in memory, for tests and for a session that must not touch the keychain.
#[derive(Debug, Default)]
pub struct MemoryStore {
    keys: Mutex<HashMap<String, String>>,
}

impl KeyStore for MemoryStore {
    fn get(&self, provider: &str) -> Result<Option<StoredKey>, KeyError> {
        let keys = self.keys.lock().expect("key map lock");
        keys.get(provider)
            .map(|secret| StoredKey::from_secret(secret))
            .transpose()
    }

    fn set(&self, provider: &str, key: &StoredKey) -> Result<(), KeyError> {
        if key.key.is_empty() {
            return Err(KeyError::Empty);
        }
        self.keys
            .lock()
            .expect("key map lock")
            .insert(provider.to_owned(), key.to_secret());
        Ok(())
    }

    fn delete(&self, provider: &str) -> Result<bool, KeyError> {
        Ok(self.keys.lock().expect("key map lock").remove(provider).is_some())
    }
}

/// Where a resolved key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable, named.
    Env(String),
    /// The key store.
    Keychain,
}

/// The host part (`host[:port]`) of a URL, for binding keys to hosts.
pub fn host_of(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// The key in env var `var`, when it is set and not blank.
pub fn env_key(var: &str) -> Option<ApiKey> {
    std::env::var(var)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .map(ApiKey::new)
}

/// Finds the key for `provider` going to `base_url`: the env var `env_var` when it is set and not
/// empty (the keychain is then not touched), else the store's key if it was set for this host.
/// Blocking when it reaches the keychain.
pub fn resolve_key(
    store: &dyn KeyStore,
    provider: &str,
    env_var: Option<&str>,
    base_url: &str,
) -> Result<Option<(ApiKey, KeySource)>, KeyError> {
    if let Some(var) = env_var
        && let Some(key) = env_key(var)
    {
        return Ok(Some((key, KeySource::Env(var.to_owned()))));
    }
    let Some(stored) = store.get(provider)? else {
        return Ok(None);
    };
    let requested_host = host_of(base_url).unwrap_or_default();
    if stored.host != requested_host {
        return Err(KeyError::WrongHost {
            provider: provider.to_owned(),
            stored_host: stored.host,
            requested_host,
        });
    }
    Ok(Some((stored.key, KeySource::Keychain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(key: &str, host: &str) -> StoredKey {
        StoredKey {
            key: ApiKey::new(key),
            host: host.into(),
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = stored("sk-very-secret", "api.openai.com");
        assert!(!format!("{key:?}").contains("very-secret"));
        assert!(!format!("{:?}", key.key.header_value("Bearer ").unwrap()).contains("very-secret"));
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::default();
        assert_eq!(store.get("openai").unwrap(), None);
        store.set("openai", &stored(" sk-1\n", "api.openai.com")).unwrap();
        assert_eq!(store.get("openai").unwrap().unwrap().key.expose(), "sk-1");
        assert!(store.delete("openai").unwrap());
        assert!(!store.delete("openai").unwrap());
        assert_eq!(store.set("openai", &stored("  ", "h")), Err(KeyError::Empty));
    }

    #[test]
    fn a_stored_key_goes_only_to_its_host() {
        let store = MemoryStore::default();
        store.set("openai", &stored("sk-1", "api.openai.com")).unwrap();
        let (key, source) = resolve_key(&store, "openai", None, "https://api.openai.com/v1")
            .unwrap()
            .unwrap();
        assert_eq!((key.expose(), source), ("sk-1", KeySource::Keychain));
        let error = resolve_key(&store, "openai", None, "http://127.0.0.1:9/v1").unwrap_err();
        assert!(matches!(error, KeyError::WrongHost { .. }));
        assert!(!error.to_string().contains("sk-1"));
    }

    #[test]
    fn host_keeps_an_explicit_port() {
        assert_eq!(host_of("http://127.0.0.1:8080/v1").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(
            host_of("https://api.anthropic.com").as_deref(),
            Some("api.anthropic.com")
        );
    }
}
