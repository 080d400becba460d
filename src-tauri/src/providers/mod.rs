//! The providers the app offers: the core's [`Catalog`] (built-in providers and the providers
//! file) and the custom endpoints the person added (kept in the database), all as
//! [`ProviderDef`]s. For each: where its key comes from (never the key), its models (live when
//! fetched, else its own list), whether the picker offers it, and a ready endpoint.

mod custom;
mod keys;
mod models;
mod views;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use runnel_core::resolve::placed;
use runnel_core::{Catalog, KeyStore, ProviderDef};

pub use custom::new_custom;

use crate::error::{AppError, AppResult};
use crate::ipc_types::KeyState;
use crate::store::Store;

/// The app's providers, their key states and model lists.
pub struct Providers {
    keys: Arc<dyn KeyStore>,
    catalog: Catalog,
    live_models: Mutex<HashMap<String, Vec<String>>>,
    detected: Mutex<HashSet<String>>,
    key_states: Mutex<HashMap<String, KeyState>>,
}

impl Providers {
    /// Providers with keys in `keys`: those of `catalog`, then the custom endpoints.
    pub fn new(keys: Arc<dyn KeyStore>, catalog: Catalog) -> Self {
        Self {
            keys,
            catalog,
            live_models: Mutex::default(),
            detected: Mutex::default(),
            key_states: Mutex::default(),
        }
    }

    /// Every usable provider: the catalog's (templates such as `custom` left out), then custom
    /// endpoints.
    pub fn all(&self, store: &Store) -> AppResult<Vec<ProviderDef>> {
        let mut all: Vec<ProviderDef> = self
            .catalog
            .usable()
            // Where requests go now (an SDK env var moves it, the demo's is its own server) and
            // the protocol spoken there.
            .map(|def| placed(def, None).unwrap_or_else(|_| def.clone()))
            .collect();
        all.extend(store.custom_providers()?);
        Ok(all)
    }

    /// One provider by id.
    pub fn get(&self, store: &Store, id: &str) -> AppResult<ProviderDef> {
        self.all(store)?
            .into_iter()
            .find(|def| def.id == id)
            .ok_or_else(|| AppError::NotFound(format!("no provider `{id}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runnel_core::MemoryStore;
    use runnel_core::catalog::Origin;

    fn providers() -> (Providers, Store) {
        let mut catalog = Catalog::builtin();
        let fake = ProviderDef {
            models: vec!["m1".into()],
            ..ProviderDef::new(Origin::File, "fake", "Fake", "anthropic", "http://127.0.0.1:9")
        };
        catalog.extend(vec![fake]).unwrap();
        (
            Providers::new(Arc::new(MemoryStore::default()), catalog),
            Store::in_memory().unwrap(),
        )
    }

    #[test]
    fn the_catalog_offers_the_featured_and_file_providers_and_no_template() {
        let (providers, store) = providers();
        let catalog = providers.catalog(&store).unwrap();
        let ids: Vec<&str> = catalog.iter().map(|group| group.id.as_str()).collect();
        assert!(ids.starts_with(&["demo"]), "{ids:?}");
        assert!(ids.contains(&"fake") && !ids.contains(&"custom"), "{ids:?}");
        let undetected_local = Catalog::builtin()
            .all()
            .iter()
            .find(|def| def.local && !def.featured)
            .map(|def| def.id.clone());
        let unkeyed_remote = Catalog::builtin()
            .all()
            .iter()
            .find(|def| def.key_required && !def.featured)
            .map(|def| def.id.clone());
        for hidden in [undetected_local.unwrap(), unkeyed_remote.unwrap()] {
            assert!(
                !ids.contains(&hidden.as_str()),
                "{hidden} before it is detected or has a key: {ids:?}"
            );
        }
        let demo = &catalog[0];
        assert!(demo.available && demo.models == ["runnel-demo"]);
        if std::env::var("OPENAI_API_KEY").is_err() {
            let openai = catalog.iter().find(|group| group.id == "openai").unwrap();
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
}
