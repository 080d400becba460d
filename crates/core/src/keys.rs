//! API keys: the OS keychain (one entry per provider), with the official SDKs' env vars as a
//! fallback, and an in-memory store for tests.
//!
//! A key is an [`ApiKey`], whose `Debug` never shows it and which has no `Display`. A stored key
//! is bound to the origin (scheme, host and port) it was set for ([`StoredKey::origin`]):
//! [`resolve_key`] refuses to hand it to any other origin, so a key set for `https://` never goes
//! over plain `http://` to the same host. Records written before keys were bound to origins
//! named only a host; they are read as `https://` that host (its default port unless the record
//! named one), the one origin such a key can safely have meant. Keychain calls block (D-Bus, Keychain Services): call them off the async
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

/// A key as stored: the key and the origin it may be sent to.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key.
    pub key: ApiKey,
    /// The origin (`https://api.openai.com`, `http://127.0.0.1:8080`, as [`origin_of`] writes
    /// it) the key was set for.
    pub origin: String,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("key", &self.key)
            .field("origin", &self.origin)
            .finish()
    }
}

/// The keychain record: `{"origin", "key"}`; older records hold `{"host", "key"}`.
#[derive(Serialize, Deserialize)]
struct KeyRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    #[serde(default, skip_serializing)]
    host: Option<String>,
    key: String,
}

impl StoredKey {
    /// `key` bound to the origin of `url`; `None` when `url` is not an `http(s)://` URL with a
    /// host.
    pub fn for_url(key: ApiKey, url: &str) -> Option<Self> {
        Some(Self {
            key,
            origin: origin_of(url)?,
        })
    }

    fn to_secret(&self) -> String {
        serde_json::to_string(&KeyRecord {
            origin: Some(self.origin.clone()),
            host: None,
            key: self.key.expose().to_owned(),
        })
        .expect("a record of strings serializes")
    }

    fn from_secret(secret: &str) -> Result<Self, KeyError> {
        let record: KeyRecord = serde_json::from_str(secret).map_err(|_| KeyError::Corrupt)?;
        let origin = match (record.origin, record.host) {
            (Some(origin), _) => origin,
            // A host-only record: https, the only scheme such a key can safely have meant.
            (None, Some(host)) => origin_of(&format!("https://{host}")).ok_or(KeyError::Corrupt)?,
            (None, None) => return Err(KeyError::Corrupt),
        };
        Ok(Self {
            key: ApiKey::new(record.key),
            origin,
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
    /// The stored key was set for another origin (scheme, host, port) than the one the request
    /// goes to.
    #[error(
        "the stored {provider} key was set for {stored_origin}, not {requested_origin}; it is not sent elsewhere (set it again for {requested_origin} if that is right)"
    )]
    WrongOrigin {
        /// The provider whose key it is.
        provider: String,
        /// The origin the key was set for.
        stored_origin: String,
        /// The origin the request would go to.
        requested_origin: String,
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

/// The origin of an `http(s)://` URL (`scheme://host[:port]`, the port only when it is not the
/// scheme's default), for binding keys to origins; `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// The key in env var `var`, when it is set and not blank.
pub fn env_key(var: &str) -> Option<ApiKey> {
    std::env::var(var)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .map(ApiKey::new)
}

/// Finds the key for `provider` going to `base_url`: the env var `env_var` when it is set and not
/// empty (the keychain is then not touched), else the store's key if it was set for this origin.
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
    let requested_origin = origin_of(base_url).unwrap_or_default();
    if origin_of(&stored.origin).is_none_or(|origin| origin != requested_origin) {
        return Err(KeyError::WrongOrigin {
            provider: provider.to_owned(),
            stored_origin: stored.origin,
            requested_origin,
        });
    }
    Ok(Some((stored.key, KeySource::Keychain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(key: &str, url: &str) -> StoredKey {
        StoredKey::for_url(ApiKey::new(key), url).unwrap()
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = stored("sk-very-secret", "https://api.openai.com/v1");
        assert!(!format!("{key:?}").contains("very-secret"));
        assert!(!format!("{:?}", key.key.header_value("Bearer ").unwrap()).contains("very-secret"));
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::default();
        assert_eq!(store.get("openai").unwrap(), None);
        store
            .set("openai", &stored(" sk-1\n", "https://api.openai.com/v1"))
            .unwrap();
        let found = store.get("openai").unwrap().unwrap();
        assert_eq!(
            (found.key.expose(), found.origin.as_str()),
            ("sk-1", "https://api.openai.com")
        );
        assert!(store.delete("openai").unwrap());
        assert!(!store.delete("openai").unwrap());
        assert_eq!(store.set("openai", &stored("  ", "http://h")), Err(KeyError::Empty));
    }

    #[test]
    fn a_stored_key_goes_only_to_its_origin() {
        let store = MemoryStore::default();
        store.set("openai", &stored("sk-1", "https://api.openai.com")).unwrap();
        let (key, source) = resolve_key(&store, "openai", None, "https://api.openai.com:443/v1")
            .unwrap()
            .unwrap();
        assert_eq!((key.expose(), source), ("sk-1", KeySource::Keychain));
        for elsewhere in [
            "http://127.0.0.1:9/v1",
            "http://api.openai.com/v1",
            "https://api.openai.com:8443/v1",
        ] {
            let error = resolve_key(&store, "openai", None, elsewhere).unwrap_err();
            assert!(matches!(error, KeyError::WrongOrigin { .. }), "{elsewhere}");
            assert!(!error.to_string().contains("sk-1"));
        }
    }

    #[test]
    fn an_old_host_only_record_means_https_on_that_host() {
        let store = MemoryStore::default();
        store
            .keys
            .lock()
            .unwrap()
            .insert("vllm".into(), r#"{"host":"127.0.0.1:8000","key":"k"}"#.into());
        store
            .keys
            .lock()
            .unwrap()
            .insert("openai".into(), r#"{"host":"api.openai.com","key":"k"}"#.into());
        assert_eq!(store.get("openai").unwrap().unwrap().origin, "https://api.openai.com");
        assert!(resolve_key(&store, "openai", None, "https://api.openai.com/v1").is_ok());
        assert!(resolve_key(&store, "openai", None, "http://api.openai.com/v1").is_err());
        assert!(resolve_key(&store, "vllm", None, "https://127.0.0.1:8000/v1").is_ok());
        let error = resolve_key(&store, "vllm", None, "http://127.0.0.1:8000/v1").unwrap_err();
        assert!(matches!(error, KeyError::WrongOrigin { .. }), "{error}");
        // The new record names the origin only.
        store.set("vllm", &stored("k", "http://127.0.0.1:8000/v1")).unwrap();
        let record = store.keys.lock().unwrap()["vllm"].clone();
        assert_eq!(record, r#"{"origin":"http://127.0.0.1:8000","key":"k"}"#);
    }

    #[test]
    fn origins_keep_scheme_and_non_default_ports() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/v1").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("https://api.anthropic.com").as_deref(),
            Some("https://api.anthropic.com")
        );
        assert_eq!(
            origin_of("HTTPS://API.anthropic.com:443/").as_deref(),
            Some("https://api.anthropic.com")
        );
        assert_eq!(origin_of("ftp://x"), None);
    }
}
