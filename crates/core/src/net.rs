//! The HTTP client every request goes through: where a request may be redirected, and which
//! proxy carries it.
//!
//! - **Redirects stay on their origin.** A key travels in headers (`x-api-key`,
//!   `Authorization`), and reqwest strips only some of them on a cross-origin redirect; so no
//!   request follows a redirect to another scheme, host or port. It fails with
//!   [`RedirectRefused`], naming where the provider pointed. Same-origin redirects are followed
//!   (at most [`MAX_REDIRECTS`]).
//! - **Proxies as the SDKs read them**: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`,
//!   upper case first, then lower case. Loopback (`127.0.0.0/8`, `::1`, `localhost`) always goes
//!   direct, whatever `NO_PROXY` says: the demo and local servers never reach a proxy.
//! - **TLS only for `https://`** (`Clients`): `http://` URLs go through a client without TLS
//!   roots, so a local endpoint never waits for the system's CA certificates to be read; the
//!   client for `https://` (rustls, verifying with the platform's roots) is built on first use.

use std::sync::{Arc, OnceLock};

use reqwest::redirect::{Attempt, Policy};
use reqwest::{NoProxy, Proxy};

use crate::error::{ErrorKind, StreamError};
use crate::timeouts::Timeouts;

/// How many same-origin redirects a request follows.
pub const MAX_REDIRECTS: usize = 10;

/// Destinations never sent through a proxy, added to any `NO_PROXY`.
const LOOPBACK: &str = "127.0.0.0/8,::1,localhost";

/// A redirect to another origin, which Runnel does not follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{from} redirected to {to}, another origin; Runnel does not follow it (the key stays with {from}): set the base URL to it"
)]
pub struct RedirectRefused {
    /// The origin the request was sent to.
    pub from: String,
    /// Where the provider pointed.
    pub to: String,
}

/// The proxies the environment asks for.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    http: Option<String>,
    https: Option<String>,
    no_proxy: String,
}

