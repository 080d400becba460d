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
            cost_usd: Some(0.000125),
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
        let prompt = store
            .add_message(run.id, Role::User, "Which?", None, MessageState::Done)
            .unwrap()
            .id;
        for model in ["a/x", "b/y"] {
            store
                .add_child(
                    run.id,
                    Some(prompt),
                    Role::Assistant,
                    model,
                    Some(model),
                    MessageState::Done,
                )
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
    fn answer_versions_and_an_edit_branch_come_back_with_the_version_shown() {
        let store = Store::in_memory().unwrap();
        let chat = store.create_conversation().unwrap();
        let question = store
            .add_message(chat.id, Role::User, "Name a river", None, MessageState::Done)
            .unwrap();
        let first = store
            .add_message(chat.id, Role::Assistant, "Nile", Some("a/x"), MessageState::Done)
            .unwrap();
        store
            .add_message(chat.id, Role::User, "Longer?", None, MessageState::Done)
            .unwrap();
        store
            .add_message(chat.id, Role::Assistant, "Amazon", Some("a/x"), MessageState::Done)
            .unwrap();
        store
            .add_sibling(&first, Role::Assistant, "Rhine", Some("b/y"), MessageState::Done)
            .unwrap();
        let edit = store
            .add_sibling(&question, Role::User, "Name a lake", None, MessageState::Done)
            .unwrap();
        store
            .add_child(
                chat.id,
                Some(edit.id),
                Role::Assistant,
                "Baikal",
                Some("a/x"),
                MessageState::Done,
            )
            .unwrap();
        // Back to the first answer: the turn after it is shown again.
        store.choose(chat.id, first.id).unwrap();

        let imported = round_trip(&store, chat.id);
        let shown: Vec<String> = store
            .conversation(imported)
            .unwrap()
            .messages
            .into_iter()
            .map(|message| message.content)
            .collect();
        assert_eq!(shown, ["Name a river", "Nile", "Longer?", "Amazon"]);
        assert_eq!(store.message_tree(imported).unwrap().len(), 7, "every version is kept");
        let answer = store.conversation(imported).unwrap().messages[1].clone();
        let versions = store
            .with_versions(answer)
            .unwrap()
            .versions
            .expect("versions of the turn");
        assert_eq!(versions.answers.len(), 3, "two answers to the question and the edit's");
    }
}
