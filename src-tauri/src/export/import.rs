//! An exported JSON conversation read back (docs/EXPORT.md): the format's name and schema
//! version first (a newer Runnel's file says so, rather than failing on a field), then the
//! schema, then the tree: every size bounded, each id once, each parent a message of the file,
//! no cycle, roles where a conversation has them. Every problem found is listed, up to
//! [`PROBLEMS_LISTED`]. The messages come out parents first, for
//! [`Store::insert_tree`](crate::store::Store::insert_tree).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use runnel_core::{Role, StreamError};
use serde::Deserialize;

use super::document::{Document, FORMAT, MessageRecord, VERSION};
use crate::error::UiError;
pub use crate::export_error::ImportError;
use crate::ipc_types::{ConversationKind, MessageState, MessageView};
use crate::store::{NewConversation, NewTreeMessage, UNTITLED, now_ms};

/// The largest file imported (64 MiB, as one answer's stream may be).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// The most messages of one conversation.
pub const MAX_MESSAGES: usize = 10_000;
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// The longest model name, in characters.
pub const MAX_MODEL_CHARS: usize = 300;
/// The longest error message or kind, in characters.
pub const MAX_ERROR_CHARS: usize = 65_536;
/// The most answers a compare run has.
pub const MAX_COLUMNS: usize = 4;
/// The most problems an error lists.
pub const PROBLEMS_LISTED: usize = 20;

/// What is read of a file before its schema.
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// The conversation of an exported JSON `text`, to be saved as a new one: its messages parents
/// first (each `parent` an index among those before it), as the file has them.
pub fn parse(text: &str) -> Result<(NewConversation, Vec<NewTreeMessage>), ImportError> {
    if text.len() > MAX_BYTES {
        return Err(ImportError::TooLarge {
            bytes: text.len(),
            limit: MAX_BYTES,
        });
    }
    let header: Header = serde_json::from_str(text).map_err(|error| ImportError::NotJson(error.to_string()))?;
    let shown =
        |value: Option<serde_json::Value>| value.map_or_else(|| "missing".to_owned(), |value| value.to_string());
    if header.format.as_ref().and_then(serde_json::Value::as_str) != Some(FORMAT) {
        return Err(ImportError::WrongFormat {
            found: shown(header.format),
            expected: FORMAT,
        });
    }
    match header.version.as_ref().and_then(serde_json::Value::as_u64) {
        Some(found) if found > u64::from(VERSION) => {
            return Err(ImportError::TooNew {
                found,
                supported: VERSION,
            });
        }
        Some(found) if found == u64::from(VERSION) => {}
        _ => {
            return Err(ImportError::BadVersion {
                found: shown(header.version),
                supported: VERSION,
            });
        }
    }
    let document: Document = serde_json::from_str(text).map_err(|error| ImportError::Schema(error.to_string()))?;
    let mut problems = check(&document);
    let order = parents_first(&document.messages, &mut problems);
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(PROBLEMS_LISTED);
        problems.truncate(PROBLEMS_LISTED);
        if more > 0 {
            problems.push(format!("and {more} more"));
        }
        return Err(ImportError::Invalid(problems));
    }
    Ok(restored(document, &order))
}

