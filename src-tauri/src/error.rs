//! The error every command returns. It serializes to the page's `UiError`
//! (`{ kind, message, status, error_type, retry_after }`), so the page can switch on `kind` and
//! show `message` as it is.

use runnel_core::{ErrorKind, KeyError, ResolveError, StreamError};
use serde::ser::SerializeStruct;

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
            Self::Storage(_) => "storage",
            Self::NotFound(_) => "not_found",
            Self::InvalidInput(_) => "invalid_input",
            Self::Config(_) => "config",
        }
    }
}

impl serde::Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let provider = match self {
            Self::Provider(error) => Some(error),
            _ => None,
        };
        let mut state = serializer.serialize_struct("UiError", 5)?;
        state.serialize_field("kind", self.kind())?;
        state.serialize_field("message", &self.to_string())?;
        state.serialize_field("status", &provider.and_then(|error| error.status))?;
        state.serialize_field("error_type", &provider.and_then(|error| error.error_type.as_deref()))?;
        state.serialize_field("retry_after", &provider.and_then(|error| error.retry_after))?;
        state.end()
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
                "error_type": null, "retry_after": 20.0})
        );
        let json = serde_json::to_value(AppError::NotFound("no conversation 7".into())).unwrap();
        assert_eq!(json["kind"], "not_found");
        assert_eq!(json["status"], serde_json::Value::Null);
    }
}
