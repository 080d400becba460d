//! The prices a person sets in Settings, one per provider and model, kept in the settings table
//! (`price:PROVIDER/MODEL`, the price as JSON) and put over the catalog's
//! ([`Prices::set_by_person`](runnel_core::catalog::Prices::set_by_person)): the core resolves
//! which one is in use.

use runnel_core::{Price, ProviderDef};

use super::Providers;
use crate::error::{AppError, AppResult};
use crate::ipc_types::ModelPrice;
use crate::store::Store;

/// The settings key prefix of a price a person set (`price:openai/gpt-4o`).
pub(super) const PRICE_SETTING: &str = "price:";

/// The longest model id a price is set for.
const MAX_MODEL_ID: usize = 256;

/// The most prices a person may set, over every provider.
const MAX_SET_PRICES: usize = 4096;

/// Puts the prices set in `store` over those `defs` wrote. A stored price that no longer reads
/// (written by another version) is passed over.
pub(super) fn apply_set_prices(store: &Store, defs: &mut [ProviderDef]) -> AppResult<()> {
    for (key, json) in store.settings_with_prefix(PRICE_SETTING)? {
        let Some((provider, model)) = key.split_once('/') else {
            continue;
        };
        let Some(def) = defs.iter_mut().find(|def| def.id == provider) else {
            continue;
        };
        match serde_json::from_str::<Price>(&json)
            .map_err(|error| error.to_string())
            .and_then(|price| price.checked().map_err(|error| error.to_string()))
        {
            Ok(price) => def.prices.set_by_person(model, price),
            Err(reason) => tracing::warn!(%key, %reason, "a stored price is passed over"),
        }
    }
    Ok(())
}

/// What the page shows of `def`'s prices: each of its models (`models`) and each model priced,
/// with the price in use, the written one, whether a person set it, and their date.
pub(super) fn model_prices(def: &ProviderDef, models: &[String]) -> Vec<ModelPrice> {
    let priced = def.prices.iter().map(|(model, _)| model.to_owned());
    let mut all: Vec<String> = models.to_vec();
    for model in priced {
        if !all.contains(&model) {
            all.push(model);
        }
    }
    all.into_iter()
        .map(|model| ModelPrice {
            price: def.price(&model),
            written: def.prices.written(&model),
            set: def.prices.is_set_by_person(&model),
            as_of: def
                .prices_as_of
                .clone()
                .filter(|_| def.prices.written(&model).is_some()),
            model,
        })
        .collect()
}

impl Providers {
    /// Sets the price of `provider`'s `model` (kept in the settings, over the catalog's), or with
    /// `None` goes back to the catalog's. A price must be finite, not negative and at most the
    /// core's bound (`MAX_PRICE`), each refusal naming the number.
    pub fn set_price(
        &self,
        store: &Store,
        provider: &str,
        model: &str,
        price: Option<Price>,
    ) -> AppResult<ProviderDef> {
        let def = self.get(store, provider)?;
        let model = model.trim();
        if model.is_empty() || model.len() > MAX_MODEL_ID {
            return Err(AppError::InvalidInput(format!(
                "a model id is 1 to {MAX_MODEL_ID} characters"
            )));
        }
        let key = format!("{PRICE_SETTING}{}/{model}", def.id);
        match price {
            Some(price) => {
                let price = price
                    .checked()
                    .map_err(|error| AppError::InvalidInput(error.to_string()))?;
                let set = store.settings_with_prefix(PRICE_SETTING)?;
                if !set.contains_key(&key[PRICE_SETTING.len()..]) && set.len() >= MAX_SET_PRICES {
                    return Err(AppError::InvalidInput(format!(
                        "at most {MAX_SET_PRICES} prices can be set; clear some first"
                    )));
                }
                store.set_setting(&key, &serde_json::to_string(&price).expect("a price serializes"))?;
            }
            None => store.delete_setting(&key)?,
        }
        self.get(store, provider)
    }
}
