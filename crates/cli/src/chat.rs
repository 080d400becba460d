//! `runnel chat`: one answer, streamed to stdout as it arrives (text), or as JSON lines
//! (`--events`), or as raw SSE events with arrival times (`--raw`).

use std::io::{IsTerminal, Read, Write};

use clap::Args;
use runnel_core::{ChatRequest, ChatStream, Completion, Message, Outcome, StreamEvent, StreamOptions};

use crate::failure::Failure;
use crate::select::{self, Choice};
use crate::{EXIT_INCOMPLETE, EXIT_STOPPED, RequestArgs};
use crate::{repl, show};

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
    /// Base URL (OpenAI-style includes /v1; Anthropic's does not).
    #[arg(long)]
    base_url: Option<String>,
    /// Print one JSON object per event instead of text.
    #[arg(long)]
    events: bool,
    /// Print the raw SSE events with their arrival times.
    #[arg(long)]
    raw: bool,
    /// Print timings and token counts to stderr at the end.
    #[arg(long)]
    stats: bool,
    /// A conversation, turn by turn, read from stdin (the default with no prompt at a terminal).
    #[arg(short = 'i', long, conflicts_with_all = ["events", "raw", "prompt"])]
    interactive: bool,
    #[command(flatten)]
    request: RequestArgs,
    /// The prompt; `-` or nothing reads it from stdin.
    prompt: Vec<String>,
}

/// How events are printed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Events,
    Raw,
}

pub async fn run(args: ChatArgs) -> Result<u8, Failure> {
    let interactive = args.interactive || (args.prompt.is_empty() && std::io::stdin().is_terminal());
    let (model_id, provider, model) = (args.model_id.clone(), args.provider.clone(), args.model.clone());
    let choice =
        tokio::task::spawn_blocking(move || select::choose(model_id.as_deref(), provider.as_deref(), model.as_deref()))
            .await
            .map_err(|error| error.to_string())?;
    let (endpoint, _) = select::endpoint_async(&choice, args.base_url.as_deref()).await?;
    let engine = args.request.engine()?;
    if interactive {
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
    let stream = engine.stream(&endpoint, &request, StreamOptions { raw: args.raw });
    let completion = print_stream(stream, format).await;
    if args.stats {
        print_stats(&choice, &completion);
    }
    Ok(report(&completion, format))
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

/// Prints events as they arrive until the stream ends; Ctrl-C stops it and keeps what arrived.
pub async fn print_stream(mut stream: ChatStream, format: Format) -> Completion {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    // The answer's closing newline, only after an answer: an error alone leaves stdout empty.
    let mut answered = false;
    loop {
        let event = tokio::select! {
            event = stream.next() => event,
            _ = &mut interrupted, if !stream.stop_handle().is_stopped() => {
                stream.stop();
                continue;
            }
        };
        let Some(event) = event else { break };
        answered |= matches!(event, StreamEvent::TextDelta { .. } | StreamEvent::RefusalDelta { .. });
        // A closed stdout (`| head`) is not an error worth more than stopping.
        if write_event(&mut out, &event, format)
            .and_then(|()| out.flush())
            .is_err()
        {
            stream.stop();
        }
    }
    if format == Format::Text && answered {
        let _ = writeln!(out);
    }
    stream.finish().await
}

fn write_event(out: &mut impl Write, event: &StreamEvent, format: Format) -> std::io::Result<()> {
    match format {
        Format::Events => {
            let line = serde_json::to_string(event).expect("events serialize");
            writeln!(out, "{line}")
        }
        Format::Raw => match event {
            StreamEvent::Raw(frame) => writeln!(out, "{:>9.1} ms  {:<20} {}", frame.at_ms, frame.event, frame.data),
            _ => Ok(()),
        },
        Format::Text => match event {
            StreamEvent::TextDelta { text } | StreamEvent::RefusalDelta { text } => out.write_all(text.as_bytes()),
            StreamEvent::ThinkingDelta { text } => {
                eprint!("{text}");
                Ok(())
            }
            _ => Ok(()),
        },
    }
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
            if *reason == runnel_core::FinishReason::Length {
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
            crate::EXIT_ERROR
        }
    }
}

/// Prints `error: kind: message (retry in N s)` and returns the exit code for it.
pub fn report_error(error: &runnel_core::StreamError) -> u8 {
    let mut line = format!("error: {}: {}", error.kind.as_str(), error.message);
    if let Some(seconds) = error.retry_after {
        line.push_str(&format!(" (retry in {seconds:.0} s)"));
    }
    eprintln!("{line}");
    if error.kind == runnel_core::ErrorKind::Incomplete {
        EXIT_INCOMPLETE
    } else {
        crate::EXIT_ERROR
    }
}

pub fn print_stats(choice: &Choice, completion: &Completion) {
    let metrics = &completion.metrics;
    eprintln!(
        "{}  first byte {}  first token {}  total {:.0} ms  {} tokens  {} tok/s  {} deltas  {} bytes",
        completion.model.clone().unwrap_or_else(|| choice.label()),
        show::ms(metrics.ttfb_ms),
        show::ms(metrics.ttft_ms),
        metrics.duration_ms,
        show::tokens(metrics),
        show::rate(metrics),
        metrics.deltas,
        metrics.bytes,
    );
}