impl std::fmt::Debug for Proxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A proxy URL may hold a password.
        f.debug_struct("Proxies")
            .field("http", &self.http.is_some())
            .field("https", &self.https.is_some())
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl Proxies {
    /// The proxies this process's environment names.
    pub fn from_env() -> Self {
        Self::from_vars(&|name| std::env::var(name).ok())
    }

    /// The proxies named by `var` (an environment lookup): `HTTP_PROXY` for `http://` URLs,
    /// `HTTPS_PROXY` for `https://` ones, `ALL_PROXY` for either when its own is unset, and the
    /// exceptions in `NO_PROXY`. Each is read upper case first, then lower case; empty means unset.
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Self {
        let read = |upper: &str| {
            [upper.to_owned(), upper.to_ascii_lowercase()].iter().find_map(|name| {
                var(name)
                    .map(|value| value.trim().to_owned())
                    .filter(|value| !value.is_empty())
            })
        };
        let all = read("ALL_PROXY");
        Self {
            http: read("HTTP_PROXY").or_else(|| all.clone()),
            https: read("HTTPS_PROXY").or(all),
            no_proxy: read("NO_PROXY").unwrap_or_default(),
        }
    }

    /// Installs these proxies on `builder` (and only these: reqwest's own reading of the
    /// environment is turned off).
    fn apply(&self, mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, StreamError> {
        builder = builder.no_proxy();
        let direct = || NoProxy::from_string(&format!("{LOOPBACK},{}", self.no_proxy));
        if let Some(url) = &self.http {
            let proxy = Proxy::http(url.as_str()).map_err(|_| bad_proxy("HTTP_PROXY (or ALL_PROXY)"))?;
            builder = builder.proxy(proxy.no_proxy(direct()));
        }
        if let Some(url) = &self.https {
            let proxy = Proxy::https(url.as_str()).map_err(|_| bad_proxy("HTTPS_PROXY (or ALL_PROXY)"))?;
            builder = builder.proxy(proxy.no_proxy(direct()));
        }
        Ok(builder)
    }
}

/// The value is not shown: a proxy URL may hold a password.
fn bad_proxy(var: &str) -> StreamError {
    StreamError::new(ErrorKind::Config, format!("{var} is not a proxy URL"))
}

/// A client builder with Runnel's settings: connect timeout, no Nagle delay, user agent, the
/// same-origin redirect policy and `proxies`. Add to it (root certificates, HTTP/2 prior
/// knowledge) and pass the client to [`crate::Engine::with_client`].
pub fn client_builder(timeouts: &Timeouts, proxies: &Proxies) -> Result<reqwest::ClientBuilder, StreamError> {
    let builder = reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .tcp_nodelay(true)
        .user_agent(concat!("runnel/", env!("CARGO_PKG_VERSION")))
        .redirect(Policy::custom(same_origin));
    proxies.apply(builder)
}

/// The HTTP clients of an [`Engine`](crate::Engine): either the one its caller configured, or
/// Runnel's own pair, each built when first needed.
#[derive(Clone)]
pub(crate) enum Clients {
    /// A client configured elsewhere ([`crate::Engine::with_client`]), for every URL.
    One(reqwest::Client),
    /// A client per kind of URL.
    ByScheme(Arc<ByScheme>),
}

/// Runnel's own clients: one without TLS roots for `http://` URLs (building it reads no file),
/// and one for everything else, built on the first `https://` request: reading the platform's
/// CA certificates takes tens of milliseconds, which a local endpoint never needs to pay.
pub(crate) struct ByScheme {
    timeouts: Timeouts,
    proxies: Proxies,
    /// For `http://` URLs reached directly or through a plain-HTTP proxy.
    plain: reqwest::Client,
    tls: OnceLock<Result<reqwest::Client, StreamError>>,
}

impl Clients {
    /// Runnel's clients for these timeouts and proxies; the `https://` one is built later.
    pub(crate) fn new(timeouts: Timeouts, proxies: Proxies) -> Result<Clients, StreamError> {
        // No roots: this client never verifies a certificate, since it never speaks TLS.
        let plain = build(client_builder(&timeouts, &proxies)?.tls_certs_only([]))?;
        Ok(Clients::ByScheme(Arc::new(ByScheme {
            timeouts,
            proxies,
            plain,
            tls: OnceLock::new(),
        })))
    }

    /// The client for requests to `url` (a redirect never changes the scheme: it stays on its
    /// origin).
    pub(crate) fn for_url(&self, url: &str) -> Result<&reqwest::Client, StreamError> {
        let clients = match self {
            Clients::One(client) => return Ok(client),
            Clients::ByScheme(clients) => clients,
        };
        let https_proxy = clients
            .proxies
            .http
            .as_deref()
            .is_some_and(|proxy| starts_with_ignore_case(proxy, "https:"));
        if starts_with_ignore_case(url, "http:") && !https_proxy {
            return Ok(&clients.plain);
        }
        clients
            .tls
            .get_or_init(|| build(client_builder(&clients.timeouts, &clients.proxies)?))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, StreamError> {
    builder
        .build()
        .map_err(|error| StreamError::new(ErrorKind::Config, format!("cannot start the HTTP client: {error}")))
}

/// The redirect policy: follow only within the origin of the first request.
fn same_origin(attempt: Attempt<'_>) -> reqwest::redirect::Action {
    let Some(first) = attempt.previous().first() else {
        return attempt.follow();
    };
    if first.origin() != attempt.url().origin() {
        let refused = RedirectRefused {
            from: first.origin().ascii_serialization(),
            to: attempt.url().to_string(),
        };
        return attempt.error(refused);
    }
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
    }
    attempt.follow()
}

/// The typed error for a send that failed on a refused redirect.
pub(crate) fn redirect_error(error: &reqwest::Error) -> Option<StreamError> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RedirectRefused>() {
            return Some(StreamError::new(ErrorKind::Config, refused.to_string()));
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn proxies_are_read_like_the_sdks() {
        let proxies = Proxies::from_vars(&vars(&[
            ("ALL_PROXY", "http://all:1"),
            ("https_proxy", "http://lower:2"),
            ("no_proxy", "corp.example"),
        ]));
        assert_eq!(proxies.http.as_deref(), Some("http://all:1"));
        assert_eq!(proxies.https.as_deref(), Some("http://lower:2"));
        assert_eq!(proxies.no_proxy, "corp.example");
        let upper_wins = Proxies::from_vars(&vars(&[("HTTP_PROXY", "http://up:1"), ("http_proxy", "http://low:1")]));
        assert_eq!(upper_wins.http.as_deref(), Some("http://up:1"));
        assert_eq!(Proxies::from_vars(&vars(&[("HTTP_PROXY", " ")])), Proxies::default());
    }

    #[test]
    fn http_urls_take_the_client_without_roots_unless_their_proxy_speaks_tls() {
        let address = |clients: &Clients, url: &str| std::ptr::from_ref(clients.for_url(url).unwrap());
        let direct = Clients::new(Timeouts::default(), Proxies::default()).unwrap();
        let plain = address(&direct, "http://127.0.0.1:8080/v1");
        assert_eq!(plain, address(&direct, "HTTP://localhost/v1"));
        assert_ne!(plain, address(&direct, "https://api.example/v1"));
        // An https:// proxy for http:// URLs needs TLS: those go through the TLS client.
        let proxies = Proxies::from_vars(&vars(&[("HTTP_PROXY", "https://proxy.example:3128")]));
        let proxied = Clients::new(Timeouts::default(), proxies).unwrap();
        assert_eq!(
            address(&proxied, "http://box.example/v1"),
            address(&proxied, "https://api.example/v1")
        );
    }

    #[test]
    fn a_bad_proxy_url_is_named_without_its_value() {
        let proxies = Proxies::from_vars(&vars(&[("HTTPS_PROXY", "http://user:secret@[bad")]));
        let error = client_builder(&Timeouts::default(), &proxies).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Config);
        assert!(
            error.message.contains("HTTPS_PROXY") && !error.message.contains("secret"),
            "{}",
            error.message
        );
    }
}
