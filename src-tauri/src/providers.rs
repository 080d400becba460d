//! The providers the app offers: the core's presets, endpoints from `RUNNEL_PROVIDERS_FILE`, and
//! custom endpoints the person added (kept in the database). For each: where its key comes from
//! (never the key), its models (live when fetched, else built in), and a ready [`Endpoint`].

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runnel_core::keys::{env_key, origin_of, resolve_key};
use runnel_core::presets::DEMO;
use runnel_core::provider::{Protocol, protocol};
use runnel_core::resolve::base_url_for;
use runnel_core::{ApiKey, Endpoint, Engine, KeyError, KeyStore, PRESETS, StoredKey, Timeouts, resolve};
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::models::{KeyState, ProviderModels, ProviderView};
use crate::store::{Store, StoredProvider};

/// Local servers looked for on their default ports.
const DETECTABLE: &[&str] = &["ollama", "lmstudio", "llamacpp"];
/// Remote presets always offered in the picker (others appear once they have a key).
const ALWAYS_OFFERED: &[&str] = &[DEMO, "openai", "anthropic"];

/// One provider the app can talk to.
#[derive(Clone)]
pub struct ProviderDef {
    /// Its id (a preset id, a file entry's id, or `custom-…`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its wire protocol.
    pub protocol: &'static dyn Protocol,
    /// Its base URL.
    pub base_url: String,
    /// Where it came from.
    pub origin: Origin,
    /// Runs on this machine.
    pub local: bool,
    /// Fails without a key.
    pub key_required: bool,
    /// The env var its key may come from.
    pub key_env: Option<&'static str>,
    /// Models offered when none were fetched.
    pub fallback_models: Vec<String>,
}

/// Where a provider definition came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A core preset.
    Preset,
    /// `RUNNEL_PROVIDERS_FILE`.
    File,
    /// Added in Settings.
    Custom,
}

impl ProviderDef {
    fn takes_key(&self) -> bool {
        match self.origin {
            Origin::Preset => runnel_core::preset(&self.id).is_some_and(|preset| preset.takes_key()),
            Origin::File | Origin::Custom => true,
        }
    }
}

/// An entry of `RUNNEL_PROVIDERS_FILE` (a JSON array of these).
#[derive(Debug, Clone, Deserialize)]
pub struct FileProvider {
    /// Its id, used in `provider/model`.
    pub id: String,
    /// Its name; the id when absent.
    pub name: Option<String>,
    /// `openai` (the default) or `anthropic`.
    #[serde(default = "default_protocol", deserialize_with = "known_protocol")]
    pub protocol: String,
    /// Its base URL (OpenAI-style includes `/v1`).
    pub base_url: String,
    /// Its models.
    #[serde(default)]
    pub models: Vec<String>,
    /// Whether it fails without a key.
    #[serde(default)]
    pub key_required: bool,
}

fn default_protocol() -> String {
    "openai".into()
}

/// A protocol id the core knows; anything else fails where it is written in the file.
fn known_protocol<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let id = String::deserialize(deserializer)?;
    match protocol(&id) {
        Some(_) => Ok(id),
        None => Err(serde::de::Error::custom(format!(
            "unknown protocol `{id}` (use \"openai\" or \"anthropic\")"
        ))),
    }
}

/// Why a providers file could not be used, and where in it (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ProvidersFileError {
    /// The line of the mistake, when the file could be read.
    pub line: Option<usize>,
    /// Its column.
    pub column: Option<usize>,
    /// What is wrong, without the position.
    pub reason: String,
}

/// The largest providers file read: a list of endpoints is a few KiB; a path to `/dev/zero` or a
/// log file must not fill memory.
pub const MAX_PROVIDERS_FILE: u64 = 1 << 20;

