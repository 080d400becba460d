//! Why a command failed, and the exit code that says so: bad usage (2) or an error (1).

use runnel_core::ResolveError;

/// A command's failure, printed as `error: …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The command line asks for what does not exist: an unknown provider, a bad base URL, an
    /// empty prompt (exit 2, like clap's own usage errors).
    #[error("{0}")]
    Usage(String),
    /// The command ran and failed (exit 1).
    #[error("{0}")]
    Error(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => crate::exit::EXIT_USAGE,
            Self::Error(_) => crate::exit::EXIT_ERROR,
        }
    }

    /// The same failure with `hint` appended to its message.
    pub fn with_hint(self, hint: &str) -> Self {
        match self {
            Self::Usage(message) => Self::Usage(format!("{message}{hint}")),
            Self::Error(message) => Self::Error(format!("{message}{hint}")),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::Error(message)
    }
}

impl From<ResolveError> for Failure {
    fn from(error: ResolveError) -> Self {
        match error {
            ResolveError::UnknownProvider { .. } | ResolveError::NoBaseUrl(_) | ResolveError::BadBaseUrl(_) => {
                Self::Usage(error.to_string())
            }
            other => Self::Error(other.to_string()),
        }
    }
}
