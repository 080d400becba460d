//! Printing one streamed answer in the terminal, shared by `runnel chat` and its conversation
//! mode: events as they arrive, the stats line, an error and its exit code.

use std::io::{BufWriter, Write};

use runnel_core::{ChatStream, Completion, ErrorKind, StreamError, StreamEvent};

use crate::exit::{EXIT_ERROR, EXIT_INCOMPLETE};
use crate::select::Choice;
use crate::show;

/// How events are printed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The answer's text on stdout, thinking on stderr.
    Text,
    /// One JSON object per event (`--events`), in `StreamEvent`'s documented shape.
    Events,
    /// The raw SSE events with their arrival times (`--raw`).
    Raw,
}

/// Room for the output of the events at hand: a fast stream's reads (a few KB of text) go out in
/// one write each.
const OUTPUT_BUFFER: usize = 64 * 1024;

/// Prints events as they arrive until the stream ends; Ctrl-C stops it and keeps what arrived.
///
/// Output is buffered while more events are already at hand and flushed as soon as none are
/// ([`ChatStream::has_ready`]): what a read brought reaches the terminal at once, and a fast
/// stream costs a write per read rather than per delta.
pub async fn print_stream(mut stream: ChatStream, format: Format) -> Completion {
    let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, std::io::stdout().lock());
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    let mut stopping = false;
    // The answer's closing newline, only after an answer: an error alone leaves stdout empty.
    let mut answered = false;
    loop {
        let event = tokio::select! {
            event = stream.next() => event,
            _ = &mut interrupted, if !stopping => {
                stopping = true;
                stream.stop();
                continue;
            }
        };
        let Some(event) = event else { break };
        answered |= matches!(event, StreamEvent::TextDelta { .. } | StreamEvent::RefusalDelta { .. });
        let written = write_event(&mut out, &event, format);
        // A closed stdout (`| head`) is not an error worth more than stopping.
        if written
            .and_then(|()| flush_unless(&mut out, stream.has_ready()))
            .is_err()
        {
            stopping = true;
            stream.stop();
        }
    }
    if format == Format::Text && answered {
        let _ = writeln!(out);
    }
    let _ = out.flush();
    stream.finish().await
}

/// Flushes `out` unless more is `ready` to be written right after.
fn flush_unless(out: &mut impl Write, ready: bool) -> std::io::Result<()> {
    if ready { Ok(()) } else { out.flush() }
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
                // Whatever text came before goes out first.
                out.flush()?;
                eprint!("{text}");
                Ok(())
            }
            _ => Ok(()),
        },
    }
}

/// Prints `error: kind: message (retry in N s)` and returns the exit code for it.
pub fn report_error(error: &StreamError) -> u8 {
    let mut line = format!("error: {}: {}", error.kind.as_str(), error.message);
    if let Some(seconds) = error.retry_after {
        line.push_str(&format!(" (retry in {seconds:.0} s)"));
    }
    eprintln!("{line}");
    if error.kind == ErrorKind::Incomplete {
        EXIT_INCOMPLETE
    } else {
        EXIT_ERROR
    }
}

/// Prints the stats line of one answer (`--stats`) on stderr: timings, tokens, rate, size, and
/// the reasoning tokens and the server's own rate when the provider reports them.
pub fn print_stats(choice: &Choice, completion: &Completion) {
    let metrics = &completion.metrics;
    eprintln!(
        "{}  first byte {}  first token {}  total {:.0} ms  {} tokens{}  {} tok/s{}  {} deltas  {} bytes{}",
        completion.model.clone().unwrap_or_else(|| choice.label()),
        show::ms(metrics.ttfb_ms),
        show::ms(metrics.ttft_ms),
        metrics.duration_ms,
        show::tokens(metrics),
        show::reasoning(metrics),
        show::rate(metrics),
        show::server_rate(metrics),
        metrics.deltas,
        metrics.bytes,
        show::cost(metrics),
    );
}