/// Reads a providers file (at most [`MAX_PROVIDERS_FILE`] bytes).
pub fn read_providers_file(path: &Path) -> Result<Vec<FileProvider>, ProvidersFileError> {
    let unreadable = |reason: String| ProvidersFileError {
        line: None,
        column: None,
        reason,
    };
    let file = std::fs::File::open(path).map_err(|error| unreadable(error.to_string()))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_PROVIDERS_FILE + 1), &mut bytes)
        .map_err(|error| unreadable(error.to_string()))?;
    if bytes.len() as u64 > MAX_PROVIDERS_FILE {
        return Err(unreadable(format!(
            "the file is larger than {} KiB; a providers file lists endpoints",
            MAX_PROVIDERS_FILE >> 10
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| unreadable("the file is not UTF-8 text".to_owned()))?;
    serde_json::from_str(&text).map_err(|error| {
        // serde_json ends its message with the position, which is reported apart.
        let position = format!(" at line {} column {}", error.line(), error.column());
        let message = error.to_string();
        ProvidersFileError {
            line: Some(error.line()),
            column: Some(error.column()),
            reason: message.strip_suffix(&position).unwrap_or(&message).to_owned(),
        }
    })
}

/// The app's providers, their key states and model lists.
pub struct Providers {
    keys: Arc<dyn KeyStore>,
    file: Vec<FileProvider>,
    live_models: Mutex<HashMap<String, Vec<String>>>,
    detected: Mutex<HashSet<String>>,
    key_states: Mutex<HashMap<String, KeyState>>,
}

impl Providers {
    /// Providers with keys in `keys` and extra endpoints from a providers file.
    pub fn new(keys: Arc<dyn KeyStore>, file: Vec<FileProvider>) -> Self {
        Self {
            keys,
            file,
            live_models: Mutex::default(),
            detected: Mutex::default(),
            key_states: Mutex::default(),
        }
    }

    /// Every provider: presets, then file entries, then custom endpoints.
    pub fn all(&self, store: &Store) -> AppResult<Vec<ProviderDef>> {
        let mut all = Vec::new();
        for preset in PRESETS.iter().filter(|preset| preset.id != "custom") {
            let base_url = base_url_for(preset, None).unwrap_or_else(|_| preset.base_url.to_owned());
            all.push(ProviderDef {
                id: preset.id.into(),
                name: preset.name.into(),
                protocol: protocol(preset.protocol).expect("presets name registered protocols"),
                base_url,
                origin: Origin::Preset,
                local: preset.local,
                key_required: preset.key_required,
                key_env: preset.key_env,
                fallback_models: preset.fallback_models.iter().map(|m| (*m).to_owned()).collect(),
            });
        }
        for entry in &self.file {
            all.push(ProviderDef {
                id: entry.id.clone(),
                name: entry.name.clone().unwrap_or_else(|| entry.id.clone()),
                protocol: protocol(&entry.protocol).expect("checked when the file was read"),
                base_url: entry.base_url.trim_end_matches('/').to_owned(),
                origin: Origin::File,
                local: false,
                key_required: entry.key_required,
                key_env: None,
                fallback_models: entry.models.clone(),
            });
        }
        for custom in store.custom_providers()? {
            let Some(protocol) = protocol(&custom.protocol) else {
                continue;
            };
            all.push(ProviderDef {
                id: custom.id,
                name: custom.name,
                protocol,
                base_url: custom.base_url,
                origin: Origin::Custom,
                local: false,
                key_required: false,
                key_env: None,
                fallback_models: Vec::new(),
            });
        }
        Ok(all)
    }

    /// One provider by id.
    pub fn get(&self, store: &Store, id: &str) -> AppResult<ProviderDef> {
        self.all(store)?
            .into_iter()
            .find(|def| def.id == id)
            .ok_or_else(|| AppError::NotFound(format!("no provider `{id}`")))
    }

    /// Where `def`'s key comes from. Blocking on first use (keychain); cached after.
    pub fn key_state(&self, def: &ProviderDef) -> KeyState {
        if def.key_env.is_some_and(|var| env_key(var).is_some()) {
            return KeyState::Env;
        }
        if !def.takes_key() {
            return KeyState::None;
        }
        if let Some(state) = self.key_states.lock().expect("key state lock").get(&def.id) {
            return *state;
        }
        let state = match self.keys.get(&def.id) {
            Ok(Some(_)) => KeyState::Keychain,
            Ok(None) => KeyState::None,
            Err(KeyError::Unavailable(_)) => KeyState::Unavailable,
            Err(_) => KeyState::None,
        };
        self.key_states
            .lock()
            .expect("key state lock")
            .insert(def.id.clone(), state);
        state
    }

    /// Forgets the cached key states, so the next look asks the keychain again (a key set from
    /// the CLI while the app runs then shows up).
    pub fn forget_key_states(&self) {
        self.key_states.lock().expect("key state lock").clear();
    }

    /// Stores `key` for `def`, bound to its origin (scheme, host, port). Blocking (keychain).
    pub fn set_key(&self, def: &ProviderDef, key: &str) -> AppResult<()> {
        let key = ApiKey::new(key);
        if key.is_empty() {
            return Err(AppError::InvalidInput("the key is empty".into()));
        }
        let origin =
            origin_of(&def.base_url).ok_or_else(|| AppError::Config(format!("`{}` has no host", def.base_url)))?;
        self.keys.set(&def.id, &StoredKey { key, origin })?;
        self.key_states
            .lock()
            .expect("key state lock")
            .insert(def.id.clone(), KeyState::Keychain);
        Ok(())
    }

    /// Deletes `def`'s stored key. Blocking (keychain).
    pub fn delete_key(&self, def: &ProviderDef) -> AppResult<()> {
        self.keys.delete(&def.id)?;
        self.key_states
            .lock()
            .expect("key state lock")
            .insert(def.id.clone(), KeyState::None);
        Ok(())
    }

    /// A ready endpoint for `def`. Blocking (keychain).
    pub fn endpoint(&self, def: &ProviderDef) -> AppResult<Endpoint> {
        if def.origin == Origin::Preset {
            return Ok(resolve(&def.id, None, self.keys.as_ref())?.0);
        }
        let key = match resolve_key(self.keys.as_ref(), &def.id, None, &def.base_url) {
            Ok(found) => found.map(|(key, _)| key),
            Err(KeyError::Unavailable(_)) if !def.key_required => None,
            Err(error) => return Err(error.into()),
        };
        if def.key_required && key.is_none() {
            return Err(AppError::Config(format!(
                "no API key for {}: add one in Settings",
                def.name
            )));
        }
        Ok(Endpoint::new(&def.id, def.protocol, &def.base_url, key))
    }

    /// `def`'s models: the live list when one was fetched, else the built-in one.
    pub fn models(&self, def: &ProviderDef) -> Vec<String> {
        self.live_models
            .lock()
            .expect("model cache lock")
            .get(&def.id)
            .cloned()
            .unwrap_or_else(|| def.fallback_models.clone())
    }

    /// Fetches `def`'s models live and remembers them. Blocking part: the keychain.
    pub async fn fetch_models(&self, engine: &Engine, def: &ProviderDef) -> AppResult<Vec<String>> {
        let endpoint = tokio::task::block_in_place(|| self.endpoint(def))?;
        let models: Vec<String> = engine
            .models(&endpoint)
            .await?
            .into_iter()
            .map(|model| model.id)
            .collect();
        self.live_models
            .lock()
            .expect("model cache lock")
            .insert(def.id.clone(), models.clone());
        Ok(models)
    }

    /// Looks for local servers on their default ports; returns the ids that answered.
    pub async fn detect_local(&self, store: &Store) -> AppResult<Vec<String>> {
        let engine = Engine::new(Timeouts {
            connect: Duration::from_millis(400),
            first_byte: Duration::from_millis(1500),
            idle: Duration::from_millis(1500),
        })?;
        let candidates: Vec<ProviderDef> = self
            .all(store)?
            .into_iter()
            .filter(|def| DETECTABLE.contains(&def.id.as_str()))
            .collect();
        let mut found = Vec::new();
        for def in candidates {
            let answered = self.fetch_models(&engine, &def).await.is_ok();
            let mut detected = self.detected.lock().expect("detected lock");
            if answered {
                detected.insert(def.id.clone());
                found.push(def.id);
            } else {
                detected.remove(&def.id);
            }
        }
        Ok(found)
    }

    /// Whether `def` belongs in the model picker.
    fn offered(&self, def: &ProviderDef, key: KeyState) -> bool {
        match def.origin {
            Origin::File | Origin::Custom => true,
            Origin::Preset if ALWAYS_OFFERED.contains(&def.id.as_str()) => true,
            Origin::Preset if def.local => self.detected.lock().expect("detected lock").contains(&def.id),
            Origin::Preset => key.is_set(),
        }
    }

    /// The model picker's groups. Blocking on first use (key states).
    pub fn catalog(&self, store: &Store) -> AppResult<Vec<ProviderModels>> {
        let all = self.all(store)?;
        Ok(all
            .iter()
            .filter(|def| self.offered(def, self.key_state(def)))
            .map(|def| self.group(def))
            .collect())
    }

    /// `def`'s group in the model picker: its models, and whether it can answer now.
    /// Blocking on first use (key state).
    pub fn group(&self, def: &ProviderDef) -> ProviderModels {
        let key = self.key_state(def);
        let available = !def.key_required || key.is_set();
        let hint = (!available).then(|| match (key, def.key_env) {
            (KeyState::Unavailable, Some(var)) => format!("The keychain is unavailable — set {var}"),
            _ => "Add an API key in Settings".to_owned(),
        });
        ProviderModels {
            provider: def.id.clone(),
            name: def.name.clone(),
            models: self.models(def),
            available,
            hint,
        }
    }

    /// The Settings row for `def`. Blocking on first use (key state).
    pub fn view(&self, def: &ProviderDef) -> ProviderView {
        ProviderView {
            id: def.id.clone(),
            name: def.name.clone(),
            protocol: def.protocol.id().to_owned(),
            base_url: def.base_url.clone(),
            custom: def.origin == Origin::Custom,
            local: def.local,
            takes_key: def.takes_key(),
            key_required: def.key_required,
            key: self.key_state(def),
            key_env: def.key_env.map(str::to_owned),
            models: self.models(def),
        }
    }

    /// True when some provider has a key.
    pub fn any_key(&self, store: &Store) -> AppResult<bool> {
        Ok(self.all(store)?.iter().any(|def| self.key_state(def).is_set()))
    }
}

/// A new custom provider's definition, validated, with an id that is not taken.
pub fn new_custom(store: &Store, name: &str, protocol_id: &str, base_url: &str) -> AppResult<StoredProvider> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::InvalidInput("give the endpoint a name".into()));
    }
    if protocol(protocol_id).is_none() {
        return Err(AppError::InvalidInput(format!("unknown protocol `{protocol_id}`")));
    }
    let base_url = base_url.trim().trim_end_matches('/');
    if !is_http_url(base_url) {
        return Err(AppError::InvalidInput(format!("`{base_url}` is not an http(s) URL")));
    }
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let taken: HashSet<String> = store.custom_providers()?.into_iter().map(|p| p.id).collect();
    let base = format!("custom-{}", if slug.is_empty() { "endpoint" } else { &slug });
    let id = (1..)
        .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
        .find(|id| !taken.contains(id))
        .expect("some id is free");
    Ok(StoredProvider {
        id,
        name: name.to_owned(),
        protocol: protocol_id.to_owned(),
        base_url: base_url.to_owned(),
    })
}

