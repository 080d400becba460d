//! An exported conversation as Markdown, for people: a title heading, a heading per turn along
//! the path the app shows (a compare run: its prompt, then each column's answer), each answer's
//! model and stats under it, its thinking in a collapsed `<details>`, a partial, stopped or failed
//! answer marked, and "version 2 of 3" under an answer that has other versions. Texts are kept
//! verbatim (an answer is Markdown already); a code fence an answer left open (it was stopped
//! mid-block) is closed with a fence as long as the one that opened it, so what follows stays
//! out of the block.

use runnel_core::Role;

use super::document::{Document, MessageRecord};
use super::tree::{children, shown_path};
use crate::ipc_types::{ConversationKind, MessageState, Stats};

/// The document as Markdown.
pub fn render(document: &Document) -> String {
    let mut out = format!("# {}\n\n", escape_inline(&document.title));
    let messages = &document.messages;
    match document.kind {
        ConversationKind::Chat => {
            out.push_str(&format!(
                "*{}, exported from Runnel*\n",
                count(messages.len(), "message")
            ));
            for step in shown_path(messages) {
                let message = &messages[step.index];
                let version = (step.versions > 1).then_some((step.version, step.versions));
                turn(&mut out, message, None, version);
            }
        }
        ConversationKind::Compare => {
            let prompts = children(messages, None);
            let columns = prompts
                .first()
                .map(|&prompt| children(messages, Some(messages[prompt].id)));
            let columns = columns.unwrap_or_default();
            out.push_str(&format!(
                "*A comparison of {}, exported from Runnel*\n",
                count(columns.len(), "model")
            ));
            for &prompt in &prompts {
                turn(&mut out, &messages[prompt], None, None);
            }
            for (number, &column) in columns.iter().enumerate() {
                turn(&mut out, &messages[column], Some(number + 1), None);
            }
        }
    }
    out
}

/// `n` and `noun`, plural past one.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Appends one message: its heading, thinking, text and (an answer) the lines under it.
fn turn(out: &mut String, message: &MessageRecord, column: Option<usize>, version: Option<(usize, usize)>) {
    let model = message.model.as_deref().unwrap_or("unknown model");
    let heading = match (message.role, column) {
        (Role::Assistant, Some(number)) => format!("Column {number}: {}", escape_inline(model)),
        (Role::Assistant, None) => format!("Answer: {}", escape_inline(model)),
        _ => "You".to_owned(),
    };
    out.push_str(&format!("\n## {heading}\n\n"));
    if !message.thinking.trim().is_empty() {
        out.push_str("<details>\n<summary>Thinking</summary>\n\n");
        out.push_str(&closed_fences(&message.thinking));
        out.push_str("\n</details>\n\n");
    }
    if message.content.is_empty() {
        out.push_str("*(no text)*\n");
    } else {
        out.push_str(&closed_fences(&message.content));
    }
    if message.role != Role::Assistant {
        return;
    }
    let mut notes = vec![stats_line(model, message.stats.as_ref())];
    if let Some((number, of)) = version {
        notes.push(format!("Version {number} of {of}."));
    }
    match message.state {
        MessageState::Done => {}
        MessageState::Stopped => notes.push("Stopped: the answer is partial.".into()),
        MessageState::Streaming => notes.push("Still arriving when exported: the answer is partial.".into()),
        MessageState::Error => notes.push(match &message.error {
            Some(error) => format!(
                "Failed ({}): {}. The text is what arrived before the error.",
                escape_inline(&error.kind),
                escape_inline(error.message.trim().trim_end_matches('.'))
            ),
            None => "Failed: the text is what arrived before the error.".into(),
        }),
    }
    for note in notes {
        out.push_str(&format!("\n*{note}*\n"));
    }
}