/// Every problem of the document's fields and shape, but cycles ([`parents_first`]).
fn check(document: &Document) -> Vec<String> {
    let mut problems = Vec::new();
    let messages = &document.messages;
    if document.title.chars().count() > MAX_TITLE_CHARS {
        problems.push(format!("the title is longer than {MAX_TITLE_CHARS} characters"));
    }
    if document
        .last_model
        .as_ref()
        .is_some_and(|model| model.chars().count() > MAX_MODEL_CHARS)
    {
        problems.push(format!("last_model is longer than {MAX_MODEL_CHARS} characters"));
    }
    if messages.len() > MAX_MESSAGES {
        problems.push(format!(
            "it has {} messages, more than the {MAX_MESSAGES} a conversation may have",
            messages.len()
        ));
        return problems;
    }
    let mut by_id: HashMap<u64, &MessageRecord> = HashMap::new();
    for message in messages {
        if by_id.insert(message.id, message).is_some() {
            problems.push(format!("message id {} is used more than once", message.id));
        }
    }
    for message in messages {
        let id = message.id;
        if message.role == Role::System {
            problems.push(format!(
                "message {id} has role system: a conversation has only user and assistant messages"
            ));
        }
        if message
            .model
            .as_ref()
            .is_some_and(|model| model.chars().count() > MAX_MODEL_CHARS)
        {
            problems.push(format!(
                "message {id}'s model is longer than {MAX_MODEL_CHARS} characters"
            ));
        }
        if let Some(error) = &message.error
            && (error.message.chars().count() > MAX_ERROR_CHARS || error.kind.chars().count() > MAX_ERROR_CHARS)
        {
            problems.push(format!(
                "message {id}'s error is longer than {MAX_ERROR_CHARS} characters"
            ));
        }
        let parent = message
            .parent
            .map(|parent| (parent, by_id.get(&parent).map(|parent| parent.role)));
        match (message.role, parent) {
            (_, Some((parent, _))) if parent == id => problems.push(format!("message {id} is its own parent")),
            (_, Some((parent, None))) => problems.push(format!("message {id}'s parent {parent} is not in the file")),
            (Role::Assistant, None) => problems.push(format!("answer {id} answers no message (its parent is null)")),
            (Role::Assistant, Some((parent, Some(role)))) if role != Role::User => {
                problems.push(format!("answer {id}'s parent {parent} is not a user message"))
            }
            (Role::User, Some((parent, Some(role)))) if role != Role::Assistant => {
                problems.push(format!("user message {id} follows {parent}, which is not an answer"))
            }
            _ => {}
        }
    }
    if document.kind == ConversationKind::Compare {
        check_compare(messages, &mut problems);
    }
    problems
}

/// A compare run is one prompt (a user message, first) and at most [`MAX_COLUMNS`] answers to it.
fn check_compare(messages: &[MessageRecord], problems: &mut Vec<String>) {
    let prompts: Vec<&MessageRecord> = messages.iter().filter(|message| message.role == Role::User).collect();
    let [prompt] = prompts[..] else {
        problems.push(format!(
            "a compare run has one prompt; this one has {} user messages",
            prompts.len()
        ));
        return;
    };
    let columns = messages.len() - 1;
    if columns > MAX_COLUMNS {
        problems.push(format!(
            "a compare run has at most {MAX_COLUMNS} answers; this one has {columns}"
        ));
    }
    if prompt.parent.is_some() {
        problems.push(format!(
            "the compare run's prompt {} follows another message",
            prompt.id
        ));
    }
}

