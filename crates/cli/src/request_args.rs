//! The options of a request, shared by the commands that send one (`chat`, `compare`): the
//! system prompt, sampling options and timeouts.

use std::time::Duration;

use clap::Args;
use runnel_core::{ChatOptions, Engine, Timeouts};

/// Options shared by the commands that send requests.
#[derive(Args, Clone)]
pub struct RequestArgs {
    /// System prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// Most tokens in the answer.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long)]
    temperature: Option<f32>,
    /// A sequence that ends the answer (repeatable).
    #[arg(long = "stop")]
    stop: Vec<String>,
    /// Seconds allowed to connect.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    connect_timeout: f64,
    /// Seconds allowed until the response starts.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    first_byte_timeout: f64,
    /// Seconds the stream may stay silent.
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    idle_timeout: f64,
}

impl RequestArgs {
    /// The request's sampling options.
    pub fn options(&self) -> ChatOptions {
        ChatOptions {
            max_tokens: self.max_tokens,
            temperature: self.temperature,
            stop: self.stop.clone(),
        }
    }

    /// An engine with these timeouts; the error names an option that is not a positive number of
    /// seconds.
    pub fn engine(&self) -> Result<Engine, String> {
        let seconds = |value: f64, name: &str| {
            Duration::try_from_secs_f64(value).map_err(|_| format!("--{name} must be a positive number of seconds"))
        };
        let timeouts = Timeouts {
            connect: seconds(self.connect_timeout, "connect-timeout")?,
            first_byte: seconds(self.first_byte_timeout, "first-byte-timeout")?,
            idle: seconds(self.idle_timeout, "idle-timeout")?,
        };
        Engine::new(timeouts).map_err(|error| error.to_string())
    }
}
