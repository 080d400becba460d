//! The exported conversation's JSON (docs/EXPORT.md): format `runnel.conversation`, schema
//! version 1. The conversation's fields, and its messages as a flat tree: each message has a local
//! `id` (1, 2, … in the order they were written) and the `parent` it follows or answers, so the
//! versions of an answer are siblings, a compare run's columns are the answers to its prompt, and
//! every one of them is kept with its model, state, error and stats.

use runnel_core::Role;
use serde::{Deserialize, Serialize};

use crate::error::{AppResult, UiError};
use crate::ipc_types::{ConversationKind, MessageState, Stats};
use crate::store::{Store, now_ms};

/// The `format` every export names.
pub const FORMAT: &str = "runnel.conversation";
/// The schema version this build writes and reads.
pub const VERSION: u32 = 1;

/// One exported conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Always [`FORMAT`].
    pub format: String,
    /// The schema version, [`VERSION`].
    pub version: u32,
    /// What wrote it (`Runnel 0.1.0`).
    pub exported_by: String,
    /// Unix ms of the export.
    pub exported_at: i64,
    /// The conversation's title.
    pub title: String,
    /// A chat or a compare run.
    pub kind: ConversationKind,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms of its last change.
    pub updated_at: i64,
    /// The model of its last answer.
    pub last_model: Option<String>,
    /// Every message, every version of every answer, in the order they were written.
    pub messages: Vec<MessageRecord>,
}

/// One message of an exported conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Its id in this file (from 1).
    pub id: u64,
    /// The `id` of the message it follows or answers; `null` for a first message.
    pub parent: Option<u64>,
    /// `user` or `assistant`.
    pub role: Role,
    /// Its text (Markdown for an answer).
    pub content: String,
    /// The model's reasoning, `""` when none.
    pub thinking: String,
    /// `provider/model` that wrote it (answers).
    pub model: Option<String>,
    /// `done`, `stopped`, `error` or `streaming` (exported while it arrived).
    pub state: MessageState,
    /// Why it failed (state `error`).
    pub error: Option<UiError>,
    /// Its numbers, timings and usage, once ended, as the app keeps them.
    pub stats: Option<Stats>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms it was last chosen among its siblings: the greatest is the version shown.
    pub chosen_at: i64,
}

impl Document {
    /// Conversation `id` from the store, every message of its tree.
    pub fn read(store: &Store, id: i64) -> AppResult<Self> {
        let conversation = store.conversation(id)?;
        let summary = store.summary(id)?;
        let tree = store.message_tree(id)?;
        let local: std::collections::HashMap<i64, u64> = tree
            .iter()
            .enumerate()
            .map(|(index, node)| (node.message.id, index as u64 + 1))
            .collect();
        let messages = tree
            .into_iter()
            .map(|node| {
                let message = node.message;
                MessageRecord {
                    id: local[&message.id],
                    parent: node.parent.and_then(|parent| local.get(&parent).copied()),
                    role: message.role,
                    content: message.content,
                    thinking: message.thinking,
                    model: message.model,
                    state: message.state,
                    error: message.error,
                    stats: message.stats,
                    created_at: message.created_at,
                    chosen_at: node.chosen_at,
                }
            })
            .collect();
        Ok(Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            exported_by: format!("Runnel {}", env!("CARGO_PKG_VERSION")),
            exported_at: now_ms(),
            title: conversation.title,
            kind: conversation.kind,
            created_at: conversation.created_at,
            updated_at: conversation.updated_at,
            last_model: summary.last_model,
            messages,
        })
    }

    /// The document as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a document serializes");
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_exports_as_a_chain_and_a_compare_run_as_siblings_with_every_field() {
        let store = Store::in_memory().unwrap();
        let chat = store.create_conversation().unwrap();
        store
            .add_message(chat.id, Role::User, "Hi", None, MessageState::Done)
            .unwrap();
        let answer = store
            .add_message(chat.id, Role::Assistant, "", Some("demo/m"), MessageState::Streaming)
            .unwrap();
        let stats = Stats {
            ttft_ms: Some(12.5),
            tokens_per_sec: Some(40.0),
            output_tokens: Some(9),
            tokens_estimated: false,
            input_tokens: Some(3),
            duration_ms: 250.0,
            finish_reason: Some("stop".into()),
            reasoning_tokens: Some(2),
            server_tokens_per_sec: None,
            cost_usd: None,
        };
        store
            .finish_message(answer.id, "Hello", "hmm", MessageState::Done, None, Some(&stats))
            .unwrap();
        store.touch_conversation(chat.id, "demo/m", "Hi").unwrap();
        let document = Document::read(&store, chat.id).unwrap();
        let json: serde_json::Value = serde_json::from_str(&document.to_json()).unwrap();
        assert_eq!(json["format"], "runnel.conversation");
        assert_eq!(json["version"], 1);
        assert_eq!(json["title"], "Hi");
        assert_eq!(json["kind"], "chat");
        assert_eq!(json["last_model"], "demo/m");
        let messages = json["messages"].as_array().unwrap();
        assert_eq!(
            (messages[0]["id"].as_u64(), messages[0]["parent"].as_u64()),
            (Some(1), None)
        );
        assert_eq!(
            (messages[1]["id"].as_u64(), messages[1]["parent"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(messages[1]["role"], "assistant");
        assert_eq!(messages[1]["thinking"], "hmm");
        assert_eq!(messages[1]["state"], "done");
        assert_eq!(messages[1]["stats"]["ttft_ms"], 12.5);
        assert_eq!(messages[1]["stats"]["input_tokens"], 3);
        assert_eq!(messages[1]["stats"]["reasoning_tokens"], 2);
        assert!(messages[1]["chosen_at"].as_i64() > messages[0]["chosen_at"].as_i64());

        let run = store.create(ConversationKind::Compare).unwrap();
        let prompt = store
            .add_message(run.id, Role::User, "Which?", None, MessageState::Done)
            .unwrap();
        for model in ["a/x", "b/y", "c/z"] {
            store
                .add_child(
                    run.id,
                    Some(prompt.id),
                    Role::Assistant,
                    model,
                    Some(model),
                    MessageState::Done,
                )
                .unwrap();
        }
        let document = Document::read(&store, run.id).unwrap();
        assert_eq!(document.kind, ConversationKind::Compare);
        let parents: Vec<Option<u64>> = document.messages.iter().map(|m| m.parent).collect();
        assert_eq!(parents, [None, Some(1), Some(1), Some(1)], "the columns are siblings");
    }
}