/// The indexes of `messages`, each after its parent, siblings and roots in id order; messages on
/// or under a cycle (no first message leads to them) are a problem and left out.
fn parents_first(messages: &[MessageRecord], problems: &mut Vec<String>) -> Vec<usize> {
    if messages.len() > MAX_MESSAGES {
        return Vec::new();
    }
    let index: HashMap<u64, usize> = messages
        .iter()
        .enumerate()
        .map(|(i, message)| (message.id, i))
        .collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut ready = BinaryHeap::new();
    for (i, message) in messages.iter().enumerate() {
        match message.parent.and_then(|parent| index.get(&parent)) {
            Some(&parent) if parent != i => children.entry(parent).or_default().push(i),
            Some(_) => {}
            None => ready.push(Reverse((message.id, i))),
        }
    }
    let mut order = Vec::with_capacity(messages.len());
    while let Some(Reverse((_, i))) = ready.pop() {
        order.push(i);
        for &child in children.get(&i).into_iter().flatten() {
            ready.push(Reverse((messages[child].id, child)));
        }
    }
    let mut placed = vec![false; messages.len()];
    for &i in &order {
        placed[i] = true;
    }
    // Left out: a message that is its own parent (already a problem), and those on or under a cycle.
    let mut looped: Vec<u64> = (0..messages.len())
        .filter(|&i| !placed[i] && messages[i].parent != Some(messages[i].id))
        .map(|i| messages[i].id)
        .collect();
    looped.sort_unstable();
    if !looped.is_empty() {
        problems.push(format!(
            "messages {} descend from no first message (their parents form a cycle)",
            looped.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    order
}

/// The document as a new conversation and its messages in `order`.
fn restored(document: Document, order: &[usize]) -> (NewConversation, Vec<NewTreeMessage>) {
    let title = document.title.trim();
    let conversation = NewConversation {
        title: if title.is_empty() {
            UNTITLED.to_owned()
        } else {
            title.to_owned()
        },
        kind: document.kind,
        created_at: document.created_at,
        updated_at: now_ms(),
        last_model: document.last_model,
    };
    let position: HashMap<u64, usize> = order
        .iter()
        .enumerate()
        .map(|(at, &i)| (document.messages[i].id, at))
        .collect();
    let mut slots: Vec<Option<MessageRecord>> = document.messages.into_iter().map(Some).collect();
    let messages = order
        .iter()
        .filter_map(|&i| slots[i].take())
        .map(|record| {
            let (state, error) = match record.state {
                // It can never end now: kept as an answer cut off, as one a crash interrupted.
                MessageState::Streaming => (
                    MessageState::Error,
                    Some(UiError::from(&StreamError::incomplete(
                        "This answer was still arriving when it was exported; the text up to then is kept.",
                    ))),
                ),
                state => (state, record.error),
            };
            NewTreeMessage {
                parent: record.parent.and_then(|parent| position.get(&parent).copied()),
                chosen_at: record.chosen_at,
                message: MessageView {
                    id: 0,
                    conversation_id: 0,
                    role: record.role,
                    content: record.content,
                    thinking: record.thinking,
                    model: record.model,
                    state,
                    error,
                    stats: record.stats,
                    created_at: record.created_at,
                    versions: None,
                },
            }
        })
        .collect();
    (conversation, messages)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn message(id: u64, parent: Option<u64>, role: &str) -> Value {
        json!({
            "id": id, "parent": parent, "role": role, "content": format!("text {id}"), "thinking": "",
            "model": if role == "assistant" { json!("demo/m") } else { Value::Null },
            "state": "done", "error": null, "stats": null, "created_at": id, "chosen_at": id,
        })
    }

    fn file(kind: &str, messages: Vec<Value>) -> Value {
        json!({
            "format": "runnel.conversation", "version": 1, "exported_by": "Runnel test", "exported_at": 1,
            "title": "T", "kind": kind, "created_at": 1, "updated_at": 2, "last_model": "demo/m",
            "messages": messages,
        })
    }

    fn error_of(value: &Value) -> String {
        parse(&value.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn a_chat_comes_out_parents_first_with_its_fields() {
        let mut streaming = message(4, Some(3), "assistant");
        streaming["state"] = json!("streaming");
        let value = file(
            "chat",
            vec![
                streaming,
                message(3, Some(2), "user"),
                message(1, None, "user"),
                message(2, Some(1), "assistant"),
            ],
        );
        let (conversation, messages) = parse(&value.to_string()).unwrap();
        assert_eq!(
            (conversation.title.as_str(), conversation.kind),
            ("T", ConversationKind::Chat)
        );
        let shape: Vec<(&str, Option<usize>)> = messages
            .iter()
            .map(|m| (m.message.content.as_str(), m.parent))
            .collect();
        assert_eq!(
            shape,
            [
                ("text 1", None),
                ("text 2", Some(0)),
                ("text 3", Some(1)),
                ("text 4", Some(2))
            ]
        );
        let last = &messages[3].message;
        assert_eq!(
            last.state,
            MessageState::Error,
            "a streaming answer comes back interrupted"
        );
        assert_eq!(last.error.as_ref().unwrap().kind, "incomplete");
    }

    #[test]
    fn another_format_a_newer_version_and_no_json_are_named() {
        let mut other = file("chat", vec![]);
        other["format"] = json!("chatgpt.export");
        assert!(
            error_of(&other).contains("its format is \"chatgpt.export\""),
            "{}",
            error_of(&other)
        );
        let mut newer = file("chat", vec![]);
        newer["version"] = json!(2);
        assert!(
            error_of(&newer).contains("newer Runnel (schema version 2"),
            "{}",
            error_of(&newer)
        );
        let mut bad = file("chat", vec![]);
        bad["version"] = json!("1");
        assert!(error_of(&bad).contains("schema version is \"1\""), "{}", error_of(&bad));
        assert!(
            parse("{ not json")
                .unwrap_err()
                .to_string()
                .starts_with("the file is not JSON")
        );
        let mut missing = file("chat", vec![message(1, None, "user")]);
        missing["messages"][0].as_object_mut().unwrap().remove("role");
        assert!(
            error_of(&missing).contains("missing field `role`"),
            "{}",
            error_of(&missing)
        );
    }

    #[test]
    fn oversize_files_and_fields_are_refused() {
        let big = " ".repeat(MAX_BYTES + 1);
        assert!(matches!(parse(&big), Err(ImportError::TooLarge { .. })));
        let mut long = file("chat", vec![message(1, None, "user")]);
        long["title"] = json!("t".repeat(MAX_TITLE_CHARS + 1));
        long["messages"][0]["model"] = json!("m".repeat(MAX_MODEL_CHARS + 1));
        let error = error_of(&long);
        assert!(
            error.contains("the title is longer than 1000 characters") && error.contains("message 1's model is longer"),
            "{error}"
        );
        let many: Vec<Value> = (1..=MAX_MESSAGES as u64 + 1)
            .map(|id| {
                message(
                    id,
                    id.checked_sub(1).filter(|p| *p > 0),
                    if id % 2 == 1 { "user" } else { "assistant" },
                )
            })
            .collect();
        assert!(error_of(&file("chat", many)).contains("10001 messages, more than the 10000"));
    }

    #[test]
    fn bad_parents_cycles_and_duplicates_are_each_listed() {
        let unknown = file("chat", vec![message(1, None, "user"), message(2, Some(9), "assistant")]);
        assert!(
            error_of(&unknown).contains("message 2's parent 9 is not in the file"),
            "{}",
            error_of(&unknown)
        );
        let cycle = file(
            "chat",
            vec![
                message(1, None, "user"),
                message(2, Some(3), "assistant"),
                message(3, Some(2), "user"),
            ],
        );
        assert!(
            error_of(&cycle).contains("messages 2, 3 descend from no first message"),
            "{}",
            error_of(&cycle)
        );
        let listed = error_of(&file(
            "chat",
            vec![
                message(1, Some(1), "user"),
                message(1, None, "user"),
                message(2, None, "assistant"),
                message(3, Some(2), "system"),
            ],
        ));
        for problem in [
            "message 1 is its own parent",
            "message id 1 is used more than once",
            "answer 2 answers no message",
            "message 3 has role system",
        ] {
            assert!(listed.contains(problem), "{problem}: {listed}");
        }
    }

    #[test]
    fn a_compare_run_is_one_prompt_and_its_columns() {
        let run = file(
            "compare",
            vec![
                message(1, None, "user"),
                message(2, Some(1), "assistant"),
                message(3, Some(1), "assistant"),
            ],
        );
        let (conversation, messages) = parse(&run.to_string()).unwrap();
        assert_eq!(conversation.kind, ConversationKind::Compare);
        assert_eq!(
            messages.iter().map(|m| m.parent).collect::<Vec<_>>(),
            [None, Some(0), Some(0)]
        );
        let mut columns = vec![message(1, None, "user")];
        columns.extend((2..=6).map(|id| message(id, Some(1), "assistant")));
        assert!(error_of(&file("compare", columns)).contains("at most 4 answers; this one has 5"));
    }
}
