//! [`Endpoint`]: one provider ready to be called — its protocol, base URL, key and quirks.

use std::fmt;

use crate::keys::ApiKey;
use crate::provider::{Protocol, Quirks};

/// A provider ready to be called: its protocol, base URL and key.
#[derive(Clone)]
pub struct Endpoint {
    /// The provider's id (`openai`, `ollama`, a custom name).
    pub provider: String,
    /// How to speak to it.
    pub protocol: &'static dyn Protocol,
    /// Its base URL, without a trailing slash.
    pub base_url: String,
    /// The key to send, if any.
    pub key: Option<ApiKey>,
    /// How it differs from others of its protocol.
    pub quirks: Quirks,
}

impl Endpoint {
    /// An endpoint for `provider` speaking `protocol` at `base_url` (a trailing `/` is dropped).
    pub fn new(provider: &str, protocol: &'static dyn Protocol, base_url: &str, key: Option<ApiKey>) -> Self {
        Self {
            provider: provider.to_owned(),
            protocol,
            base_url: base_url.trim_end_matches('/').to_owned(),
            key,
            quirks: Quirks::default(),
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("provider", &self.provider)
            .field("protocol", &self.protocol.id())
            .field("base_url", &self.base_url)
            .field("key", &self.key)
            .finish()
    }
}
