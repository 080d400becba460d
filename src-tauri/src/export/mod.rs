//! A conversation exported to a file and imported back (docs/EXPORT.md).
//!
//! - [`document`]: the JSON schema (`runnel.conversation`, version 1): the conversation and its
//!   messages as a flat tree, every answer version with its model, state, error and stats; made
//!   from the store's [`message_tree`](crate::store::Store::message_tree).
//! - [`tree`]: which message of a tree is shown (the path Markdown follows).
//! - [`markdown`]: the shown path as Markdown, for people.
//! - [`import`]: a JSON file read back, checked (format, version, every size, the tree), as the
//!   messages [`insert_tree`](crate::store::Store::insert_tree) saves as a new conversation.
//! - [`files`]: the file written to the downloads folder under a free name, and the folder shown.

pub mod document;
pub mod files;
pub mod import;
pub mod markdown;
pub mod tree;

use std::path::Path;

use crate::error::AppResult;
use crate::ipc_types::{ConversationSummary, ExportFormat};
use crate::store::Store;

/// Writes conversation `id` to `dir` in `format`, under a free name made from its title; returns
/// the file's path.
pub fn export(store: &Store, id: i64, format: ExportFormat, dir: &Path) -> AppResult<std::path::PathBuf> {
    let document = document::Document::read(store, id)?;
    let (extension, text) = match format {
        ExportFormat::Markdown => ("md", markdown::render(&document)),
        ExportFormat::Json => ("json", document.to_json()),
    };
    Ok(files::write_new(dir, &document.title, extension, text.as_bytes())?)
}

/// Saves the conversation of an exported JSON `text` as a new conversation.
pub fn import(store: &Store, text: &str) -> AppResult<ConversationSummary> {
    let (conversation, messages) = import::parse(text)?;
    store.insert_tree(&conversation, &messages)
}

#[cfg(test)]
mod tests {
    use runnel_core::{ErrorKind, Role, StreamError};

    use super::document::Document;
    use super::*;
    use crate::error::{AppError, UiError};
    use crate::ipc_types::{ConversationKind, MessageState, Stats};

    /// The document's JSON without what an import changes: when it was exported and updated.
    fn content(document: &Document) -> serde_json::Value {
        let mut json = serde_json::to_value(document).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("exported_at");
        object.remove("updated_at");
        json
    }

    /// Exports `id` as JSON, imports it, exports the import: the same content.
    fn round_trip(store: &Store, id: i64) -> i64 {
        let first = Document::read(store, id).unwrap();
        let imported = import(store, &first.to_json()).unwrap();
        assert_ne!(imported.id, id, "a new conversation");
        let again = Document::read(store, imported.id).unwrap();
        assert_eq!(content(&again), content(&first));
        imported.id
    }

    #[test]
    fn a_chat_and_a_compare_run_come_back_the_same_through_json() {
        let store = Store::in_memory().unwrap();
        let chat = store.create_conversation().unwrap();
        store
            .add_message(chat.id, Role::User, "Explain ```fences```", None, MessageState::Done)
            .unwrap();
        let answer = store
            .add_message(chat.id, Role::Assistant, "", Some("demo/m"), MessageState::Streaming)
            .unwrap();
        let stats = Stats {
            ttft_ms: Some(3.5),
            tokens_per_sec: Some(12.25),
            output_tokens: Some(7),
            tokens_estimated: true,
            input_tokens: Some(4),
            duration_ms: 99.0,
            finish_reason: None,
            reasoning_tokens: Some(1),
            server_tokens_per_sec: Some(80.5),
        };
        store
            .finish_message(
                answer.id,
                "````\n```\n",
                "thought",
                MessageState::Stopped,
                None,
                Some(&stats),
            )
            .unwrap();
        store
            .add_message(chat.id, Role::User, "Again", None, MessageState::Done)
            .unwrap();
        let failed = store
            .add_message(chat.id, Role::Assistant, "", Some("other/n"), MessageState::Streaming)
            .unwrap();
        let mut error = StreamError::new(ErrorKind::RateLimited, "slow down");
        error.status = Some(429);
        error.retry_after = Some(20.0);
        store
            .finish_message(
                failed.id,
                "Par",
                "",
                MessageState::Error,
                Some(&UiError::from(&error)),
                None,
            )
            .unwrap();
        store.touch_conversation(chat.id, "other/n", "Explain").unwrap();
        let imported = round_trip(&store, chat.id);
        let restored = store.conversation(imported).unwrap();
        assert_eq!(restored.messages[3].error.as_ref().unwrap().retry_after, Some(20.0));
        assert_eq!(store.summary(imported).unwrap().last_model.as_deref(), Some("other/n"));

        let run = store.create(ConversationKind::Compare).unwrap();
        store
            .add_message(run.id, Role::User, "Which?", None, MessageState::Done)
            .unwrap();
        for model in ["a/x", "b/y"] {
            store
                .add_message(run.id, Role::Assistant, model, Some(model), MessageState::Done)
                .unwrap();
        }
        let imported = round_trip(&store, run.id);
        assert_eq!(store.summary(imported).unwrap().kind, ConversationKind::Compare);
    }

    #[test]
    fn markdown_and_json_files_go_to_the_folder_under_the_title() {
        let store = Store::in_memory().unwrap();
        let chat = store.create_conversation().unwrap();
        store
            .add_message(chat.id, Role::User, "What is SSE?", None, MessageState::Done)
            .unwrap();
        store.touch_conversation(chat.id, "demo/m", "What is SSE?").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let markdown = export(&store, chat.id, ExportFormat::Markdown, dir.path()).unwrap();
        let json = export(&store, chat.id, ExportFormat::Json, dir.path()).unwrap();
        let again = export(&store, chat.id, ExportFormat::Json, dir.path()).unwrap();
        assert_eq!(markdown, dir.path().join("What is SSE.md"));
        assert_eq!(json, dir.path().join("What is SSE.json"));
        assert_eq!(again, dir.path().join("What is SSE (2).json"));
        assert!(
            std::fs::read_to_string(markdown)
                .unwrap()
                .starts_with("# What is SSE?\n")
        );
        assert!(matches!(
            export(&store, chat.id + 99, ExportFormat::Json, dir.path()),
            Err(AppError::NotFound(_))
        ));
    }

    #[test]
    fn a_tree_with_versions_waits_for_the_columns_that_keep_them() {
        let store = Store::in_memory().unwrap();
        let messages: Vec<serde_json::Value> = [1, 2, 3]
            .map(|id| {
                let (parent, role) = if id == 1 {
                    (None, "user")
                } else {
                    (Some(1), "assistant")
                };
                serde_json::json!({
                    "id": id, "parent": parent, "role": role, "content": "", "thinking": "", "model": null,
                    "state": "done", "error": null, "stats": null, "created_at": id, "chosen_at": id,
                })
            })
            .into();
        let versions = serde_json::json!({
            "format": "runnel.conversation", "version": 1, "exported_by": "x", "exported_at": 0,
            "title": "v", "kind": "chat", "created_at": 0, "updated_at": 0, "last_model": null,
            "messages": messages,
        });
        let before = store.list_conversations(None).unwrap().len();
        assert!(matches!(
            import(&store, &versions.to_string()),
            Err(AppError::InvalidInput(_))
        ));
        assert_eq!(
            store.list_conversations(None).unwrap().len(),
            before,
            "nothing is saved"
        );
    }
}