/// "model · 0.41 s to first token · 96 tok/s · 312 tok (20 reasoning) · 12 in · 1.30 s · stop ·
/// $0.0031",
/// the numbers the app shows under an answer; `~` marks counted (not reported) tokens.
pub fn stats_line(model: &str, stats: Option<&Stats>) -> String {
    let mut parts = vec![escape_inline(model)];
    if let Some(stats) = stats {
        let estimated = if stats.tokens_estimated { "~" } else { "" };
        if let Some(ttft) = stats.ttft_ms {
            parts.push(format!("{:.2} s to first token", ttft / 1000.0));
        }
        if let Some(rate) = stats.tokens_per_sec.filter(|rate| rate.is_finite()) {
            parts.push(format!("{estimated}{} tok/s", rate.round()));
        }
        if let Some(tokens) = stats.output_tokens {
            let reasoning = match stats.reasoning_tokens {
                Some(reasoning) if reasoning > 0 => format!(" ({reasoning} reasoning)"),
                _ => String::new(),
            };
            parts.push(format!("{estimated}{tokens} tok{reasoning}"));
        }
        if let Some(input) = stats.input_tokens {
            parts.push(format!("{input} in"));
        }
        if let Some(rate) = stats.server_tokens_per_sec.filter(|rate| rate.is_finite()) {
            parts.push(format!("server {} tok/s", rate.round()));
        }
        parts.push(format!("{:.2} s", stats.duration_ms / 1000.0));
        if let Some(reason) = &stats.finish_reason {
            parts.push(escape_inline(&reason.replace('_', " ")));
        }
        if let Some(usd) = stats.cost_usd {
            parts.push(runnel_core::cost::format_usd(usd));
        }
    }
    parts.join(" · ")
}

