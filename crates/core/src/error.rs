//! Errors a person can act on: what went wrong, in which words the provider said it, and when
//! to try again.
//!
//! [`StreamError`] is the one error that leaves a stream. It serializes to
//! `{ kind, message, status, error_type, retry_after, timeout }` (absent values as `null`) where
//! `kind` is a stable snake_case word a UI can switch on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::redact::Redactor;

/// What kind of failure ended a stream.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The key is missing, malformed or rejected (HTTP 401).
    Authentication,
    /// The key may not use this resource (HTTP 403).
    Permission,
    /// The model or endpoint does not exist (HTTP 404).
    NotFound,
    /// Too many requests or tokens (HTTP 429); see `retry_after`.
    RateLimited,
    /// The provider is overloaded (Anthropic 529, HTTP 503); try again later.
    Overloaded,
    /// The request itself was refused as invalid (HTTP 400, 413, 422).
    InvalidRequest,
    /// The provider failed (HTTP 5xx, or an error reported mid-stream).
    Server,
    /// The connection failed or broke before any answer started.
    Network,
    /// A connect, first-byte or idle timeout expired; see `timeout`.
    Timeout,
    /// The provider sent something that is not a valid stream of its kind.
    Protocol,
    /// The stream ended before its terminator (`[DONE]`, `message_stop`): the text is partial.
    Incomplete,
    /// The provider sent more than a bound of [`Limits`](crate::Limits) allows (one event, the
    /// answer, tool calls, a model list); the message names the limit, the text before is kept.
    TooLarge,
    /// The request could not be made as configured (bad base URL, no key, unknown provider).
    Config,
}

impl ErrorKind {
    /// The kind a stable word names (`rate_limited`), if it names one.
    pub fn parse(word: &str) -> Option<Self> {
        use serde::de::value::{Error, StrDeserializer};
        Self::deserialize(StrDeserializer::<Error>::new(word)).ok()
    }

    /// The stable snake_case word for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authentication => "authentication",
            Self::Permission => "permission",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::Overloaded => "overloaded",
            Self::InvalidRequest => "invalid_request",
            Self::Server => "server",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::Protocol => "protocol",
            Self::Incomplete => "incomplete",
            Self::TooLarge => "too_large",
            Self::Config => "config",
        }
    }

    /// Whether trying the same request again may succeed: the one retryability rule, which the
    /// CLI and the app (its `retryable` to the page) both follow.
    ///
    /// Not retryable: what only a change of key, settings or request can fix
    /// (`authentication`, `permission`, `not_found`, `invalid_request`, `config`), and an answer
    /// past a limit (`too_large`), which the same request would pass again. Everything else is:
    /// rate limits and overloads pass, networks and servers recover, and a timeout, a protocol
    /// error or a cut stream need not happen twice.
    pub fn is_retryable(self) -> bool {
        match self {
            Self::Authentication
            | Self::Permission
            | Self::NotFound
            | Self::InvalidRequest
            | Self::Config
            | Self::TooLarge => false,
            Self::RateLimited
            | Self::Overloaded
            | Self::Server
            | Self::Network
            | Self::Timeout
            | Self::Protocol
            | Self::Incomplete => true,
        }
    }

    /// The kind an HTTP status stands for.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 | 413 | 422 => Self::InvalidRequest,
            401 => Self::Authentication,
            403 => Self::Permission,
            404 => Self::NotFound,
            408 => Self::Timeout,
            429 => Self::RateLimited,
            503 | 529 => Self::Overloaded,
            500..=599 => Self::Server,
            _ => Self::Protocol,
        }
    }
}

/// Which timeout expired.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutPhase {
    /// No TCP/TLS connection within the connect timeout.
    Connect,
    /// Connected, but no response within the first-byte timeout.
    FirstByte,
    /// The response went silent for longer than the idle timeout.
    Idle,
}

/// Why a stream (or a request beside one, such as listing models) failed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct StreamError {
    /// What kind of failure; the word a UI switches on.
    pub kind: ErrorKind,
    /// A sentence for a person, with the provider's own message when it sent one.
    pub message: String,
    /// The HTTP status, when the failure came with one.
    #[serde(default)]
    pub status: Option<u16>,
    /// The provider's error type (`rate_limit_error`, `invalid_api_key`, …), when it sent one.
    #[serde(default)]
    pub error_type: Option<String>,
    /// Seconds to wait before retrying, from `retry-after` / `retry-after-ms`.
    #[serde(default)]
    pub retry_after: Option<f64>,
    /// Which timeout expired, for [`ErrorKind::Timeout`].
    #[serde(default)]
    pub timeout: Option<TimeoutPhase>,
}