fn is_http_url(url: &str) -> bool {
    origin_of(url).is_some() && (url.starts_with("http://") || url.starts_with("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use runnel_core::MemoryStore;

    fn providers() -> (Providers, Store) {
        let file = vec![FileProvider {
            id: "fake".into(),
            name: Some("Fake".into()),
            protocol: "anthropic".into(),
            base_url: "http://127.0.0.1:9/".into(),
            models: vec!["m1".into()],
            key_required: false,
        }];
        (
            Providers::new(Arc::new(MemoryStore::default()), file),
            Store::in_memory().unwrap(),
        )
    }

    #[test]
    fn a_providers_file_past_its_limit_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.json");
        std::fs::write(&path, vec![b' '; MAX_PROVIDERS_FILE as usize + 1]).unwrap();
        let error = read_providers_file(&path).unwrap_err();
        assert!(error.reason.contains("larger than 1024 KiB"), "{error}");
        assert_eq!((error.line, error.column), (None, None));
        // `/dev/zero` never ends: the read stops at the limit.
        let error = read_providers_file(Path::new("/dev/zero")).unwrap_err();
        assert!(error.reason.contains("larger than"), "{error}");
        std::fs::write(&path, b"[]").unwrap();
        assert!(read_providers_file(&path).unwrap().is_empty());
    }

    #[test]
    fn the_catalog_offers_the_demo_openai_anthropic_and_file_providers() {
        let (providers, store) = providers();
        let catalog = providers.catalog(&store).unwrap();
        let ids: Vec<&str> = catalog.iter().map(|group| group.provider.as_str()).collect();
        assert!(ids.starts_with(&["demo"]), "{ids:?}");
        assert!(
            ids.contains(&"fake") && !ids.contains(&"ollama") && !ids.contains(&"groq"),
            "{ids:?}"
        );
        let demo = &catalog[0];
        assert!(demo.available && demo.models == ["runnel-demo"]);
        if std::env::var("OPENAI_API_KEY").is_err() {
            let openai = catalog.iter().find(|group| group.provider == "openai").unwrap();
            assert!(!openai.available);
            assert_eq!(openai.hint.as_deref(), Some("Add an API key in Settings"));
        }
    }

    #[test]
    fn keys_are_bound_to_the_providers_host_and_never_shown() {
        let (providers, store) = providers();
        let fake = providers.get(&store, "fake").unwrap();
        providers.set_key(&fake, "sk-secret-value").unwrap();
        let view = providers.view(&fake);
        assert_eq!(view.key, KeyState::Keychain);
        assert!(!serde_json::to_string(&view).unwrap().contains("sk-secret-value"));
        let endpoint = providers.endpoint(&fake).unwrap();
        assert_eq!(endpoint.key.unwrap().expose(), "sk-secret-value");
        assert_eq!(
            providers.keys.get("fake").unwrap().unwrap().origin,
            "http://127.0.0.1:9"
        );
        providers.delete_key(&fake).unwrap();
        assert_eq!(providers.view(&fake).key, KeyState::None);
    }

    #[test]
    fn custom_endpoints_get_free_ids_and_validated_urls() {
        let (_, store) = providers();
        let first = new_custom(&store, "My vLLM box", "openai", "http://10.0.0.5:8000/v1/").unwrap();
        assert_eq!(
            (first.id.as_str(), first.base_url.as_str()),
            ("custom-my-vllm-box", "http://10.0.0.5:8000/v1")
        );
        store.add_custom_provider(&first).unwrap();
        assert_eq!(
            new_custom(&store, "My vLLM box", "openai", "http://h/v1").unwrap().id,
            "custom-my-vllm-box-2"
        );
        assert!(new_custom(&store, "x", "gopher", "http://h").is_err());
        assert!(new_custom(&store, "x", "openai", "ftp://h").is_err());
        assert!(new_custom(&store, " ", "openai", "http://h").is_err());
    }
}
