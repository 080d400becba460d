//! The engine: one HTTP client, its timeouts and limits, and the calls made with it (start a
//! stream, list models).

use crate::endpoint::Endpoint;
use crate::error::StreamError;
use crate::http::{read_body, read_error_body, send};
use crate::http_error::error_from_response;
use crate::limits::Limits;
use crate::net::{Clients, Proxies};
use crate::provider::{MODEL_LIST_PAGES, ModelInfo};
use crate::redact::{self, Redactor};
use crate::request::ChatRequest;
use crate::stream::{ChatStream, StreamOptions};
use crate::timeouts::Timeouts;

/// Runs streams and other provider calls over pooled HTTP clients.
#[derive(Clone)]
pub struct Engine {
    http: Clients,
    timeouts: Timeouts,
    limits: Limits,
}

impl Engine {
    /// An engine with these timeouts, using the proxies the environment names
    /// ([`Proxies::from_env`]; loopback always goes direct) and following redirects only within
    /// a request's origin. TLS is set up on the first `https://` request, not here: a local
    /// `http://` endpoint never pays for reading the system's CA certificates.
    pub fn new(timeouts: Timeouts) -> Result<Self, StreamError> {
        Ok(Self {
            http: Clients::new(timeouts, Proxies::from_env())?,
            timeouts,
            limits: Limits::default(),
        })
    }

    /// An engine over an HTTP client configured elsewhere: start from [`crate::net::client_builder`]
    /// (Runnel's redirect and proxy rules) and add extra root certificates or HTTP/2 prior
    /// knowledge for an `h2c` server. The connect timeout is then the client's own;
    /// `timeouts.connect` only names it in errors.
    pub fn with_client(http: reqwest::Client, timeouts: Timeouts) -> Self {
        Self {
            http: Clients::One(http),
            timeouts,
            limits: Limits::default(),
        }
    }

    /// This engine with other bounds on what servers send (the default is [`Limits::default`]).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The bounds this engine applies to what servers send.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The timeouts this engine applies.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Starts streaming the answer to `request` from `endpoint`. Must be called inside a Tokio
    /// runtime; the stream runs on a task of its own.
    pub fn stream(&self, endpoint: &Endpoint, request: &ChatRequest, options: StreamOptions) -> ChatStream {
        let url = endpoint.protocol.chat_url(&endpoint.base_url, request);
        match self.http.for_url(&url) {
            Ok(http) => ChatStream::spawn(http, url, endpoint, request, self.timeouts, self.limits, options),
            Err(error) => ChatStream::failed(error, self.limits),
        }
    }

    /// Lists the models `endpoint` offers (`GET /v1/models`, every page of a paged list).
    pub async fn models(&self, endpoint: &Endpoint) -> Result<Vec<ModelInfo>, StreamError> {
        let redactor = endpoint
            .key
            .as_ref()
            .map(|key| Redactor::new(key.expose()))
            .unwrap_or_default();
        redact::scope(redactor.clone(), self.fetch_models(endpoint))
            .await
            .map_err(|error| error.redact(&redactor))
    }

    /// Every page of the list (up to [`MODEL_LIST_PAGES`], each within the model-list bound), its
    /// models sorted by id.
    async fn fetch_models(&self, endpoint: &Endpoint) -> Result<Vec<ModelInfo>, StreamError> {
        let protocol = endpoint.protocol;
        let mut url = protocol.models_url(&endpoint.base_url);
        let mut models = Vec::new();
        for page in 1..=MODEL_LIST_PAGES {
            let body = self.fetch_model_page(endpoint, &url).await?;
            models.extend(protocol.parse_models(&body)?);
            match protocol.next_models_url(&endpoint.base_url, &body) {
                Some(next) if page < MODEL_LIST_PAGES => url = next,
                Some(_) => tracing::warn!(pages = page, "the model list names more pages than are read"),
                None => break,
            }
        }
        models.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(models)
    }

    /// One page of the model list at `url`: its body, or the error its response stands for.
    async fn fetch_model_page(&self, endpoint: &Endpoint, url: &str) -> Result<Vec<u8>, StreamError> {
        let request = self
            .http
            .for_url(url)?
            .get(url)
            .headers(endpoint.protocol.headers(endpoint.key.as_ref()));
        let response = send(request, &self.timeouts).await?;
        let status = response.status();
        let headers = response.headers().clone();
        if !status.is_success() {
            let body = read_error_body(response, self.timeouts.idle, &self.limits).await;
            return Err(error_from_response(endpoint.protocol, status.as_u16(), &headers, &body));
        }
        read_body(
            response,
            self.timeouts.idle,
            self.limits.model_list_bytes,
            "the model list",
        )
        .await
        .map_err(|(_, error)| error)
    }
}
