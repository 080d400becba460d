//! Providers as data. One definition, [`ProviderDef`], is what the built-in list
//! (`builtin.json`), the providers file (`RUNNEL_PROVIDERS_FILE`) and the app's custom endpoints
//! all produce; the CLI, the app's picker, Settings, local-server detection and
//! [`resolve`](crate::resolve) all read the same [`Catalog`]. An OpenAI-compatible vendor is one
//! entry in `builtin.json`, not code.

mod file;
mod prices;

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub use file::{MAX_PROVIDERS_FILE, ProvidersFileError, read_providers_file};
pub use prices::{MAX_PRICED_MODELS, Prices};

use crate::provider::{Quirks, protocol};

/// The id of the built-in offline demo provider.
pub const DEMO: &str = "demo";

/// The id of the built-in template for an endpoint given only by its base URL: it reads no env
/// key, so a URL given without naming a provider never receives another provider's key.
pub const CUSTOM: &str = "custom";

/// The env var naming a providers file (a JSON array of [`ProviderDef`]s).
pub const PROVIDERS_FILE_ENV: &str = "RUNNEL_PROVIDERS_FILE";

/// One provider: how to reach it, where its key comes from, its models and quirks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderDef {
    /// The id used on the command line and in settings (`openai`, `ollama`, …).
    pub id: String,
    /// The name shown to people; the id when absent.
    #[serde(default)]
    pub name: String,
    /// The wire protocol's id (see [`crate::provider::PROTOCOLS`]); `openai` when absent.
    #[serde(default = "default_protocol", deserialize_with = "known_protocol")]
    pub protocol: String,
    /// The other protocols its server speaks, which a person may choose instead (`--protocol`):
    /// Ollama's OpenAI-compatible endpoint beside its own. Its base URL and `base_url_env` stay
    /// written for `protocol`; speaking another moves them by the protocols' base paths
    /// ([`Routes::base_path`](crate::provider::Routes::base_path)).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "known_protocols")]
    pub protocols: Vec<String>,
    /// The protocol spoken when its base URL is moved off its own host (by `base_url_env` or a
    /// given URL) and no protocol was chosen: OpenAI's own host speaks Responses, a compatible
    /// server behind `OPENAI_BASE_URL` Chat Completions.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_protocol_opt"
    )]
    pub protocol_elsewhere: Option<String>,
    /// The protocol its base URLs (`base_url`, `base_url_env`'s value) are written for, when it
    /// speaks another (not part of the written form).
    #[serde(skip)]
    pub url_protocol: Option<String>,
    /// The base URL, following the official SDKs (OpenAI's includes `/v1`, Anthropic's does
    /// not), without a trailing `/`. Empty for the demo (its loopback server's URL is used) and
    /// for a template that needs one given (`custom`).
    #[serde(default)]
    pub base_url: String,
    /// The env var that overrides the base URL, as the official SDKs read it.
    #[serde(default)]
    pub base_url_env: Option<String>,
    /// The env var that holds the key, as the official SDKs read it.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Another env var its SDK reads the key from when `key_env` is unset (Gemini's
    /// `GOOGLE_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_env_fallback: Option<String>,
    /// Requests fail without a key.
    #[serde(default)]
    pub key_required: bool,
    /// Takes no key at all (the demo, local servers without authentication): the keychain is
    /// never asked about it.
    #[serde(default)]
    pub keyless: bool,
    /// Runs on this machine: looked for at its base URL when the app starts.
    #[serde(default)]
    pub local: bool,
    /// Offered in the app's picker even before it has a key.
    #[serde(default)]
    pub featured: bool,
    /// Models offered when its model list cannot be fetched; the first is the default.
    #[serde(default)]
    pub models: Vec<String>,
    /// How this server differs from others of its protocol.
    #[serde(default)]
    pub quirks: Quirks,
    /// Its models' prices in US dollars per million tokens, by model id; a model without one
    /// shows no cost. A price that cannot be used is left out, the rest of the entry kept.
    #[serde(default, skip_serializing_if = "Prices::is_empty")]
    pub prices: Prices,
    /// The day `prices` were published (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices_as_of: Option<String>,
    /// Where this definition came from (not part of the written form).
    #[serde(skip)]
    pub origin: Origin,
}

fn default_protocol() -> String {
    "openai".into()
}

/// A protocol id the core knows; anything else fails where it is written.
fn known_protocol<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    checked_protocol(String::deserialize(deserializer)?)
}

