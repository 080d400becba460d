//! `runnel compare`: several models answer in parallel — one prompt, or labelled prompts
//! (`-p PY="What is Python?" -p RS="What is Rust?"`), every model × every prompt a lane. Text is
//! printed line by line as it arrives, each line labelled with its lane; a summary table follows.

use std::io::Write;

use clap::Args;
use runnel_core::{ChatRequest, Completion, Message, Outcome, SetEvent, StreamEvent, StreamOptions, StreamSet};

use crate::exit::{EXIT_ERROR, EXIT_STOPPED};
use crate::failure::Failure;
use crate::request_args::RequestArgs;
use crate::select::{self, Choice, Flags};
use crate::show;

/// Arguments of `runnel compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// A model as `provider/model`; give one or more.
    #[arg(short = 'm', value_name = "PROVIDER/MODEL", required = true)]
    models: Vec<String>,
    /// A labelled prompt; give several to run each model on each prompt.
    #[arg(short = 'p', long = "prompt", value_name = "LABEL=PROMPT", value_parser = labelled)]
    prompts: Vec<Labelled>,
    /// Base URL: `URL` when every model is of one provider (its key goes there), or
    /// `PROVIDER=URL` for one provider's models (repeatable); otherwise each provider's own.
    #[arg(long = "base-url", value_name = "[PROVIDER=]URL", value_parser = base_url)]
    base_urls: Vec<BaseUrl>,
    /// The protocol to speak: one each provider offers, any for `custom` models' endpoint (the help lists the core's protocols).
    #[arg(long, value_name = "PROTOCOL", value_parser = select::protocol_id, help = select::protocol_help("The protocol to speak: one each provider offers (its own by default), any for `custom` models' endpoint"))]
    protocol: Option<String>,
    #[command(flatten)]
    request: RequestArgs,
    /// The prompt (unless `-p` gives labelled ones).
    #[arg(required_unless_present = "prompts", conflicts_with = "prompts")]
    prompt: Vec<String>,
}

/// A `--base-url`: for the models of one provider, or (no provider) for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BaseUrl {
    provider: Option<String>,
    url: String,
}

fn base_url(text: &str) -> Result<BaseUrl, String> {
    let is_id = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    Ok(match text.split_once('=') {
        Some((provider, url)) if is_id(provider) => {
            if url.is_empty() {
                return Err(format!("`{text}` needs a URL after `{provider}=`"));
            }
            BaseUrl {
                provider: Some(provider.to_owned()),
                url: url.to_owned(),
            }
        }
        _ => BaseUrl {
            provider: None,
            url: text.to_owned(),
        },
    })
}

/// The base URL for each of `choices` (`None`: the provider's own). One URL for models of
/// several providers is refused: it would send each one's key to the same server.
fn base_urls(choices: &[Choice], given: &[BaseUrl]) -> Result<Vec<Option<String>>, Failure> {
    let mut providers: Vec<&str> = Vec::new();
    for choice in choices {
        if !providers.contains(&choice.provider.as_str()) {
            providers.push(&choice.provider);
        }
    }
    let mut shared = None;
    let mut own = std::collections::HashMap::new();
    for base in given {
        let taken = match &base.provider {
            None => shared.replace(base.url.clone()).is_some(),
            Some(provider) => {
                if !providers.contains(&provider.as_str()) {
                    return Err(Failure::Usage(format!(
                        "--base-url {provider}=… names no model's provider (models of: {})",
                        providers.join(", ")
                    )));
                }
                own.insert(provider.clone(), base.url.clone()).is_some()
            }
        };
        if taken {
            let whose = base
                .provider
                .as_deref()
                .map_or_else(String::new, |p| format!(" for {p}"));
            return Err(Failure::Usage(format!("--base-url is given twice{whose}")));
        }
    }
    if shared.is_some() && (providers.len() > 1 || !own.is_empty()) {
        let each: Vec<String> = providers.iter().map(|p| format!("--base-url {p}=URL")).collect();
        return Err(Failure::Usage(format!(
            "one --base-url for models of several providers ({}) would send each one's key to the same \
             server; give each provider its own: {}",
            providers.join(", "),
            each.join(" ")
        )));
    }
    Ok(choices
        .iter()
        .map(|choice| own.get(&choice.provider).cloned().or_else(|| shared.clone()))
        .collect())
}

