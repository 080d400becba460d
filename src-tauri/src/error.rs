//! The one error shape the page sees, [`UiError`] (`{ kind, message, status, error_type,
//! retry_after, retryable }`), and the error every command returns, [`AppError`], which
//! serializes to it. Every `UiError` is made from an `AppError` (a stream's error is
//! [`AppError::Provider`]), so its `retryable` is decided in one place, [`is_retryable`]; the
//! page switches on `kind` and shows `message` as it is.

use runnel_core::sse_file::SseFileError;
use runnel_core::{ErrorKind, KeyError, ResolveError, StreamError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A provider call failed (listing models, testing a key).
    #[error("{0}")]
    Provider(#[from] StreamError),
    /// The keychain refused or a key is missing.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// The database failed.
    #[error("the history database failed: {0}")]
    Storage(#[from] rusqlite::Error),
    /// The page asked for something that is not there (a deleted conversation, an unknown provider).
    #[error("{0}")]
    NotFound(String),
    /// The page sent something unusable (an empty message, a bad URL).
    #[error("{0}")]
    InvalidInput(String),
    /// A provider could not be made ready (no key, bad base URL).
    #[error("{0}")]
    Config(String),
    /// A recorded stream could not be written or read (an export, an `.sse` file opened).
    #[error("{0}")]
    File(#[from] SseFileError),
    /// A conversation export could not be written, or its folder shown.
    #[error("{0}")]
    Export(#[from] crate::export_error::ExportError),
    /// A file given to import is not a conversation Runnel can restore.
    #[error("{0}")]
    Import(#[from] crate::export_error::ImportError),
    /// An ended answer could not be saved: its text is only on the page.
    #[error("This answer could not be saved ({0}). Its text is only on screen: copy it to keep it.")]
    Unsaved(Box<AppError>),
}

impl From<ResolveError> for AppError {
    fn from(error: ResolveError) -> Self {
        match error {
            ResolveError::Key(key) => Self::Key(key),
            other => Self::Config(other.to_string()),
        }
    }
}

impl AppError {
    /// This error as the core's stream error, for the `error` ending of an answer that failed
    /// before its stream started: a provider's error as it is, anything else under the core's
    /// nearest kind (`not_found`, else `config`). The page shows the app's own kind (`key`, …),
    /// which the ending's `saved.error` carries.
    pub fn to_stream_error(&self) -> StreamError {
        match self {
            Self::Provider(error) => error.clone(),
            Self::NotFound(message) => StreamError::new(ErrorKind::NotFound, message.clone()),
            other => StreamError::new(ErrorKind::Config, other.to_string()),
        }
    }
}

/// Result of a command.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The stable word the page switches on.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Provider(error) => error.kind.as_str(),
            Self::Key(_) => "key",
            Self::Storage(_) | Self::Unsaved(_) => "storage",
            Self::NotFound(_) => "not_found",
            Self::InvalidInput(_) => "invalid_input",
            Self::Config(_) => "config",
            Self::File(_) | Self::Export(_) => "file",
            Self::Import(_) => "invalid_input",
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        UiError::from(self).serialize(serializer)
    }
}

/// Whether trying the same request again may succeed, by the error's `kind`: the core's rule
/// ([`ErrorKind::is_retryable`]) for its kinds; of the app's own, a key that cannot be read or
/// input that cannot be sent is not retryable, a failed save is.
pub fn is_retryable(kind: &str) -> bool {
    match kind {
        "key" | "invalid_input" | "file" => false,
        "storage" => true,
        core => ErrorKind::parse(core).is_none_or(ErrorKind::is_retryable),
    }
}

/// An error as the page shows it: every command's error and every answer's error.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct UiError {
    /// Stable snake_case kind.
    pub kind: String,
    /// A sentence for a person.
    pub message: String,
    /// The HTTP status, if any.
    pub status: Option<u16>,
    /// The provider's error type, if any.
    pub error_type: Option<String>,
    /// Seconds to wait before retrying, if the provider said.
    pub retry_after: Option<f64>,
    /// Whether Retry may help ([`is_retryable`]); the page offers Retry first when it may.
    pub retryable: bool,
}

impl From<&AppError> for UiError {
    fn from(error: &AppError) -> Self {
        let provider = match error {
            AppError::Provider(error) => Some(error),
            _ => None,
        };
        let kind = error.kind();
        Self {
            kind: kind.to_owned(),
            message: error.to_string(),
            status: provider.and_then(|error| error.status),
            error_type: provider.and_then(|error| error.error_type.clone()),
            retry_after: provider.and_then(|error| error.retry_after),
            retryable: is_retryable(kind),
        }
    }
}

impl From<&StreamError> for UiError {
    fn from(error: &StreamError) -> Self {
        Self::from(&AppError::Provider(error.clone()))
    }
}

/// A `UiError` as the database keeps it; `retryable` is not trusted from there (rows written
/// before it existed have none) but decided afresh.
#[derive(Deserialize)]
struct StoredError {
    kind: String,
    message: String,
    status: Option<u16>,
    error_type: Option<String>,
    retry_after: Option<f64>,
}

impl<'de> Deserialize<'de> for UiError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = StoredError::deserialize(deserializer)?;
        Ok(Self {
            retryable: is_retryable(&stored.kind),
            kind: stored.kind,
            message: stored.message,
            status: stored.status,
            error_type: stored.error_type,
            retry_after: stored.retry_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_the_pages_ui_error_shape() {
        let mut provider = StreamError::new(ErrorKind::RateLimited, "HTTP 429: slow down");
        provider.status = Some(429);
        provider.retry_after = Some(20.0);
        let json = serde_json::to_value(AppError::from(provider)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "rate_limited", "message": "HTTP 429: slow down", "status": 429,
                "error_type": null, "retry_after": 20.0, "retryable": true})
        );
        let json = serde_json::to_value(AppError::NotFound("no conversation 7".into())).unwrap();
        assert_eq!(json["kind"], "not_found");
        assert_eq!(json["status"], serde_json::Value::Null);
        assert_eq!(json["retryable"], false);
    }

    #[test]
    fn retryable_is_decided_by_kind_for_every_way_an_error_is_made() {
        let stream = |kind| UiError::from(&StreamError::new(kind, "x"));
        for kind in [
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Incomplete,
            ErrorKind::Protocol,
        ] {
            assert!(stream(kind).retryable, "{kind:?}");
        }
        for kind in [
            ErrorKind::Authentication,
            ErrorKind::TooLarge,
            ErrorKind::Config,
            ErrorKind::NotFound,
        ] {
            assert!(!stream(kind).retryable, "{kind:?}");
        }
        assert!(!UiError::from(&AppError::InvalidInput("empty".into())).retryable);
        let unsaved = UiError::from(&AppError::Unsaved(Box::new(AppError::Config("locked".into()))));
        assert_eq!((unsaved.kind.as_str(), unsaved.retryable), ("storage", true));
        assert!(unsaved.message.starts_with("This answer could not be saved (locked)."));
    }

    #[test]
    fn a_stored_error_gets_retryable_afresh() {
        let old: UiError = serde_json::from_str(
            r#"{"kind":"overloaded","message":"busy","status":529,"error_type":null,"retry_after":null}"#,
        )
        .unwrap();
        assert!(old.retryable);
        let stored: UiError = serde_json::from_str(
            r#"{"kind":"authentication","message":"no","status":401,"error_type":null,"retry_after":null,"retryable":true}"#,
        )
        .unwrap();
        assert!(!stored.retryable, "the rule decides, not the row");
    }
}