/// Protocol ids the core knows (`protocols`).
fn known_protocols<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .into_iter()
        .map(checked_protocol)
        .collect()
}

/// A protocol id the core knows, when one is given (`protocol_elsewhere`).
fn known_protocol_opt<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(checked_protocol)
        .transpose()
}

fn checked_protocol<E: serde::de::Error>(id: String) -> Result<String, E> {
    if protocol(&id).is_some() {
        return Ok(id);
    }
    let known: Vec<String> = crate::provider::PROTOCOLS
        .iter()
        .map(|protocol| format!("\"{}\"", protocol.id()))
        .collect();
    Err(E::custom(format!(
        "unknown protocol `{id}` (use {})",
        known.join(" or ")
    )))
}

/// Where a provider definition came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Runnel's built-in list.
    #[default]
    Builtin,
    /// The providers file.
    File,
    /// Added by the person in the app's Settings.
    Custom,
}

impl ProviderDef {
    /// A definition of an endpoint: `protocol` at `base_url`, taking an optional key, with no
    /// models of its own (its list is fetched).
    pub fn new(origin: Origin, id: &str, name: &str, protocol: &str, base_url: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            protocol: protocol.to_owned(),
            protocols: Vec::new(),
            protocol_elsewhere: None,
            url_protocol: None,
            base_url: base_url.trim_end_matches('/').to_owned(),
            base_url_env: None,
            key_env: None,
            key_env_fallback: None,
            key_required: false,
            keyless: false,
            local: false,
            featured: false,
            models: Vec::new(),
            quirks: Quirks::default(),
            prices: Prices::default(),
            prices_as_of: None,
            origin,
        }
    }

    /// Whether a key can be set for it.
    pub fn takes_key(&self) -> bool {
        !self.keyless
    }

    /// The env var its key is read from: `key_env`, else `key_env_fallback` when only that one is
    /// set (and not blank), as its SDK reads them.
    pub fn key_env_in_use(&self) -> Option<&str> {
        let set = |var: &&str| crate::keys::env_key(var).is_some();
        let fallback = self.key_env_fallback.as_deref().filter(set);
        self.key_env
            .as_deref()
            .filter(set)
            .or(fallback)
            .or(self.key_env.as_deref())
    }

    /// Every env var its key may be read from, `key_env` first.
    pub fn key_env_vars(&self) -> impl Iterator<Item = &str> {
        self.key_env.iter().chain(&self.key_env_fallback).map(String::as_str)
    }

    /// The model used when none is named.
    pub fn default_model(&self) -> &str {
        self.models.first().map_or("default", String::as_str)
    }

    /// The protocols a person may choose for it, its own first: any the core speaks for the
    /// [`CUSTOM`] template (its server is unknown), else `protocol` (the one it speaks now), the
    /// one it was defined with, `protocols` and `protocol_elsewhere`.
    pub fn offered_protocols(&self) -> Vec<String> {
        if self.id == CUSTOM {
            return crate::provider::PROTOCOLS
                .iter()
                .map(|protocol| protocol.id().to_owned())
                .collect();
        }
        let mut offered = vec![self.protocol.clone()];
        let offered_by_its_entry = self.url_protocol.iter().chain(&self.protocols);
        for other in offered_by_its_entry.chain(&self.protocol_elsewhere) {
            if !offered.contains(other) {
                offered.push(other.clone());
            }
        }
        offered
    }

    /// This definition speaking `protocol_id`, one of its [`offered_protocols`]
    /// (Self::offered_protocols), by a person's choice (a [`CUSTOM`] endpoint whose server speaks
    /// Anthropic's protocol, Ollama through its OpenAI-compatible endpoint): its base URL moves
    /// from the path its own protocol's SDKs end it with to the chosen one's (`…:11434` →
    /// `…:11434/v1`). `None` for a protocol it does not speak.
    pub fn speaking(&self, protocol_id: &str) -> Option<Self> {
        if !self.offered_protocols().iter().any(|offered| offered == protocol_id) {
            return None;
        }
        let (from, to) = (protocol(&self.protocol)?, protocol(protocol_id)?);
        Some(Self {
            protocol: protocol_id.to_owned(),
            protocol_elsewhere: None,
            url_protocol: Some(self.url_protocol.clone().unwrap_or_else(|| self.protocol.clone())),
            base_url: rebase(&self.base_url, from, to),
            ..self.clone()
        })
    }

    /// The price of its model `model` as written for it (built in or in the providers file).
    pub fn price(&self, model: &str) -> Option<crate::cost::Price> {
        self.prices.get(model)
    }

    /// True for a providers-file entry that only writes prices (no base URL, no models): the
    /// prices of a provider already known.
    pub fn is_price_list(&self) -> bool {
        let written = !self.prices.is_empty() || !self.prices.rejected().is_empty();
        self.base_url.is_empty() && self.models.is_empty() && written
    }

    /// True for a template that is only usable with a base URL given (`custom`).
    pub fn needs_base_url(&self) -> bool {
        self.base_url.is_empty() && self.id != DEMO
    }

    /// Checks what serde does not (an id, an http(s) base URL), fills in the name and trims the
    /// URL.
    fn checked(mut self) -> Result<Self, String> {
        if self.id.trim().is_empty() {
            return Err("a provider needs an `id`".into());
        }
        self.base_url = self.base_url.trim().trim_end_matches('/').to_owned();
        if !self.base_url.is_empty() && crate::keys::origin_of(&self.base_url).is_none() {
            return Err(format!("`{}`: `{}` is not an http(s) base URL", self.id, self.base_url));
        }
        if self.name.trim().is_empty() {
            self.name = self.id.clone();
        }
        if let Some(date) = self.prices_as_of.take() {
            match prices::checked_date(&date) {
                Ok(_) => self.prices_as_of = Some(date),
                Err(reason) => self.prices.reject(reason),
            }
        }
        Ok(self)
    }
}

