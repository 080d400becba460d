//! `runnel chat -i` (and `runnel chat` with no prompt at a terminal): a conversation, turn by
//! turn. Answers stream to stdout; the history goes with every turn, also to a model picked
//! mid-conversation with `/model`, converted for its provider by the core.

use std::io::Write;

use runnel_core::{ChatOptions, ChatRequest, Endpoint, Engine, FinishReason, Message, Outcome, StreamOptions};
use tokio::sync::mpsc;

use crate::failure::Failure;
use crate::print::{Format, print_stats, print_stream, report_error};
use crate::select::{self, Choice};

/// What a line typed at the prompt asks for.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    /// A message to send.
    Say(&'a str),
    /// `/model PROVIDER/MODEL`: answer the next turns with another model.
    Model(&'a str),
    /// `/new`: forget the conversation so far.
    New,
    /// `/quit` or `/exit`.
    Quit,
    /// A `/command` this prompt does not know.
    Unknown(&'a str),
}

fn parse(line: &str) -> Line<'_> {
    match line.split_once(char::is_whitespace).unwrap_or((line, "")) {
        ("/model", model) if !model.trim().is_empty() => Line::Model(model.trim()),
        ("/new", "") => Line::New,
        ("/quit" | "/exit", "") => Line::Quit,
        (command, _) if command.starts_with('/') => Line::Unknown(command),
        _ => Line::Say(line),
    }
}

/// A conversation at the terminal.
pub struct Session {
    /// The HTTP engine.
    pub engine: Engine,
    /// The model answering now.
    pub choice: Choice,
    /// Its endpoint.
    pub endpoint: Endpoint,
    /// `--base-url`, for the provider it was given with: `/model` to another provider uses that
    /// one's own URL (so an env key never goes to another provider's server).
    pub base_url: Option<String>,
    /// `--system`.
    pub system: Option<String>,
    /// Options for every answer.
    pub options: ChatOptions,
    /// Print timings after each answer.
    pub stats: bool,
}

/// Lines from stdin, read on a thread of their own so the prompt can also wait for Ctrl-C.
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (sender, receiver) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Runs the conversation until `/quit`, end of input or Ctrl-C at the prompt.
pub async fn run(mut session: Session) -> Result<u8, Failure> {
    let base_url_provider = session.choice.clone();
    let mut lines = stdin_lines();
    let mut history: Vec<Message> = Vec::new();
    eprintln!(
        "Chatting with {}. /model PROVIDER/MODEL switches models, /new starts over, /quit or Ctrl-D leaves; \
         Ctrl-C stops an answer.",
        session.choice.label()
    );
    loop {
        eprint!("\n{} › ", session.choice.label());
        let _ = std::io::stderr().flush();
        let line = tokio::select! {
            line = lines.recv() => line,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(line) = line else {
            eprintln!();
            return Ok(0);
        };
        let text = match parse(line.trim()) {
            Line::Say("") => continue,
            Line::Say(text) => text.to_owned(),
            Line::Quit => return Ok(0),
            Line::New => {
                history.clear();
                eprintln!("(a new conversation)");
                continue;
            }
            Line::Model(model) => {
                let mut choice = Choice::parse(model);
                let base_url = session
                    .base_url
                    .as_deref()
                    .filter(|_| choice.provider == base_url_provider.provider);
                if base_url.is_some() {
                    // The same custom endpoint: it still speaks what it spoke.
                    choice.protocol = base_url_provider.protocol.clone();
                }
                match select::endpoint_async(&choice, base_url).await {
                    Ok((endpoint, _)) => {
                        eprintln!("(now {}; the conversation so far goes with it)", choice.label());
                        session.choice = choice;
                        session.endpoint = endpoint;
                    }
                    Err(message) => eprintln!("error: {message}"),
                }
                continue;
            }
            Line::Unknown(command) => {
                eprintln!("unknown command {command} (try /model, /new or /quit)");
                continue;
            }
        };
        history.push(Message::user(text));
        let mut messages: Vec<Message> = session
            .system
            .iter()
            .map(|system| Message::system(system.clone()))
            .collect();
        messages.extend(history.iter().cloned());
        let mut request = ChatRequest::new(session.choice.model(), messages);
        request.options = session.options.clone();
        let stream = session.engine.stream(
            &session.endpoint,
            &request,
            StreamOptions {
                price: session.choice.price(),
                ..StreamOptions::default()
            },
        );
        let completion = print_stream(stream, Format::Text).await;
        if session.stats {
            print_stats(&session.choice, &completion);
        }
        match &completion.outcome {
            Outcome::Error { error } => {
                report_error(error);
            }
            Outcome::Stopped => eprintln!("(stopped; the text above is kept in the conversation)"),
            Outcome::Done {
                reason: FinishReason::Length,
                ..
            } => eprintln!("(cut at the token limit)"),
            Outcome::Done { .. } | Outcome::Streaming => {}
        }
        // What arrived is part of the conversation, stopped or cut off alike.
        if !completion.text.is_empty() {
            history.push(Message::assistant(completion.text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_messages_or_commands() {
        assert_eq!(parse("hello there"), Line::Say("hello there"));
        assert_eq!(
            parse("/model anthropic/claude-haiku-4-5"),
            Line::Model("anthropic/claude-haiku-4-5")
        );
        assert_eq!(parse("/new"), Line::New);
        assert_eq!(parse("/exit"), Line::Quit);
        assert_eq!(parse("/model"), Line::Unknown("/model"));
        assert_eq!(parse("/frobnicate now"), Line::Unknown("/frobnicate"));
    }
}
