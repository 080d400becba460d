//! [`Timeouts`]: how long each phase of a request may take.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long each phase of a request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// To open the TCP (and TLS) connection.
    pub connect: Duration,
    /// From the connection being made to the response head. (Sending is timed as a whole, so the
    /// wait allowed is `connect + first_byte`: a connection that never comes is always reported
    /// as a connect timeout.)
    pub first_byte: Duration,
    /// Between two reads of the response body. Reasoning models can think silently for long.
    pub idle: Duration,
}

impl Timeouts {
    /// The whole wait allowed for a response head, connection included.
    pub fn until_response(&self) -> Duration {
        self.connect + self.first_byte
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(60),
            idle: Duration::from_secs(300),
        }
    }
}