/// `base_url`, written for `from`'s SDKs, as `to`'s SDKs write it: `from`'s base path (`/v1`)
/// taken off its end, `to`'s put on. An empty URL stays empty.
pub fn rebase(base_url: &str, from: &dyn crate::provider::Protocol, to: &dyn crate::provider::Protocol) -> String {
    let (from, to) = (from.routes().base_path, to.routes().base_path);
    if base_url.is_empty() || from == to {
        return base_url.to_owned();
    }
    let root = base_url.strip_suffix(from).unwrap_or(base_url);
    format!("{root}{to}")
}

static BUILTIN: LazyLock<Vec<ProviderDef>> = LazyLock::new(|| {
    let defs: Vec<ProviderDef> = serde_json::from_str(include_str!("builtin.json")).expect("builtin.json parses");
    defs.into_iter()
        .map(|def| def.checked().expect("builtin.json holds valid providers"))
        .collect()
});

/// Every provider Runnel knows of, in the order they are offered.
#[derive(Debug, Clone)]
pub struct Catalog {
    providers: Vec<ProviderDef>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Catalog {
    /// The built-in providers only.
    pub fn builtin() -> Self {
        Self {
            providers: BUILTIN.clone(),
        }
    }

    /// The built-in providers, then those of the file `RUNNEL_PROVIDERS_FILE` names (when set).
    /// A file that cannot be used leaves the built-in ones, and comes back with what is wrong.
    pub fn from_env() -> (Self, Option<ProvidersFileError>) {
        let mut catalog = Self::builtin();
        let Some(path) = std::env::var_os(PROVIDERS_FILE_ENV).filter(|path| !path.is_empty()) else {
            return (catalog, None);
        };
        match read_providers_file(std::path::Path::new(&path)) {
            Ok(defs) => match catalog.extend(defs) {
                Ok(()) => (catalog, None),
                Err(error) => (Self::builtin(), Some(error)),
            },
            Err(error) => (catalog, Some(error)),
        }
    }

    /// Adds providers after those known; an id that is already taken is refused, and nothing
    /// is added then. An entry that only writes prices ([`ProviderDef::is_price_list`]) for a
    /// provider already known puts them over that provider's, model by model, with its date.
    pub fn extend(&mut self, defs: Vec<ProviderDef>) -> Result<(), ProvidersFileError> {
        for (n, def) in defs.iter().enumerate() {
            let known = self.get(&def.id).is_some();
            if def.is_price_list() && !known {
                return Err(ProvidersFileError::unplaced(format!(
                    "`{}` needs a `base_url` (an entry of prices alone prices a built-in provider)",
                    def.id
                )));
            }
            let taken = (known && !def.is_price_list()) || defs[..n].iter().any(|earlier| earlier.id == def.id);
            if taken {
                return Err(ProvidersFileError::unplaced(format!(
                    "the id `{}` is taken by another provider",
                    def.id
                )));
            }
        }
        let (price_lists, defs): (Vec<ProviderDef>, Vec<ProviderDef>) =
            defs.into_iter().partition(ProviderDef::is_price_list);
        for list in price_lists {
            let known = self
                .providers
                .iter_mut()
                .find(|def| def.id == list.id)
                .expect("checked above");
            known.prices.write_over(list.prices);
            if list.prices_as_of.is_some() {
                known.prices_as_of = list.prices_as_of;
            }
        }
        self.providers.extend(defs);
        Ok(())
    }

    /// Adds one provider (a custom endpoint), replacing any of the same id.
    pub fn push(&mut self, def: ProviderDef) {
        self.providers.retain(|known| known.id != def.id);
        self.providers.push(def);
    }

    /// Every provider, templates (`custom`) included.
    pub fn all(&self) -> &[ProviderDef] {
        &self.providers
    }

    /// The providers usable as they are (templates that need a base URL left out).
    pub fn usable(&self) -> impl Iterator<Item = &ProviderDef> {
        self.providers.iter().filter(|def| !def.needs_base_url())
    }

    /// One provider by id.
    pub fn get(&self, id: &str) -> Option<&ProviderDef> {
        self.providers.iter().find(|def| def.id == id)
    }

    /// What was written about prices but left out, one line per mistake naming its provider
    /// (`` `box`: the price of `m`: … ``): the providers and their other prices are in use.
    pub fn price_problems(&self) -> Vec<String> {
        self.providers
            .iter()
            .flat_map(|def| {
                def.prices
                    .rejected()
                    .iter()
                    .map(move |reason| format!("`{}`: {reason}", def.id))
            })
            .collect()
    }

    /// The ids, comma-separated, for messages naming what exists.
    pub fn ids(&self) -> String {
        self.providers
            .iter()
            .map(|def| def.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_providers_that_can_use_a_key_take_one() {
        let catalog = Catalog::builtin();
        let takes: Vec<&str> = catalog
            .all()
            .iter()
            .filter(|def| def.takes_key())
            .map(|def| def.id.as_str())
            .collect();
        assert_eq!(
            takes,
            ["openai", "anthropic", "gemini", "vllm", "openrouter", "groq", "custom"]
        );
    }

    #[test]
    fn every_builtin_names_a_registered_protocol_and_a_unique_id() {
        let mut ids = std::collections::HashSet::new();
        for def in Catalog::builtin().all() {
            assert!(protocol(&def.protocol).is_some(), "{}", def.id);
            assert!(ids.insert(def.id.clone()), "duplicate {}", def.id);
            assert!(!def.base_url.ends_with('/'), "{}", def.id);
            assert_eq!(def.origin, Origin::Builtin);
        }
        assert_eq!(Catalog::builtin().get("custom").unwrap().default_model(), "default");
        assert_eq!(Catalog::builtin().get("openai").unwrap().default_model(), "gpt-4o-mini");
    }

    #[test]
    fn builtin_prices_are_dated_and_all_in_use() {
        let catalog = Catalog::builtin();
        assert!(catalog.price_problems().is_empty(), "{:?}", catalog.price_problems());
        let openai = catalog.get("openai").unwrap();
        let mini = openai.price("gpt-4o-mini").unwrap();
        assert_eq!((mini.input, mini.cached_input, mini.output), (0.15, Some(0.075), 0.6));
        for def in catalog.all() {
            assert_eq!(
                def.prices.is_empty(),
                def.prices_as_of.is_none(),
                "{}: prices need a date",
                def.id
            );
        }
        assert!(
            catalog.get("gemini").unwrap().prices.is_empty(),
            "tiered prices are not guessed"
        );
        assert_eq!(catalog.get("demo").unwrap().price("runnel-demo"), None);
    }

    #[test]
    fn an_id_already_taken_is_refused() {
        let mut catalog = Catalog::builtin();
        let twin = ProviderDef::new(Origin::File, "ollama", "Mine", "openai", "http://h/v1");
        let error = catalog.extend(vec![twin]).unwrap_err();
        assert!(error.reason.contains("`ollama` is taken"), "{error}");
        let pair = vec![
            ProviderDef::new(Origin::File, "box", "Box", "openai", "http://h/v1"),
            ProviderDef::new(Origin::File, "box", "Box", "openai", "http://h/v1"),
        ];
        assert!(catalog.extend(pair).is_err());
        assert!(catalog.get("box").is_none(), "nothing was added");
    }
}
