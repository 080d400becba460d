//! What the demo model says: a few prepared answers chosen by the words of the last user
//! message, so that the demo shows plain text, Markdown, code and a long answer worth stopping.

const GREETING: &str = "Hello! I'm **Runnel's demo model**. I run inside the app itself, with no key and no network, \
so you can try everything right away: watch an answer stream in, press **Stop** (or Esc) mid-sentence, \
and look at the numbers under each answer.\n\n\
When you're ready for a real model, add an OpenAI, Anthropic or Gemini key in Settings, or point Runnel at a local \
server such as Ollama or LM Studio. Ask me for *code*, a *table*, or a *long story* to see more.";

const CODE: &str = "Here is a small Rust program that streams lines from standard input and counts words:\n\n\
```rust\nuse std::io::{self, BufRead};\n\nfn main() -> io::Result<()> {\n    let mut words = 0;\n    \
for line in io::stdin().lock().lines() {\n        words += line?.split_whitespace().count();\n    }\n    \
println!(\"{words} words\");\n    Ok(())\n}\n```\n\n\
It reads one line at a time, so memory stays flat however long the input is — the same idea Runnel uses for \
streams: handle each piece as it arrives, never wait for the whole.";

const TABLE: &str = "How the two big streaming APIs end a stream:\n\n\
| Provider | Transport | Terminator | Usage arrives in |\n|---|---|---|---|\n\
| OpenAI | SSE `data:` lines | `data: [DONE]` | a final chunk with empty `choices` |\n\
| Anthropic | SSE named events | `event: message_stop` | `message_start` and `message_delta` |\n\n\
A stream that stops before its terminator is **incomplete**: Runnel keeps the text and tells you so.";

const STORY: &str = "Once upon a time, in a valley where the rivers ran in thin bright threads, there lived a \
keeper of streams. Every morning she walked the banks and listened: a runnel that chattered was healthy, a \
runnel that fell silent had met a stone.\n\n\
One spring a traveller asked her why she never waited for the rivers to reach the sea before judging them. \
\"Because by then,\" she said, \"it is too late to move the stone.\" She knelt, lifted a pebble from a \
narrow channel, and the water sang again at once.\n\n\
The traveller stayed the summer. He learned to hear the first drop of a new spring half a valley away, to \
tell by the sound alone whether a brook carried sand or snowmelt, and to stop a flood early by opening one \
small gate instead of building one great wall. In autumn he asked what she did when a stream began to \
say something wrong — to run muddy, or toward the village instead of away from it.\n\n\
\"I close the gate,\" she said, \"the moment I hear it. Not at the end of the day. Not when the field is \
already drowned. A gate that closes late is only a wall with regrets.\"\n\n\
He wrote that down, and when he went home he built a mill whose wheel could be stopped by a child's hand, \
and the mill ran for a hundred years. (This is a long answer on purpose: press Stop whenever you like, and \
the part you have read stays here, marked as stopped.)";

const FALLBACK_INTRO: &str = "I'm the offline demo model, so I can't really think about";

/// The demo's answer to a conversation of `(role, content)` pairs.
pub fn answer_for(messages: &[(String, String)]) -> String {
    let last_user = messages
        .iter()
        .rev()
        .find(|(role, _)| role == "user")
        .map(|(_, content)| content.as_str())
        .unwrap_or("");
    let lower = last_user.to_lowercase();
    let has = |words: &[&str]| {
        words
            .iter()
            .any(|word| lower.split(|c: char| !c.is_alphanumeric()).any(|w| w == *word))
    };
    if has(&["code", "rust", "program", "function"]) {
        CODE.to_owned()
    } else if has(&["table", "markdown", "compare", "sse"]) {
        TABLE.to_owned()
    } else if has(&["story", "long", "poem", "essay"]) {
        STORY.to_owned()
    } else if lower.trim().is_empty() || has(&["hello", "hi", "hey", "help", "who", "what"]) {
        GREETING.to_owned()
    } else {
        let quoted: String = last_user.chars().take(80).collect();
        let turns = messages.iter().filter(|(role, _)| role != "system").count();
        format!(
            "{FALLBACK_INTRO} “{quoted}”, but I can show you how Runnel streams it. This conversation has {turns} \
             message(s) so far; switch to a real model with Ctrl+K and it will receive the whole history. Try asking me \
             for code, a table, or a long story."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(text: &str) -> String {
        answer_for(&[("user".into(), text.into())])
    }

    #[test]
    fn answers_follow_the_words_of_the_last_user_message() {
        assert!(ask("hello").starts_with("Hello!"));
        assert!(ask("show me some Rust code").contains("```rust"));
        assert!(ask("a markdown table please").contains("| OpenAI |"));
        assert!(ask("tell me a long story").starts_with("Once upon a time"));
        assert!(ask("zebra crossings").contains("“zebra crossings”"));
    }
}
