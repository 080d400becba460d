//! `runnel`: stream chats from a terminal on Runnel's core. This crate parses arguments and
//! prints; everything else is `runnel-core`.
//!
//! Exit codes: 0 a complete answer, 1 an error, 2 bad usage, 3 an incomplete stream (the partial
//! text is on stdout), 130 stopped with Ctrl-C.

mod chat;
mod compare;
mod exit;
mod failure;
mod keys;
mod models;
mod print;
mod repl;
mod replay;
mod request_args;
mod select;
mod show;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::exit::EXIT_ERROR;

#[derive(Parser)]
#[command(
    name = "runnel",
    version,
    about = "Stream answers from LLMs: OpenAI, Anthropic, Google Gemini, Ollama, any OpenAI-compatible server, or the offline demo."
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
