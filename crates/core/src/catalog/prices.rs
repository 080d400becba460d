//! A provider's model prices as written in `builtin.json` and the providers file: `prices`, a map
//! from model id to [`Price`], and `prices_as_of`, the date they were published. A price that
//! cannot be used (a word for a number, a negative or absurd one, an unknown field) is left out
//! and named in [`Prices::rejected`]: the provider and its other prices still load.
//!
//! A price a person sets (the app's Settings, [`Prices::set_by_person`]) goes over the written
//! one: the price in use is the person's, else the one its definition wrote (built in, or the
//! providers file: for its own providers, and over a built-in provider's by an entry of prices
//! alone), else none.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cost::Price;

/// The most models one provider prices; more are left out (and named).
pub const MAX_PRICED_MODELS: usize = 1024;

/// The prices of one provider's models, by model id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Prices {
    by_model: BTreeMap<String, Price>,
    /// Prices a person set, over the written ones (not part of the written form).
    #[serde(skip)]
    set: BTreeMap<String, Price>,
    /// What was left out, and why (not part of the written form).
    #[serde(skip)]
    rejected: Vec<String>,
}

impl Prices {
    /// The price of `model` in use: the one a person set, else the written one, else none.
    pub fn get(&self, model: &str) -> Option<Price> {
        self.set.get(model).or_else(|| self.by_model.get(model)).copied()
    }

    /// The price written for `model` (built in, or in the providers file), whatever a person set.
    pub fn written(&self, model: &str) -> Option<Price> {
        self.by_model.get(model).copied()
    }

    /// True when a person set the price of `model`.
    pub fn is_set_by_person(&self, model: &str) -> bool {
        self.set.contains_key(model)
    }

    /// Puts `price`, which a person set (checked by [`Price::checked`]), over the written price of
    /// `model`.
    pub fn set_by_person(&mut self, model: &str, price: Price) {
        self.set.insert(model.to_owned(), price);
    }

    /// Every priced model with the price in use, by model id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Price)> {
        let written = self.by_model.keys().filter(|model| !self.set.contains_key(*model));
        let mut models: Vec<&String> = self.set.keys().chain(written).collect();
        models.sort();
        models
            .into_iter()
            .filter_map(|model| Some((model.as_str(), self.get(model)?)))
    }

    /// True when no model is priced.
    pub fn is_empty(&self) -> bool {
        self.by_model.is_empty()
    }

    /// Puts the prices `other` writes over these, model by model (a providers file's prices for
    /// a built-in provider), with what it left out.
    pub(super) fn write_over(&mut self, other: Prices) {
        self.by_model.extend(other.by_model);
        self.rejected.extend(other.rejected);
    }

    /// The prices that were written but left out, each with its reason.
    pub fn rejected(&self) -> &[String] {
        &self.rejected
    }

    /// Notes that something written about the prices was left out.
    pub(super) fn reject(&mut self, reason: String) {
        self.rejected.push(reason);
    }
}

impl<'de> Deserialize<'de> for Prices {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let written = BTreeMap::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut prices = Prices::default();
        for (n, (model, value)) in written.into_iter().enumerate() {
            if n == MAX_PRICED_MODELS {
                prices.reject(format!("prices past the first {MAX_PRICED_MODELS} models"));
                break;
            }
            let price = serde_json::from_value::<Price>(value)
                .map_err(|error| error.to_string())
                .and_then(|price| price.checked().map_err(|error| error.to_string()));
            match price {
                Ok(price) => {
                    prices.by_model.insert(model, price);
                }
                Err(reason) => prices.reject(format!("the price of `{model}`: {reason}")),
            }
        }
        Ok(prices)
    }
}

