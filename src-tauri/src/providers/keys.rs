//! Where each provider's key comes from (never the key itself), storing and deleting keys, and
//! the ready endpoint that carries one.

use runnel_core::keys::{env_key, origin_of};
use runnel_core::{ApiKey, Endpoint, KeyError, ProviderDef, ResolveError, StoredKey, resolve_def};

use super::Providers;
use crate::error::{AppError, AppResult};
use crate::ipc_types::KeyState;
use crate::store::Store;

impl Providers {
    /// Where `def`'s key comes from. Blocking on first use (keychain); cached after.
    pub fn key_state(&self, def: &ProviderDef) -> KeyState {
        if def.key_env_in_use().is_some_and(|var| env_key(var).is_some()) {
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
        self.remember(def, state);
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
        self.remember(def, KeyState::Keychain);
        Ok(())
    }

    /// Deletes `def`'s stored key. Blocking (keychain).
    pub fn delete_key(&self, def: &ProviderDef) -> AppResult<()> {
        self.keys.delete(&def.id)?;
        self.remember(def, KeyState::None);
        Ok(())
    }

    /// A ready endpoint for `def`. Blocking (keychain).
    pub fn endpoint(&self, def: &ProviderDef) -> AppResult<Endpoint> {
        match resolve_def(def, None, self.keys.as_ref()) {
            Ok((endpoint, _)) => Ok(endpoint),
            Err(ResolveError::MissingKey { name, .. }) => {
                let vars: Vec<&str> = def.key_env_vars().collect();
                let or_env = match vars.is_empty() {
                    true => String::new(),
                    false => format!(" or set {}", vars.join(" or ")),
                };
                Err(AppError::Config(format!(
                    "no API key for {name}: add one in Settings{or_env}"
                )))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// True when some provider has a key.
    pub fn any_key(&self, store: &Store) -> AppResult<bool> {
        Ok(self.all(store)?.iter().any(|def| self.key_state(def).is_set()))
    }

    fn remember(&self, def: &ProviderDef, state: KeyState) {
        self.key_states
            .lock()
            .expect("key state lock")
            .insert(def.id.clone(), state);
    }
}