/// `text` on a line of its own: Markdown's inline marks taken literally.
fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` ending with a newline, and with a closing fence when a code fence it opened is still
/// open at its end: the opening fence's character, as many times.
pub fn closed_fences(text: &str) -> String {
    let mut open: Option<(char, usize)> = None;
    for line in text.lines() {
        let Some((fence, length, rest)) = fence(line) else {
            continue;
        };
        match open {
            None if !(fence == '`' && rest.contains('`')) => open = Some((fence, length)),
            Some((opened, at_least)) if fence == opened && length >= at_least && rest.trim().is_empty() => open = None,
            _ => {}
        }
    }
    let mut out = text.to_owned();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if let Some((fence, length)) = open {
        out.extend(std::iter::repeat_n(fence, length));
        out.push('\n');
    }
    out
}

/// A fence line: up to three spaces, then three or more `` ` `` or `~`: the character, how many,
/// and the rest of the line.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let line = &line[indent..];
    let fence = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let length = line.len() - line.trim_start_matches(fence).len();
    (length >= 3).then(|| (fence, length, &line[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AppError, UiError};
    use crate::export::document::{FORMAT, VERSION};
    use crate::export::tree::tests::record;

    fn document(kind: ConversationKind, messages: Vec<MessageRecord>) -> Document {
        Document {
            format: FORMAT.into(),
            version: VERSION,
            exported_by: "Runnel test".into(),
            exported_at: 0,
            title: "Streams *and* fences".into(),
            kind,
            created_at: 0,
            updated_at: 0,
            last_model: None,
            messages,
        }
    }

    fn stats() -> Stats {
        Stats {
            ttft_ms: Some(410.0),
            tokens_per_sec: Some(95.6),
            output_tokens: Some(312),
            tokens_estimated: false,
            input_tokens: Some(12),
            duration_ms: 3_700.0,
            finish_reason: Some("max_tokens".into()),
            reasoning_tokens: Some(20),
            server_tokens_per_sec: None,
            cost_usd: Some(0.0031),
        }
    }

    #[test]
    fn a_chat_has_headings_thinking_in_details_and_the_stats_under_each_answer() {
        let mut answer = record(
            2,
            Some(1),
            Role::Assistant,
            "Use `[DONE]`.\n\n```rust\nlet x = 1;\n```",
            2,
        );
        answer.thinking = "They ask about *streams*.".into();
        answer.stats = Some(stats());
        let markdown = render(&document(
            ConversationKind::Chat,
            vec![record(1, None, Role::User, "How do streams end?", 1), answer],
        ));
        assert_eq!(
            markdown,
            "# Streams \\*and\\* fences\n\n*2 messages, exported from Runnel*\n\n## You\n\nHow do streams end?\n\n\
             ## Answer: demo/m\n\n<details>\n<summary>Thinking</summary>\n\nThey ask about *streams*.\n\n</details>\n\n\
             Use `[DONE]`.\n\n```rust\nlet x = 1;\n```\n\n\
             *demo/m · 0.41 s to first token · 96 tok/s · 312 tok (20 reasoning) · 12 in · 3.70 s · max tokens · $0.0031*\n"
        );
    }

    #[test]
    fn a_fence_left_open_is_closed_by_one_as_long_and_inner_fences_are_content() {
        assert_eq!(closed_fences("a\n```py\nx = 1"), "a\n```py\nx = 1\n```\n");
        let nested = "````markdown\n```rust\nfn main() {}\n```\nstill inside";
        assert_eq!(
            closed_fences(nested),
            format!("{nested}\n````\n"),
            "the inner ``` closes nothing"
        );
        let closed = "````markdown\n```rust\n```\n````\nafter";
        assert_eq!(closed_fences(closed), format!("{closed}\n"));
        assert_eq!(
            closed_fences("~~~\n```\n"),
            "~~~\n```\n~~~\n",
            "a backtick fence never closes a tilde one"
        );
        assert_eq!(closed_fences("``` not `a fence`\ntext"), "``` not `a fence`\ntext\n");
        assert_eq!(closed_fences("    ```\nindented code"), "    ```\nindented code\n");
    }

    #[test]
    fn partial_stopped_and_failed_answers_are_marked_and_versions_counted() {
        let mut stopped = record(2, Some(1), Role::Assistant, "```\npartial", 2);
        stopped.state = MessageState::Stopped;
        let mut failed = record(3, Some(1), Role::Assistant, "", 5);
        failed.state = MessageState::Error;
        failed.error = Some(UiError::from(&AppError::InvalidInput("Rate limited.".into())));
        let markdown = render(&document(
            ConversationKind::Chat,
            vec![record(1, None, Role::User, "q", 1), stopped.clone(), failed],
        ));
        assert!(
            markdown.ends_with(
                "## Answer: demo/m\n\n*(no text)*\n\n*demo/m*\n\n*Version 2 of 2.*\n\n\
                 *Failed (invalid\\_input): Rate limited. The text is what arrived before the error.*\n"
            ),
            "{markdown}"
        );
        assert!(!markdown.contains("partial"), "only the shown version: {markdown}");
        let markdown = render(&document(
            ConversationKind::Chat,
            vec![record(1, None, Role::User, "q", 1), stopped],
        ));
        assert!(
            markdown.ends_with("```\npartial\n```\n\n*demo/m*\n\n*Stopped: the answer is partial.*\n"),
            "{markdown}"
        );
    }

    #[test]
    fn a_compare_run_lists_each_columns_answer() {
        let mut second = record(3, Some(1), Role::Assistant, "Two", 3);
        second.model = Some("other/b".into());
        let markdown = render(&document(
            ConversationKind::Compare,
            vec![
                record(1, None, Role::User, "Which?", 1),
                record(2, Some(1), Role::Assistant, "One", 2),
                second,
            ],
        ));
        assert!(
            markdown.contains("*A comparison of 2 models, exported from Runnel*"),
            "{markdown}"
        );
        assert!(
            markdown.contains(
                "## You\n\nWhich?\n\n## Column 1: demo/m\n\nOne\n\n*demo/m*\n\n## Column 2: other/b\n\nTwo\n"
            ),
            "{markdown}"
        );
    }
}
