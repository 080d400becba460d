//! Endpoints a person adds in Settings: validated, with an id that is not taken.

use std::collections::HashSet;

use runnel_core::ProviderDef;
use runnel_core::catalog::Origin;
use runnel_core::keys::origin_of;
use runnel_core::provider::protocol;

use crate::error::{AppError, AppResult};
use crate::store::Store;

/// A new custom provider's definition, validated, with an id that is not taken.
pub fn new_custom(store: &Store, name: &str, protocol_id: &str, base_url: &str) -> AppResult<ProviderDef> {
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
    Ok(ProviderDef::new(Origin::Custom, &id, name, protocol_id, base_url))
}

fn is_http_url(url: &str) -> bool {
    origin_of(url).is_some() && (url.starts_with("http://") || url.starts_with("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_endpoints_get_free_ids_and_validated_urls() {
        let store = Store::in_memory().unwrap();
        let first = new_custom(&store, "My vLLM box", "openai", "http://10.0.0.5:8000/v1/").unwrap();
        assert_eq!(
            (first.id.as_str(), first.base_url.as_str()),
            ("custom-my-vllm-box", "http://10.0.0.5:8000/v1")
        );
        store.add_custom_provider(&first).unwrap();
        assert_eq!(store.custom_providers().unwrap(), [first]);
        assert_eq!(
            new_custom(&store, "My vLLM box", "openai", "http://h/v1").unwrap().id,
            "custom-my-vllm-box-2"
        );
        assert!(new_custom(&store, "x", "gopher", "http://h").is_err());
        assert!(new_custom(&store, "x", "openai", "ftp://h").is_err());
        assert!(new_custom(&store, " ", "openai", "http://h").is_err());
    }
}