/// A prompt with its label, from `LABEL=PROMPT`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Labelled {
    label: String,
    prompt: String,
}

fn labelled(text: &str) -> Result<Labelled, String> {
    let (label, prompt) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not LABEL=PROMPT"))?;
    let (label, prompt) = (label.trim(), prompt.trim());
    if label.is_empty() || prompt.is_empty() {
        return Err(format!("`{text}` needs both a label and a prompt (LABEL=PROMPT)"));
    }
    Ok(Labelled {
        label: label.to_owned(),
        prompt: prompt.to_owned(),
    })
}

/// The prompts to run: the labelled ones, or the one prompt with no label.
fn prompts(args: &CompareArgs) -> Result<Vec<(Option<String>, String)>, Failure> {
    if args.prompts.is_empty() {
        return Ok(vec![(None, args.prompt.join(" "))]);
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = args.prompts.iter().find(|p| !seen.insert(p.label.as_str())) {
        return Err(Failure::Usage(format!("the label `{}` is given twice", twice.label)));
    }
    Ok(args
        .prompts
        .iter()
        .map(|p| (Some(p.label.clone()), p.prompt.clone()))
        .collect())
}

/// A lane's label: the prompt's label, with the model when several models run; else the
/// lane's number and model.
fn lane_label(number: usize, label: Option<&str>, model: &str, models: usize) -> String {
    match label {
        Some(label) if models == 1 => label.to_owned(),
        Some(label) => format!("{label} {model}"),
        None => format!("{number} {model}"),
    }
}

/// One stream's text in progress: complete lines are printed, the rest waits for its newline.
struct Lane {
    label: String,
    pending: String,
}

impl Lane {
    fn push(&mut self, text: &str, out: &mut impl Write) -> std::io::Result<()> {
        self.pending.push_str(text);
        while let Some(end) = self.pending.find('\n') {
            writeln!(out, "[{}] {}", self.label, &self.pending[..end])?;
            self.pending.drain(..=end);
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            writeln!(out, "[{}] {}", self.label, self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }
}

pub async fn run(args: CompareArgs) -> Result<u8, Failure> {
    let prompts = prompts(&args)?;
    let engine = args.request.engine()?;
    let mut choices: Vec<Choice> = args.models.iter().map(|text| Choice::parse(text)).collect();
    let urls = base_urls(&choices, &args.base_urls)?;
    for (choice, url) in choices.iter_mut().zip(&urls) {
        let flags = Flags {
            base_url: url.as_deref(),
            protocol: args.protocol.as_deref(),
            ..Flags::default()
        };
        choice.protocol = select::chosen_protocol(choice, flags)?;
    }
    let mut endpoints = Vec::new();
    for (choice, url) in choices.iter().zip(&urls) {
        let (endpoint, _) = select::endpoint_async(choice, url.as_deref()).await?;
        endpoints.push(endpoint);
    }
    let mut set = StreamSet::new();
    let mut lanes = Vec::new();
    for (label, prompt) in &prompts {
        let mut messages = Vec::new();
        if let Some(system) = &args.request.system {
            messages.push(Message::system(system.clone()));
        }
        messages.push(Message::user(prompt.clone()));
        for (choice, endpoint) in choices.iter().zip(&endpoints) {
            let mut request = ChatRequest::new(choice.model(), messages.clone());
            request.options = args.request.options();
            set.add(engine.stream(endpoint, &request, StreamOptions::default()));
            lanes.push(Lane {
                label: lane_label(lanes.len() + 1, label.as_deref(), &choice.label(), choices.len()),
                pending: String::new(),
            });
        }
    }

    let mut completions: Vec<Option<Completion>> = vec![None; lanes.len()];
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    let mut stopping = false;
    loop {
        let next = tokio::select! {
            next = set.next() => next,
            _ = &mut interrupted, if !stopping => {
                stopping = true;
                set.stop_all();
                continue;
            }
        };
        let Some(event) = next else { break };
        let written = match event {
            SetEvent::Event {
                id,
                event: StreamEvent::TextDelta { text } | StreamEvent::RefusalDelta { text },
            } => lanes[id].push(&text, &mut out),
            SetEvent::Event { .. } => Ok(()),
            SetEvent::Done { id, completion } => {
                completions[id] = Some(*completion);
                lanes[id].flush(&mut out)
            }
        };
        if written.and_then(|()| out.flush()).is_err() {
            set.stop_all();
        }
    }
    let completions: Vec<Completion> = completions.into_iter().flatten().collect();
    print_summary(&lanes, &completions, &mut out).map_err(|error| error.to_string())?;
    Ok(exit_code(&completions))
}

fn exit_code(completions: &[Completion]) -> u8 {
    let failed = completions
        .iter()
        .any(|c| matches!(c.outcome, Outcome::Error { .. } | Outcome::Streaming));
    let stopped = completions.iter().any(|c| c.outcome == Outcome::Stopped);
    if failed {
        EXIT_ERROR
    } else if stopped {
        EXIT_STOPPED
    } else {
        0
    }
}

fn print_summary(lanes: &[Lane], completions: &[Completion], out: &mut impl Write) -> std::io::Result<()> {
    let rows: Vec<[String; 7]> = lanes
        .iter()
        .zip(completions)
        .map(|(lane, completion)| {
            let metrics = &completion.metrics;
            let outcome = match &completion.outcome {
                Outcome::Done { reason, .. } => reason.as_str().to_owned(),
                Outcome::Stopped => "stopped".to_owned(),
                Outcome::Error { error } => format!("error: {}", error.kind.as_str()),
                Outcome::Streaming => "?".to_owned(),
            };
            [
                lane.label.clone(),
                show::ms(metrics.ttft_ms),
                show::rate(metrics),
                show::tokens(metrics),
                format!("{:.0} ms", metrics.duration_ms),
                completion.text.chars().count().to_string(),
                outcome,
            ]
        })
        .collect();
    let header = ["lane", "first token", "tok/s", "tokens", "total", "chars", "finish"].map(str::to_owned);
    let mut widths = header.clone().map(|cell| cell.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    writeln!(out)?;
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    for (lane, completion) in lanes.iter().zip(completions) {
        if let Outcome::Error { error } = &completion.outcome {
            eprintln!("[{}] error: {}", lane.label, error.message);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_prompts_split_at_the_first_equals_sign() {
        assert_eq!(
            labelled("PY=What is Python? a=b").unwrap(),
            Labelled {
                label: "PY".into(),
                prompt: "What is Python? a=b".into()
            }
        );
        assert!(labelled("no label").is_err());
        assert!(labelled("=empty label").is_err());
        assert!(labelled("EMPTY=").is_err());
    }

    #[test]
    fn one_base_url_serves_one_providers_models_and_several_need_one_each() {
        let choices: Vec<Choice> = ["openai/a", "openai/b"].map(Choice::parse).to_vec();
        let one = base_url("http://h:1/v1?x=y").unwrap();
        assert_eq!(one.provider, None);
        assert_eq!(
            base_urls(&choices, std::slice::from_ref(&one)).unwrap(),
            [
                Some("http://h:1/v1?x=y".to_owned()),
                Some("http://h:1/v1?x=y".to_owned())
            ]
        );
        let mixed: Vec<Choice> = ["openai/a", "anthropic/b"].map(Choice::parse).to_vec();
        let Err(Failure::Usage(message)) = base_urls(&mixed, &[one]) else {
            panic!("one URL for two providers must be refused");
        };
        assert!(
            message.contains("--base-url openai=URL --base-url anthropic=URL"),
            "{message}"
        );
        let each = [
            base_url("openai=http://a:1/v1").unwrap(),
            base_url("anthropic=http://b:2").unwrap(),
        ];
        assert_eq!(
            base_urls(&mixed, &each).unwrap(),
            [Some("http://a:1/v1".to_owned()), Some("http://b:2".to_owned())]
        );
        let only_openai = base_urls(&mixed, &each[..1]).unwrap();
        assert_eq!(only_openai, [Some("http://a:1/v1".to_owned()), None]);
        assert!(base_urls(&mixed, &[base_url("groq=http://g:1").unwrap()]).is_err());
        assert!(base_urls(&mixed, &[each[0].clone(), each[0].clone()]).is_err());
        assert!(base_url("openai=").is_err());
    }

    #[test]
    fn lanes_are_named_by_label_and_model_as_needed() {
        assert_eq!(lane_label(1, Some("PY"), "openai/gpt", 1), "PY");
        assert_eq!(lane_label(2, Some("PY"), "openai/gpt", 2), "PY openai/gpt");
        assert_eq!(lane_label(3, None, "openai/gpt", 2), "3 openai/gpt");
    }
}
