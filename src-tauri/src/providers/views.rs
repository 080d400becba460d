//! What the page shows of a provider ([`ProviderView`]: the model picker's group and Settings'
//! row), and which providers the picker offers.

use runnel_core::ProviderDef;
use runnel_core::catalog::Origin;

use super::Providers;
use crate::error::AppResult;
use crate::ipc_types::{KeyState, ProtocolId, ProtocolView, ProviderView};
use crate::store::Store;

impl Providers {
    /// Whether `def` belongs in the model picker: a featured provider always; one from the file
    /// or Settings always; a local server once it answered or has a key; any other once it has
    /// a key.
    fn offered(&self, def: &ProviderDef, key: KeyState) -> bool {
        def.featured || def.origin != Origin::Builtin || key.is_set() || (def.local && self.is_detected(def))
    }

    /// The providers the model picker offers. Blocking on first use (key states).
    pub fn catalog(&self, store: &Store) -> AppResult<Vec<ProviderView>> {
        let all = self.all(store)?;
        Ok(all
            .iter()
            .filter(|def| self.offered(def, self.key_state(def)))
            .map(|def| self.view(def))
            .collect())
    }

    /// The protocols a person may choose for `def`, by their names; none when it speaks one.
    fn protocol_choices(def: &ProviderDef) -> Vec<ProtocolView> {
        let offered = def.offered_protocols();
        if def.origin == Origin::Custom || offered.len() < 2 {
            return Vec::new();
        }
        offered
            .iter()
            .filter_map(|id| runnel_core::provider::protocol(id))
            .map(ProtocolView::of)
            .collect()
    }

    /// `def` as the page shows it: its models, where its key comes from, and whether it can
    /// answer now. Blocking on first use (key state).
    pub fn view(&self, def: &ProviderDef) -> ProviderView {
        let key = self.key_state(def);
        let available = !def.key_required || key.is_set();
        let hint = (!available).then(|| match (key, &def.key_env) {
            (KeyState::Unavailable, Some(var)) => format!("The keychain is unavailable — set {var}"),
            _ => "Add an API key in Settings".to_owned(),
        });
        let models = self.models(def);
        ProviderView {
            id: def.id.clone(),
            name: def.name.clone(),
            protocol: ProtocolId(def.protocol.clone()),
            protocols: Self::protocol_choices(def),
            base_url: def.base_url.clone(),
            custom: def.origin == Origin::Custom,
            local: def.local,
            detectable: Self::detectable(def),
            takes_key: def.takes_key(),
            key_required: def.key_required,
            key,
            key_env: def.key_env.clone(),
            prices: super::prices::model_prices(def, &models),
            models,
            available,
            hint,
        }
    }
}
