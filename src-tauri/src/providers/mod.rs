//! The providers the app offers: the core's [`Catalog`] (built-in providers and the providers
//! file) and the custom endpoints the person added (kept in the database), all as
//! [`ProviderDef`]s. For each: where its key comes from (never the key), its models (live when
//! fetched, else its own list), whether the picker offers it, and a ready endpoint.

mod custom;
mod keys;
mod models;
mod prices;
mod views;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use runnel_core::resolve::placed;
use runnel_core::{Catalog, KeyStore, ProviderDef};

pub use custom::new_custom;

use crate::error::{AppError, AppResult};
use crate::ipc_types::KeyState;
use crate::store::Store;

/// The settings key prefix of a provider's chosen protocol (`protocol:ollama`).
const PROTOCOL_SETTING: &str = "protocol:";

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

    /// Every usable provider: the catalog's (templates such as `custom` left out), each speaking
    /// the protocol chosen for it in Settings if one was, then custom endpoints; each with the
    /// prices set in Settings over its written ones.
    pub fn all(&self, store: &Store) -> AppResult<Vec<ProviderDef>> {
        let chosen = store.settings_with_prefix(PROTOCOL_SETTING)?;
        let mut all: Vec<ProviderDef> = self
            .catalog
            .usable()
            .map(|def| {
                let def = chosen
                    .get(&def.id)
                    .and_then(|protocol| def.speaking(protocol))
                    .unwrap_or_else(|| def.clone());
                // Where requests go now (an SDK env var moves it, the demo's is its own server)
                // and the protocol spoken there.
                placed(&def, None).unwrap_or(def)
            })
            .collect();
        all.extend(store.custom_providers()?);
        prices::apply_set_prices(store, &mut all)?;
        Ok(all)
    }

    /// Makes catalog provider `id` (built in or from the providers file) speak `protocol`, one of
    /// those it offers, from now on (kept in the settings). Its live model list is forgotten: the other protocol lists them elsewhere.
    pub fn choose_protocol(&self, store: &Store, id: &str, protocol: &str) -> AppResult<ProviderDef> {
        let def = self
            .catalog
            .get(id)
            .filter(|def| !def.needs_base_url())
            .ok_or_else(|| AppError::NotFound(format!("no provider `{id}` in the catalog")))?;
        let offered = placed(def, None).map_or_else(|_| def.offered_protocols(), |def| def.offered_protocols());
        if !offered.iter().any(|offered| offered == protocol) {
            return Err(AppError::InvalidInput(format!(
                "{} speaks {}, not `{protocol}`",
                def.name,
                offered.join(" or ")
            )));
        }
        store.set_setting(&format!("{PROTOCOL_SETTING}{id}"), protocol)?;
        self.forget_models(id);
        self.get(store, id)
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
    fn a_provider_that_speaks_two_protocols_switches_to_the_one_chosen_and_keeps_it() {
        let (providers, store) = providers();
        // The first built-in provider that offers another protocol for its own server.
        let two = Catalog::builtin()
            .usable()
            .find(|def| def.protocols.len() == 1 && def.protocol_elsewhere.is_none())
            .cloned()
            .unwrap();
        let view = providers.view(&providers.get(&store, &two.id).unwrap());
        let offered: Vec<&str> = view.protocols.iter().map(|protocol| protocol.id.0.as_str()).collect();
        assert_eq!(offered, [two.protocol.as_str(), two.protocols[0].as_str()]);
        let other = &two.protocols[0];
        let chosen = providers.choose_protocol(&store, &two.id, other).unwrap();
        assert_eq!(&chosen.protocol, other);
        let again = providers.get(&store, &two.id).unwrap();
        assert_eq!((&again.protocol, &again.base_url), (other, &chosen.base_url), "kept");
        assert_ne!(again.base_url, two.base_url, "the URL moved with the protocol");
        let error = providers.choose_protocol(&store, &two.id, "gopher").unwrap_err();
        assert!(matches!(error, AppError::InvalidInput(_)), "{error:?}");
        assert!(
            providers.choose_protocol(&store, "fake", "openai").is_err(),
            "not a protocol it offers"
        );
        let single = providers.view(&providers.get(&store, "fake").unwrap());
        assert!(single.protocols.is_empty(), "one protocol, no choice");
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
    fn a_price_set_in_settings_goes_over_the_catalogs_is_checked_and_can_be_cleared() {
        let (providers, store) = providers();
        let price = |input: f64, output: f64| runnel_core::Price {
            input,
            output,
            cached_input: None,
            reasoning: None,
        };
        let view = providers.view(&providers.get(&store, "openai").unwrap());
        let mini = view.prices.iter().find(|entry| entry.model == "gpt-4o-mini").unwrap();
        assert_eq!((mini.price, mini.set), (mini.written, false));
        assert_eq!(mini.as_of.as_deref(), Some("2025-10-01"));

        let def = providers
            .set_price(&store, "openai", "gpt-4o-mini", Some(price(1.0, 2.0)))
            .unwrap();
        assert_eq!(def.price("gpt-4o-mini"), Some(price(1.0, 2.0)));
        let def = providers
            .set_price(&store, "fake", "m1", Some(price(0.0, 0.5)))
            .unwrap();
        let entry = providers
            .view(&def)
            .prices
            .into_iter()
            .find(|entry| entry.model == "m1")
            .unwrap();
        assert_eq!(
            (entry.price, entry.written, entry.set),
            (Some(price(0.0, 0.5)), None, true)
        );
        // Kept in the settings: the next look-up (a restart reads the same) has it.
        assert_eq!(
            providers.get(&store, "fake").unwrap().price("m1"),
            Some(price(0.0, 0.5))
        );

        let error = providers
            .set_price(&store, "fake", "m1", Some(price(-1.0, 1.0)))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            AppError::InvalidInput("the input price must not be negative (it is -1)".into()).to_string()
        );
        let error = providers
            .set_price(&store, "fake", "m1", Some(price(1.0, 1e6)))
            .unwrap_err();
        assert!(error.to_string().contains("at most 10000 dollars"), "{error}");
        assert!(providers.set_price(&store, "fake", " ", Some(price(1.0, 1.0))).is_err());
        assert!(
            providers
                .set_price(&store, "nobody", "m", Some(price(1.0, 1.0)))
                .is_err()
        );
        assert_eq!(
            providers.get(&store, "fake").unwrap().price("m1"),
            Some(price(0.0, 0.5)),
            "a refusal changes nothing"
        );

        let def = providers.set_price(&store, "openai", "gpt-4o-mini", None).unwrap();
        assert_eq!(
            def.price("gpt-4o-mini").map(|price| price.input),
            Some(0.15),
            "back to the catalog's"
        );
    }
}
