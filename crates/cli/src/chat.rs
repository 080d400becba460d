//! `runnel chat`: one answer, streamed to stdout as it arrives (text), or as JSON lines
//! (`--events`), or as raw SSE events with arrival times (`--raw`); `--save-sse` also saves the
//! response as it arrived, for `runnel replay`.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use runnel_core::sse_file::{self, SseFileError};
use runnel_core::{ChatRequest, Completion, FinishReason, Limits, Message, Outcome, StreamOptions};

use crate::exit::{EXIT_ERROR, EXIT_STOPPED};
use crate::failure::Failure;
use crate::print::{Format, print_stats, print_stream, report_error};
use crate::repl;
use crate::request_args::RequestArgs;
use crate::select;

/// Arguments of `runnel chat`.
#[derive(Args)]
pub struct ChatArgs {
    /// Provider and model as `provider/model` (e.g. `openai/gpt-4o`, `anthropic`, `demo`).
    #[arg(short = 'm', value_name = "PROVIDER/MODEL")]
    model_id: Option<String>,
    /// Provider id (openai, anthropic, ollama, lmstudio, llamacpp, vllm, openrouter, groq, custom, demo).
    #[arg(long)]
    provider: Option<String>,
    /// Model, as the provider names it.
    #[arg(long)]
    model: Option<String>,
    /// Base URL (OpenAI-style includes /v1; Anthropic's does not). With a provider named, its key
    /// goes there; alone, it is a custom endpoint that gets no provider's env key.
    #[arg(long)]
    base_url: Option<String>,
    /// The protocol to speak: one the provider offers, any for an endpoint given by --base-url alone (the help lists the core's protocols).
    #[arg(long, value_name = "PROTOCOL", value_parser = select::protocol_id, help = select::protocol_help("The protocol to speak: one the provider offers (its own by default), any for an endpoint given by --base-url alone"))]
    protocol: Option<String>,
    /// Print one JSON object per event instead of text.
    #[arg(long)]
    events: bool,
    /// Print the raw SSE events with their arrival times.
    #[arg(long)]
    raw: bool,
    /// Print timings and token counts to stderr at the end.
    #[arg(long)]
    stats: bool,
    /// Save the answer's stream to FILE as it arrived (the body byte for byte) with its timings
    /// in FILE.json, for `runnel replay` (one-shot only). A regular file at FILE or FILE.json is
    /// replaced; a symbolic link (or a folder) at either is refused, never followed.
    #[arg(long, value_name = "FILE")]
    save_sse: Option<PathBuf>,
    /// A conversation, turn by turn, read from stdin (the default with no prompt at a terminal).
    #[arg(short = 'i', long, conflicts_with_all = ["events", "raw", "prompt", "save_sse"])]
    interactive: bool,
    #[command(flatten)]
    request: RequestArgs,
    /// The prompt; `-` or nothing reads it from stdin.
    prompt: Vec<String>,
}

pub async fn run(args: ChatArgs) -> Result<u8, Failure> {
    let interactive = args.interactive || (args.prompt.is_empty() && std::io::stdin().is_terminal());
    let (model_id, provider, model) = (args.model_id.clone(), args.provider.clone(), args.model.clone());
    let (base_url, protocol) = (args.base_url.clone(), args.protocol.clone());
    let choice = tokio::task::spawn_blocking(move || {
        select::choose(select::Flags {
            model_id: model_id.as_deref(),
            provider: provider.as_deref(),
            model: model.as_deref(),
            base_url: base_url.as_deref(),
            protocol: protocol.as_deref(),
        })
    })
    .await
    .map_err(|error| error.to_string())??;
    let (endpoint, _) = select::endpoint_async(&choice, args.base_url.as_deref()).await?;
    let engine = args.request.engine()?;
    if interactive {
        if args.save_sse.is_some() {
            return Err(Failure::Usage(
                "--save-sse saves one answer: give the prompt on the command line or stdin".to_owned(),
            ));
        }
        let session = repl::Session {
            engine,
            choice,
            endpoint,
            base_url: args.base_url.clone(),
            system: args.request.system.clone(),
            options: args.request.options(),
            stats: args.stats,
        };
        return repl::run(session).await;
    }
    let prompt = prompt_text(&args.prompt)?;
    let mut messages = Vec::new();
    if let Some(system) = &args.request.system {
        messages.push(Message::system(system.clone()));
    }
    messages.push(Message::user(prompt));
    let mut request = ChatRequest::new(choice.model(), messages);
    request.options = args.request.options();

    let format = match (args.events, args.raw) {
        (true, _) => Format::Events,
        (false, true) => Format::Raw,
        _ => Format::Text,
    };
    let stream = engine.stream(
        &endpoint,
        &request,
        StreamOptions {
            raw: args.raw,
            record: args.save_sse.is_some(),
            price: choice.price(),
        },
    );
    let completion = print_stream(stream, format).await;
    if args.stats {
        print_stats(&choice, &completion);
    }
    let code = report(&completion, format);
    if let Some(path) = &args.save_sse {
        save(path, &completion)?;
    }
    Ok(code)
}

/// Writes the recorded stream to `path` and its sidecar, and says where on stderr.
fn save(path: &Path, completion: &Completion) -> Result<(), Failure> {
    let Some(recording) = &completion.recording else {
        return Err(Failure::Error("the stream was not recorded".to_owned()));
    };
    match sse_file::write(path, recording) {
        Ok(sidecar) => {
            eprintln!(
                "saved the stream to {} ({} bytes; timings in {})",
                path.display(),
                recording.body_len(),
                sidecar.display()
            );
            if recording.truncated {
                let limits = Limits::default();
                eprintln!(
                    "note: the stream passed the recording limit ({} MiB or {} reads); the file holds its start",
                    limits.recording_bytes >> 20,
                    limits.recording_chunks
                );
            }
            Ok(())
        }
        Err(SseFileError::NoResponse) => {
            eprintln!("note: no response arrived, so nothing was saved to {}", path.display());
            Ok(())
        }
        Err(error) => Err(Failure::Error(error.to_string())),
    }
}

fn prompt_text(words: &[String]) -> Result<String, Failure> {
    let joined = words.join(" ");
    if !joined.is_empty() && joined != "-" {
        return Ok(joined);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|error| format!("cannot read the prompt from stdin: {error}"))?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(Failure::Usage("the prompt on stdin is empty".to_owned()));
    }
    Ok(text)
}

/// The exit code for how the stream ended, with the error (if any) on stderr.
fn report(completion: &Completion, format: Format) -> u8 {
    if format == Format::Text {
        for call in &completion.tool_calls {
            eprintln!(
                "[tool call {} {}({})]",
                call.id.as_deref().unwrap_or("?"),
                call.name.as_deref().unwrap_or("?"),
                call.arguments
            );
        }
    }
    match &completion.outcome {
        Outcome::Done { reason, .. } => {
            if *reason == FinishReason::Length {
                eprintln!("note: the answer was cut at the token limit");
            }
            0
        }
        Outcome::Stopped => {
            eprintln!("stopped: the answer above is partial");
            EXIT_STOPPED
        }
        Outcome::Error { error } => report_error(error),
        Outcome::Streaming => {
            eprintln!("error: the stream ended without an outcome");
            EXIT_ERROR
        }
    }
}
