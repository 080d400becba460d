//! Each provider's models (the live list once fetched, else its own), and finding the local
//! servers that run now.

use std::time::Duration;

use runnel_core::{Endpoint, Engine, ProviderDef, Timeouts, resolve_keyless};

use super::Providers;
use crate::error::AppResult;
use crate::store::Store;

/// How long a local server may take to answer when it is looked for: one on this machine
/// answers in milliseconds, and start-up must not wait on one that is not there.
const DETECTION: Timeouts = Timeouts {
    connect: Duration::from_millis(400),
    first_byte: Duration::from_millis(1500),
    idle: Duration::from_millis(1500),
};

impl Providers {
    /// `def`'s models: the live list when one was fetched, else its own.
    pub fn models(&self, def: &ProviderDef) -> Vec<String> {
        self.live_models
            .lock()
            .expect("model cache lock")
            .get(&def.id)
            .cloned()
            .unwrap_or_else(|| def.models.clone())
    }

    /// Forgets provider `id`'s live model list (its own list is shown until it is fetched again).
    pub fn forget_models(&self, id: &str) {
        self.live_models.lock().expect("model cache lock").remove(id);
    }

    /// Fetches `def`'s models live, with its key, and remembers them: the person asked for this
    /// provider's list. Blocking part: the keychain.
    pub async fn fetch_models(&self, engine: &Engine, def: &ProviderDef) -> AppResult<Vec<String>> {
        let endpoint = tokio::task::block_in_place(|| self.endpoint(def))?;
        self.list_models(engine, def, &endpoint).await
    }

    /// Lists `def`'s models at `endpoint` and remembers them.
    async fn list_models(&self, engine: &Engine, def: &ProviderDef, endpoint: &Endpoint) -> AppResult<Vec<String>> {
        let models: Vec<String> = engine
            .models(endpoint)
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

    /// Looks for the local servers of the catalog at their base URLs (as their `base_url_env`
    /// moves them); returns the ids that answered with a model list. The probes carry no key
    /// (not their `key_env`'s, not a keychain entry): nobody chose these servers, and whatever
    /// answers on a local port may be anything.
    pub async fn detect_local(&self, store: &Store) -> AppResult<Vec<String>> {
        let engine = Engine::new(DETECTION)?;
        let candidates: Vec<ProviderDef> = self.all(store)?.into_iter().filter(Self::detectable).collect();
        let mut found = Vec::new();
        for def in candidates {
            let answered = match resolve_keyless(&def, None) {
                Ok(endpoint) => self.list_models(&engine, &def, &endpoint).await.is_ok(),
                Err(_) => false,
            };
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

    /// Whether `def` is a local server to look for: a featured one (the offline demo) is offered
    /// whether it runs or not, so it is not.
    pub(super) fn detectable(def: &ProviderDef) -> bool {
        def.local && !def.featured
    }

    /// Whether local server `def` answered when it was last looked for.
    pub(super) fn is_detected(&self, def: &ProviderDef) -> bool {
        self.detected.lock().expect("detected lock").contains(&def.id)
    }
}