impl StreamError {
    /// An error of `kind` with a message and nothing else.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            error_type: None,
            retry_after: None,
            timeout: None,
        }
    }

    /// A stream that ended before its terminator.
    pub fn incomplete(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Incomplete, message)
    }

    /// A stream whose body ended before the protocol's `terminator`: in the middle of an event
    /// (`mid_event`), or between events.
    pub fn cut_short(terminator: &str, mid_event: bool) -> Self {
        let message = if mid_event {
            format!("the stream ended in the middle of an event, before `{terminator}`; the answer is partial")
        } else {
            format!("the stream ended without `{terminator}`; the answer is partial")
        };
        Self::incomplete(message)
    }

    /// A stream that broke the provider's protocol.
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    /// A timeout in `phase` after `after`.
    pub fn timeout(phase: TimeoutPhase, after: Duration) -> Self {
        let what = match phase {
            TimeoutPhase::Connect => "could not connect",
            TimeoutPhase::FirstByte => "the provider did not start answering",
            TimeoutPhase::Idle => "the stream went silent",
        };
        let mut error = Self::new(
            ErrorKind::Timeout,
            format!("{what} within {:.1} s", after.as_secs_f64()),
        );
        error.timeout = Some(phase);
        error
    }

    /// Masks every fragment of the key ([`Redactor`]) in the message and the provider's error
    /// type, so a key echoed by a server, whole or in part, never travels further.
    pub fn redact(mut self, redactor: &Redactor) -> Self {
        self.message = redactor.text(&self.message).into_owned();
        self.error_type = self.error_type.as_deref().map(|t| redactor.text(t).into_owned());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_a_stable_kind_and_every_field() {
        let error = StreamError::new(ErrorKind::RateLimited, "slow down");
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"kind":"rate_limited","message":"slow down","status":null,"error_type":null,"retry_after":null,"timeout":null}"#
        );
        let timeout = StreamError::timeout(TimeoutPhase::Idle, Duration::from_millis(1500));
        let json = serde_json::to_value(&timeout).unwrap();
        assert_eq!(json["kind"], "timeout");
        assert_eq!(json["timeout"], "idle");
        assert_eq!(json["message"], "the stream went silent within 1.5 s");
    }

    #[test]
    fn a_too_large_error_serializes_with_its_own_kind() {
        let error = crate::limits::too_large("the answer", 64 << 20);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["kind"], "too_large");
        assert_eq!(json["kind"], error.kind.as_str());
        assert_eq!(json["message"], "the answer passed the limit of 64 MiB");
        assert!(!error.kind.is_retryable());
    }

    #[test]
    fn only_what_a_change_of_key_settings_or_request_fixes_is_not_retryable() {
        // The words the page showed without a prominent Retry before the app took this rule.
        let not_retryable = [
            "authentication",
            "permission",
            "not_found",
            "invalid_request",
            "config",
            "too_large",
        ];
        let every_kind = [
            ErrorKind::Authentication,
            ErrorKind::Permission,
            ErrorKind::NotFound,
            ErrorKind::RateLimited,
            ErrorKind::Overloaded,
            ErrorKind::InvalidRequest,
            ErrorKind::Server,
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::Protocol,
            ErrorKind::Incomplete,
            ErrorKind::TooLarge,
            ErrorKind::Config,
        ];
        for kind in every_kind {
            assert_eq!(
                kind.is_retryable(),
                !not_retryable.contains(&kind.as_str()),
                "{}",
                kind.as_str()
            );
        }
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(ErrorKind::from_status(401), ErrorKind::Authentication);
        assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_status(529), ErrorKind::Overloaded);
        assert_eq!(ErrorKind::from_status(502), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(422), ErrorKind::InvalidRequest);
    }

    #[test]
    fn redaction_masks_every_copy_and_fragment_of_the_key_in_message_and_type() {
        let redactor = Redactor::new("sk-123456789");
        let mut error = StreamError::new(ErrorKind::Authentication, "bad key sk-123456789 (sk-12345…)");
        error.error_type = Some("invalid_key_sk-123456789".into());
        let error = error.redact(&redactor);
        assert_eq!(error.message, "bad key [redacted] ([redacted]…)");
        assert_eq!(error.error_type.as_deref(), Some("invalid_key_[redacted]"));
    }
}
