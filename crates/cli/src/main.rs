//! `runnel`: stream chats from a terminal on Runnel's core. This crate parses arguments and
//! prints; everything else is `runnel-core`.
//!
//! Exit codes: 0 a complete answer, 1 an error, 2 bad usage, 3 an incomplete stream (the partial
//! text is on stdout), 130 stopped with Ctrl-C.

mod chat;
mod compare;
mod failure;
mod keys;
mod models;
mod print;
mod repl;
mod replay;
mod select;
mod show;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use runnel_core::{ChatOptions, Engine, Timeouts};

/// Exit code for an error.
const EXIT_ERROR: u8 = 1;
/// Exit code for bad usage (an unknown provider, a bad base URL, an empty prompt).
const EXIT_USAGE: u8 = 2;
/// Exit code for a stream that ended before its terminator.
const EXIT_INCOMPLETE: u8 = 3;
/// Exit code after Ctrl-C stopped the answer.
const EXIT_STOPPED: u8 = 130;

#[derive(Parser)]
#[command(
    name = "runnel",
    version,
    about = "Stream answers from LLMs: OpenAI, Anthropic, any OpenAI-compatible server, or the offline demo."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Stream one answer to stdout as it arrives (or, with -i or no prompt at a terminal, a
    /// whole conversation).
    Chat(chat::ChatArgs),
    /// Stream several models in parallel, labelled, then print a summary table.
    Compare(compare::CompareArgs),
    /// List a provider's models (all providers when none is named).
    Models(models::ModelsArgs),
    /// Store, check or delete a provider's API key in the OS keychain.
    Keys(keys::KeysArgs),
    /// Serve a stream saved with `chat --save-sse` on 127.0.0.1, as its provider's endpoint,
    /// until Ctrl-C.
    Replay(replay::ReplayArgs),
}

/// Options shared by the commands that send requests.
#[derive(Args, Clone)]
pub struct RequestArgs {
    /// System prompt.
    #[arg(long)]
    system: Option<String>,
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
    fn options(&self) -> ChatOptions {
        ChatOptions {
            max_tokens: self.max_tokens,
            temperature: self.temperature,
            stop: self.stop.clone(),
        }
    }

    fn engine(&self) -> Result<Engine, String> {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Ok(filter) = std::env::var("RUNNEL_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Chat(args) => chat::run(args).await,
            Command::Compare(args) => compare::run(args).await,
            Command::Models(args) => models::run(args).await,
            Command::Keys(args) => keys::run(args).await,
            Command::Replay(args) => replay::run(args).await,
        }
    });
    // Streams stopped at Ctrl-C may still be closing; do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Prints `error: message` on stderr and returns the error exit code.
fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_ERROR)
}