/// `date` when it is a calendar date written `YYYY-MM-DD` (years 2000–2999).
pub(super) fn checked_date(date: &str) -> Result<&str, String> {
    let bad = || format!("`prices_as_of` must be a date written YYYY-MM-DD, not `{date}`");
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(bad());
    };
    let number = |text: &str, digits: usize| {
        (text.len() == digits && text.bytes().all(|byte| byte.is_ascii_digit()))
            .then(|| text.parse::<u32>().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(year, 4), number(month, 2), number(day, 2)) else {
        return Err(bad());
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(2000..3000).contains(&year) || day == 0 || day > days {
        return Err(bad());
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_price_is_left_out_with_its_reason_and_the_others_load() {
        let prices: Prices = serde_json::from_str(
            r#"{
                "good": {"input": 0.15, "output": 0.6, "cached_input": 0.075},
                "negative": {"input": -1, "output": 2},
                "word": {"input": "cheap", "output": 2},
                "typo": {"input": 1, "output": 2, "cache": 0.5},
                "missing": {"input": 1},
                "absurd": {"input": 1, "output": 1e9}
            }"#,
        )
        .unwrap();
        assert_eq!(
            prices.get("good"),
            Some(Price {
                input: 0.15,
                output: 0.6,
                cached_input: Some(0.075),
                reasoning: None
            })
        );
        assert_eq!(prices.iter().count(), 1);
        let rejected = prices.rejected().join("\n");
        assert!(
            rejected.contains("the price of `negative`: the input price must not be negative (it is -1)"),
            "{rejected}"
        );
        assert!(
            rejected.contains("the price of `word`: invalid type: string \"cheap\""),
            "{rejected}"
        );
        assert!(
            rejected.contains("the price of `typo`: unknown field `cache`"),
            "{rejected}"
        );
        assert!(
            rejected.contains("the price of `missing`: missing field `output`"),
            "{rejected}"
        );
        assert!(
            rejected.contains("the price of `absurd`: the output price must be at most"),
            "{rejected}"
        );
        assert_eq!(prices.rejected().len(), 5);
    }

    #[test]
    fn a_price_a_person_set_goes_over_the_written_one_which_is_kept() {
        let mut prices: Prices = serde_json::from_str(r#"{"a": {"input": 1, "output": 2}}"#).unwrap();
        let mine = Price {
            input: 0.5,
            output: 1.0,
            cached_input: None,
            reasoning: None,
        };
        prices.set_by_person("a", mine);
        prices.set_by_person("z", mine);
        assert_eq!(prices.get("a"), Some(mine));
        assert_eq!(prices.written("a").map(|price| price.input), Some(1.0));
        assert!(prices.is_set_by_person("z") && !prices.is_set_by_person("b"));
        let models: Vec<&str> = prices.iter().map(|(model, _)| model).collect();
        assert_eq!(models, ["a", "z"]);
        assert_eq!(
            serde_json::to_string(&prices).unwrap(),
            r#"{"a":{"input":1.0,"output":2.0}}"#,
            "only the written prices are written back"
        );
    }

    #[test]
    fn prices_past_the_bound_are_left_out() {
        let many: BTreeMap<String, serde_json::Value> = (0..MAX_PRICED_MODELS + 5)
            .map(|n| (format!("m{n:05}"), serde_json::json!({"input": 1, "output": 1})))
            .collect();
        let prices: Prices = serde_json::from_value(serde_json::to_value(many).unwrap()).unwrap();
        assert_eq!(prices.iter().count(), MAX_PRICED_MODELS);
        assert_eq!(prices.rejected(), ["prices past the first 1024 models"]);
    }

    #[test]
    fn a_date_is_a_real_calendar_day() {
        for good in ["2025-10-01", "2024-02-29", "2000-12-31"] {
            assert_eq!(checked_date(good), Ok(good));
        }
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-1-01",
            "01-10-2025",
            "2025-10-01T00:00",
            "yesterday",
            "1999-01-01",
        ] {
            let error = checked_date(bad).unwrap_err();
            assert!(error.contains("YYYY-MM-DD"), "{error}");
        }
    }
}
