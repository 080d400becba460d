//! What the page shows of the providers: the model picker's groups (only those it offers) and
//! Settings' rows.

use runnel_core::ProviderDef;
use runnel_core::catalog::Origin;

use super::Providers;
use crate::error::AppResult;
use crate::models::{KeyState, ProviderModels, ProviderView};
use crate::store::Store;

impl Providers {
    /// Whether `def` belongs in the model picker: a featured provider always; one from the file
    /// or Settings always; a local server once it answered or has a key; any other once it has
    /// a key.
    fn offered(&self, def: &ProviderDef, key: KeyState) -> bool {
        def.featured || def.origin != Origin::Builtin || key.is_set() || (def.local && self.is_detected(def))
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
        let hint = (!available).then(|| match (key, &def.key_env) {
            (KeyState::Unavailable, Some(var)) => format!("The keychain is unavailable — set {var}"),
            _ => "Add an API key in Settings".to_owned(),
        });
        ProviderModels {
            provider: def.id.clone(),
            name: def.name.clone(),
            models: self.models(def),
            available,
            local: def.local,
            hint,
        }
    }

    /// The Settings row for `def`. Blocking on first use (key state).
    pub fn view(&self, def: &ProviderDef) -> ProviderView {
        ProviderView {
            id: def.id.clone(),
            name: def.name.clone(),
            protocol: def.protocol.clone(),
            base_url: def.base_url.clone(),
            custom: def.origin == Origin::Custom,
            local: def.local,
            takes_key: def.takes_key(),
            key_required: def.key_required,
            key: self.key_state(def),
            key_env: def.key_env.clone(),
            models: self.models(def),
        }
    }
}
