//! History in SQLite (bundled): conversations, messages, settings and custom providers, with
//! migrations from the first version. A streaming answer is checkpointed while it arrives, so a
//! crash loses at most the last checkpoint; answers still marked streaming at start-up are marked
//! as interrupted.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use runnel_core::catalog::Origin;
use runnel_core::{ProviderDef, Role};
use rusqlite::{Connection, OptionalExtension, Row, params};

use runnel_core::StreamError;

use crate::error::{AppError, AppResult, UiError};
use crate::ipc_types::{Conversation, ConversationKind, ConversationSummary, MessageState, MessageView, Stats};
use crate::versions::{Node, Tree};

/// Schema versions, oldest first; `PRAGMA user_version` counts how many are applied.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_model TEXT
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        thinking TEXT NOT NULL DEFAULT '',
        model TEXT,
        state TEXT NOT NULL,
        error TEXT,
        stats TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE custom_providers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        protocol TEXT NOT NULL,
        base_url TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );",
    // 2: compare runs. A compare run is a conversation of kind `compare`: its one user message is
    // the prompt, and each of its answers (in id order) is a column.
    "ALTER TABLE conversations ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'compare'));",
    // 3: each answer's stream as it came off the wire (`recordings.rs`): the `.sse` file's two
    // parts, the sidecar's JSON and the body. Deleting the answer deletes it.
    "CREATE TABLE recordings (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        sidecar TEXT NOT NULL,
        body BLOB NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX recordings_by_age ON recordings(created_at);",
    // 4: answer versions (versions.rs, docs/VERSIONS.md): a conversation's messages form a tree.
    // Siblings are versions; the one chosen last (`chosen_at`, ties: the newest) is shown. Until
    // now a chat was a line: each message follows the one before it. A compare run's columns all
    // answer its prompt.
    "ALTER TABLE messages ADD COLUMN parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE;
    ALTER TABLE messages ADD COLUMN chosen_at INTEGER NOT NULL DEFAULT 0;
    UPDATE messages SET chosen_at = created_at, parent_id = (
        SELECT max(before.id) FROM messages before
        WHERE before.conversation_id = messages.conversation_id AND before.id < messages.id
    );
    UPDATE messages SET parent_id = (
        SELECT min(prompt.id) FROM messages prompt
        WHERE prompt.conversation_id = messages.conversation_id AND prompt.role = 'user'
    )
    WHERE role = 'assistant'
      AND conversation_id IN (SELECT id FROM conversations WHERE kind = 'compare');
    CREATE INDEX messages_by_parent ON messages(parent_id);",
];

/// The title a conversation has until its first message names it.
pub const UNTITLED: &str = "New conversation";

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Why the history database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A newer Runnel wrote it; it is left as it is.
    #[error("it was written by a newer Runnel (schema version {found}; this version reads up to {supported})")]
    TooNew {
        /// Its `user_version`.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// SQLite failed: a damaged file, a folder that cannot be written, a lock.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl OpenError {
    /// The file is not a database, or a damaged one.
    pub fn is_corrupt(&self) -> bool {
        matches!(
            self,
            Self::Sqlite(error) if matches!(
                error.sqlite_error_code(),
                Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
            )
        )
    }
}

/// The history database.
pub struct Store {
    connection: Mutex<Connection>,
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to date. A database of
    /// a newer schema is refused before anything is written to it.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        Self::init(Connection::open(path)?)
    }

    /// An in-memory database: tests, and the fallback when history cannot be kept on disk.
    pub fn in_memory() -> AppResult<Self> {
        Self::init(Connection::open_in_memory()?).map_err(|error| match error {
            OpenError::Sqlite(error) => AppError::Storage(error),
            other => AppError::Config(other.to_string()),
        })
    }

    fn init(mut connection: Connection) -> Result<Self, OpenError> {
        // Read first: the journal mode below rewrites the header of a database in another mode.
        let applied: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if applied > supported {
            return Err(OpenError::TooNew {
                found: applied,
                supported,
            });
        }
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "foreign_keys", true)?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        let transaction = connection.transaction()?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            transaction.execute_batch(migration)?;
            transaction.pragma_update(None, "user_version", index as i64 + 1)?;
        }
        transaction.commit()?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn with<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> AppResult<T> {
        let connection = self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(work(&connection)?)
    }

    /// Marks answers left `streaming` by a previous run as interrupted errors; returns how many.
    pub fn recover_interrupted(&self) -> AppResult<usize> {
        let error = UiError::from(&StreamError::incomplete(
            "Runnel closed before this answer finished; the text up to then is kept.",
        ));
        let error = serde_json::to_string(&error).expect("a UiError serializes");
        self.with(|db| {
            db.execute(
                "UPDATE messages SET state = 'error', error = ?1 WHERE state = 'streaming'",
                [error],
            )
        })
    }

    /// Conversations, newest first; `query` matches titles and message text.
    pub fn list_conversations(&self, query: Option<&str>) -> AppResult<Vec<ConversationSummary>> {
        let pattern = query.map(str::trim).filter(|query| !query.is_empty()).map(like_pattern);
        self.with(|db| {
            let mut statement = db.prepare(
                "SELECT id, title, updated_at, last_model, kind FROM conversations c
                 WHERE ?1 IS NULL OR title LIKE ?1 ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content LIKE ?1 ESCAPE '\\')
                 ORDER BY updated_at DESC, id DESC",
            )?;
            statement.query_map([pattern], summary_from_row)?.collect()
        })
    }

    /// A new, empty conversation.
    pub fn create_conversation(&self) -> AppResult<ConversationSummary> {
        self.create(ConversationKind::Chat)
    }

    /// A new, empty conversation of `kind`.
    pub fn create(&self, kind: ConversationKind) -> AppResult<ConversationSummary> {
        let now = now_ms();
        self.with(|db| {
            db.execute(
                "INSERT INTO conversations (title, created_at, updated_at, kind) VALUES (?1, ?2, ?2, ?3)",
                params![UNTITLED, now, kind.as_str()],
            )?;
            Ok(ConversationSummary {
                id: db.last_insert_rowid(),
                title: UNTITLED.into(),
                updated_at: now,
                last_model: None,
                kind,
            })
        })
    }

    /// A conversation's summary.
    pub fn summary(&self, id: i64) -> AppResult<ConversationSummary> {
        self.with(|db| {
            db.query_row(
                "SELECT id, title, updated_at, last_model, kind FROM conversations WHERE id = ?1",
                [id],
                summary_from_row,
            )
            .optional()
        })?
        .ok_or_else(|| AppError::NotFound(format!("conversation {id} does not exist")))
    }

    /// A conversation with the messages shown: a chat's path of versions chosen, each answer
    /// with its turn's versions; a compare run's every message.
    pub fn conversation(&self, id: i64) -> AppResult<Conversation> {
        let summary = self.summary(id)?;
        let (created_at, messages) = self.with(|db| {
            let created_at = db.query_row("SELECT created_at FROM conversations WHERE id = ?1", [id], |row| {
                row.get(0)
            })?;
            let mut all = all_messages(db, id)?;
            if summary.kind == ConversationKind::Compare {
                return Ok((created_at, all.into_iter().map(|(message, _)| message).collect()));
            }
            let tree = Tree::new(all.iter().map(|(_, node)| *node));
            let mut by_id: HashMap<i64, MessageView> =
                all.drain(..).map(|(message, _)| (message.id, message)).collect();
            let messages = tree
                .shown_path()
                .into_iter()
                .filter_map(|id| by_id.remove(&id))
                .map(|mut message| {
                    message.versions = tree.versions(message.id);
                    message
                })
                .collect();
            Ok((created_at, messages))
        })?;
        Ok(Conversation {
            id,
            title: summary.title,
            kind: summary.kind,
            created_at,
            updated_at: summary.updated_at,
            messages,
        })
    }

    /// The tree of conversation `id`'s messages.
    fn tree(&self, id: i64) -> AppResult<Tree> {
        self.with(|db| {
            let mut statement =
                db.prepare("SELECT id, parent_id, role, chosen_at FROM messages WHERE conversation_id = ?1")?;
            let nodes = statement
                .query_map([id], node_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Tree::new(nodes))
        })
    }

    /// The messages from conversation `conversation_id`'s first down to `id` (its history as a
    /// request carries it), oldest first.
    pub fn path_to(&self, conversation_id: i64, id: i64) -> AppResult<Vec<MessageView>> {
        self.tree(conversation_id)?
            .path_to(id)
            .into_iter()
            .map(|id| self.message(id))
            .collect()
    }

    /// Answer `id` with the versions of its turn.
    pub fn with_versions(&self, mut message: MessageView) -> AppResult<MessageView> {
        message.versions = self.tree(message.conversation_id)?.versions(message.id);
        Ok(message)
    }

    /// Whether message `id` of conversation `conversation_id` has nothing after it in any version.
    pub fn is_leaf(&self, conversation_id: i64, id: i64) -> AppResult<bool> {
        Ok(self.tree(conversation_id)?.is_leaf(id))
    }

    /// Shows version `id` of its turn: it (and its user message, for an edit's answer) becomes
    /// the chosen one, so the conversation shown goes on from it.
    pub fn choose(&self, conversation_id: i64, id: i64) -> AppResult<()> {
        let chosen = self.tree(conversation_id)?.to_choose(id);
        if chosen.is_empty() {
            return Err(AppError::NotFound(format!(
                "conversation {conversation_id} has no message {id}"
            )));
        }
        self.with(|db| {
            let transaction = db.unchecked_transaction()?;
            for id in chosen {
                transaction.execute(
                    &format!("UPDATE messages SET chosen_at = {NEXT_CHOSEN} WHERE id = ?2"),
                    params![conversation_id, id, now_ms()],
                )?;
            }
            transaction.commit()
        })
    }

    /// A conversation's messages as a tree, oldest first: each with the message it follows or
    /// answers (`parent`, `None` for the first) and when it was last chosen among its siblings
    /// (the answer versions of one turn: the shown one has the greatest `chosen_at`, ties the
    /// greatest id). Export reads every message, every version, through here.
    pub fn message_tree(&self, conversation_id: i64) -> AppResult<Vec<TreeMessage>> {
        self.conversation(conversation_id)?;
        let messages = self.with(|db| all_messages(db, conversation_id))?;
        Ok(messages
            .into_iter()
            .map(|(message, node)| TreeMessage {
                parent: node.parent,
                chosen_at: node.chosen_at,
                message,
            })
            .collect())
    }

    /// Saves `conversation` as a new conversation (new ids) with `messages`, in one write: all or
    /// nothing. Each message's `parent` is the index in `messages` of the one it follows or
    /// answers, which comes before it. Import restores a conversation through here.
    pub fn insert_tree(
        &self,
        conversation: &NewConversation,
        messages: &[NewTreeMessage],
    ) -> AppResult<ConversationSummary> {
        self.with(|db| {
            let transaction = db.unchecked_transaction()?;
            transaction.execute(
                "INSERT INTO conversations (title, created_at, updated_at, last_model, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    conversation.title,
                    conversation.created_at,
                    conversation.updated_at,
                    conversation.last_model,
                    conversation.kind.as_str()
                ],
            )?;
            let id = transaction.last_insert_rowid();
            let mut ids: Vec<i64> = Vec::with_capacity(messages.len());
            for new in messages {
                let message = &new.message;
                let error = message.error.as_ref().map(|error| serde_json::to_string(error).expect("a UiError serializes"));
                let stats = message.stats.as_ref().map(|stats| serde_json::to_string(stats).expect("stats serialize"));
                transaction.execute(
                    "INSERT INTO messages (conversation_id, role, content, thinking, model, state, error, stats, created_at,
                         parent_id, chosen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        id,
                        message.role.as_str(),
                        message.content,
                        message.thinking,
                        message.model,
                        message.state.as_str(),
                        error,
                        stats,
                        message.created_at,
                        new.parent.map(|index| ids[index]),
                        new.chosen_at
                    ],
                )?;
                ids.push(transaction.last_insert_rowid());
            }
            transaction.commit()?;
            Ok(id)
        })
        .and_then(|id| self.summary(id))
    }

    /// Renames a conversation.
    pub fn rename_conversation(&self, id: i64, title: &str) -> AppResult<ConversationSummary> {
        let changed =
            self.with(|db| db.execute("UPDATE conversations SET title = ?1 WHERE id = ?2", params![title, id]))?;
        if changed == 0 {
            return Err(AppError::NotFound(format!("conversation {id} does not exist")));
        }
        self.summary(id)
    }

    /// Deletes a conversation and its messages.
    pub fn delete_conversation(&self, id: i64) -> AppResult<()> {
        self.with(|db| db.execute("DELETE FROM conversations WHERE id = ?1", [id]))?;
        Ok(())
    }

    /// Records activity: the update time, the model of the last answer, and a title from the first
    /// user message while the conversation has none.
    pub fn touch_conversation(&self, id: i64, model: &str, first_text: &str) -> AppResult<()> {
        let title = title_from(first_text);
        self.with(|db| {
            db.execute(
                "UPDATE conversations SET updated_at = ?1, last_model = ?2,
                    title = CASE WHEN title = ?3 THEN ?4 ELSE title END WHERE id = ?5",
                params![now_ms(), model, UNTITLED, title, id],
            )
        })?;
        Ok(())
    }

    /// Adds a message at the end of the conversation shown (after the last message of its path).
    pub fn add_message(
        &self,
        conversation_id: i64,
        role: Role,
        content: &str,
        model: Option<&str>,
        state: MessageState,
    ) -> AppResult<MessageView> {
        let parent = self.tree(conversation_id)?.shown_path().last().copied();
        self.add_child(conversation_id, parent, role, content, model, state)
    }

    /// Adds a message after `parent` (`None`: a first message), chosen: the conversation shown
    /// goes through it.
    pub fn add_child(
        &self,
        conversation_id: i64,
        parent: Option<i64>,
        role: Role,
        content: &str,
        model: Option<&str>,
        state: MessageState,
    ) -> AppResult<MessageView> {
        let now = now_ms();
        let id = self.with(|db| {
            db.execute(
                &format!(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, model, state, created_at, chosen_at)
                     VALUES (?1, ?2, ?4, ?5, ?6, ?7, ?3, {NEXT_CHOSEN})"
                ),
                params![conversation_id, parent, now, role.as_str(), content, model, state.as_str()],
            )?;
            Ok(db.last_insert_rowid())
        })?;
        self.message(id)
    }

    /// Adds a version of message `of`: a message after the same parent, chosen.
    pub fn add_sibling(
        &self,
        of: &MessageView,
        role: Role,
        content: &str,
        model: Option<&str>,
        state: MessageState,
    ) -> AppResult<MessageView> {
        let parent = self.with(|db| {
            db.query_row("SELECT parent_id FROM messages WHERE id = ?1", [of.id], |row| {
                row.get(0)
            })
        })?;
        self.add_child(of.conversation_id, parent, role, content, model, state)
    }

    /// One message.
    pub fn message(&self, id: i64) -> AppResult<MessageView> {
        self.with(|db| {
            db.query_row(&format!("{MESSAGE_COLUMNS} WHERE id = ?1"), [id], message_from_row)
                .optional()
        })?
        .ok_or_else(|| AppError::NotFound(format!("message {id} does not exist")))
    }

    /// Saves the text of a streaming answer so far.
    pub fn checkpoint(&self, id: i64, content: &str, thinking: &str) -> AppResult<()> {
        self.with(|db| {
            db.execute(
                "UPDATE messages SET content = ?1, thinking = ?2 WHERE id = ?3",
                params![content, thinking, id],
            )
        })?;
        Ok(())
    }

    /// Saves an answer as ended: its text, state, error and numbers.
    pub fn finish_message(
        &self,
        id: i64,
        content: &str,
        thinking: &str,
        state: MessageState,
        error: Option<&UiError>,
        stats: Option<&Stats>,
    ) -> AppResult<MessageView> {
        let error = error.map(|error| serde_json::to_string(error).expect("a UiError serializes"));
        let stats = stats.map(|stats| serde_json::to_string(stats).expect("stats serialize"));
        self.with(|db| {
            db.execute(
                "UPDATE messages SET content = ?1, thinking = ?2, state = ?3, error = ?4, stats = ?5 WHERE id = ?6",
                params![content, thinking, state.as_str(), error, stats, id],
            )
        })?;
        self.message(id)
    }

    /// Empties an ended answer and marks it streaming again, to be answered anew in place (a
    /// compare column's Retry keeps its column); its recorded stream goes with its text.
    pub fn restart_message(&self, id: i64) -> AppResult<MessageView> {
        self.with(|db| {
            db.execute("DELETE FROM recordings WHERE message_id = ?1", [id])?;
            db.execute(
                "UPDATE messages SET content = '', thinking = '', state = 'streaming', error = NULL, stats = NULL
                 WHERE id = ?1",
                [id],
            )
        })?;
        self.message(id)
    }

    /// Deletes messages by id.
    pub fn delete_messages(&self, ids: &[i64]) -> AppResult<()> {
        self.with(|db| {
            let transaction = db.unchecked_transaction()?;
            delete_each(&transaction, ids)?;
            transaction.commit()
        })
    }

    /// A setting's value.
    pub fn setting(&self, key: &str) -> AppResult<Option<String>> {
        self.with(|db| {
            db.query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| row.get(0))
                .optional()
        })
    }

    /// Every setting whose key starts with `prefix`, by the rest of its key.
    pub fn settings_with_prefix(&self, prefix: &str) -> AppResult<std::collections::HashMap<String, String>> {
        self.with(|db| {
            let mut statement = db.prepare("SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1")?;
            let rows = statement.query_map([prefix], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            rows.map(|row| row.map(|(key, value)| (key[prefix.len()..].to_owned(), value)))
                .collect()
        })
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> AppResult<()> {
        self.with(|db| {
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
        })?;
        Ok(())
    }

    /// Removes a setting (none is fine).
    pub fn delete_setting(&self, key: &str) -> AppResult<()> {
        self.with(|db| db.execute("DELETE FROM settings WHERE key = ?1", [key]))?;
        Ok(())
    }

    /// Keeps the recording of answer `message_id` (an `.sse` file's sidecar and body), replacing
    /// any it had (a compare column answered again).
    pub fn save_recording(&self, message_id: i64, sidecar: &str, body: &[u8]) -> AppResult<()> {
        self.with(|db| {
            db.execute(
                "INSERT OR REPLACE INTO recordings (message_id, sidecar, body, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![message_id, sidecar, body, now_ms()],
            )
        })?;
        Ok(())
    }

    /// The recording of answer `message_id` (sidecar, body), if it has one.
    pub fn recording(&self, message_id: i64) -> AppResult<Option<(String, Vec<u8>)>> {
        self.with(|db| {
            db.query_row(
                "SELECT sidecar, body FROM recordings WHERE message_id = ?1",
                [message_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
        })
    }

    /// When answer `message_id`'s recording was saved (unix ms) and its body's length, if it has
    /// one: what tells a recording from the one it replaced, without reading it.
    pub fn recording_stamp(&self, message_id: i64) -> AppResult<Option<(i64, u64)>> {
        self.with(|db| {
            db.query_row(
                "SELECT created_at, length(body) FROM recordings WHERE message_id = ?1",
                [message_id],
                |row| Ok((row.get(0)?, row.get::<_, i64>(1)?.unsigned_abs())),
            )
            .optional()
        })
    }

    /// Gives answer `to` a copy of answer `from`'s recording, if it has one.
    pub fn copy_recording(&self, from: i64, to: i64) -> AppResult<()> {
        self.with(|db| {
            db.execute(
                "INSERT OR REPLACE INTO recordings (message_id, sidecar, body, created_at)
                 SELECT ?2, sidecar, body, created_at FROM recordings WHERE message_id = ?1",
                params![from, to],
            )
        })?;
        Ok(())
    }

    /// Deletes the recordings kept before `before_ms` (unix ms); returns how many.
    pub fn delete_recordings_before(&self, before_ms: i64) -> AppResult<usize> {
        self.with(|db| db.execute("DELETE FROM recordings WHERE created_at < ?1", [before_ms]))
    }

    /// Custom providers, oldest first.
    pub fn custom_providers(&self) -> AppResult<Vec<ProviderDef>> {
        self.with(|db| {
            let mut statement =
                db.prepare("SELECT id, name, protocol, base_url FROM custom_providers ORDER BY created_at, id")?;
            statement
                .query_map([], |row| {
                    let field = |n: usize| row.get::<_, String>(n);
                    Ok(ProviderDef::new(
                        Origin::Custom,
                        &field(0)?,
                        &field(1)?,
                        &field(2)?,
                        &field(3)?,
                    ))
                })?
                .collect()
        })
    }

    /// Adds a custom provider.
    pub fn add_custom_provider(&self, provider: &ProviderDef) -> AppResult<()> {
        self.with(|db| {
            db.execute(
                "INSERT INTO custom_providers (id, name, protocol, base_url, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    provider.id,
                    provider.name,
                    provider.protocol,
                    provider.base_url,
                    now_ms()
                ],
            )
        })?;
        Ok(())
    }

    /// Removes a custom provider; `false` when there was none.
    pub fn remove_custom_provider(&self, id: &str) -> AppResult<bool> {
        Ok(self.with(|db| db.execute("DELETE FROM custom_providers WHERE id = ?1", [id]))? > 0)
    }
}

/// A message with its place in its conversation's tree ([`Store::message_tree`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TreeMessage {
    /// The message.
    pub message: MessageView,
    /// The id of the message it follows or answers; `None` for a first message.
    pub parent: Option<i64>,
    /// Unix ms it was last chosen among its siblings (its versions): the greatest is shown.
    pub chosen_at: i64,
}

/// A conversation to save anew ([`Store::insert_tree`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewConversation {
    /// Its title.
    pub title: String,
    /// A chat or a compare run.
    pub kind: ConversationKind,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms of its last change.
    pub updated_at: i64,
    /// The model of its last answer.
    pub last_model: Option<String>,
}

/// A message to save in a new conversation's tree ([`Store::insert_tree`]); its `id` and
/// `conversation_id` are ignored (new ones are given).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTreeMessage {
    /// The message.
    pub message: MessageView,
    /// The index, among the messages saved with it, of the one it follows or answers.
    pub parent: Option<usize>,
    /// Unix ms it was last chosen among its siblings.
    pub chosen_at: i64,
}

const MESSAGE_COLUMNS: &str =
    "SELECT id, conversation_id, role, content, thinking, model, state, error, stats, created_at,
    parent_id, chosen_at FROM messages";

/// The `chosen_at` of a message chosen now in conversation `?1`, with now in `?3`: later than
/// any other of the conversation, even within one millisecond.
const NEXT_CHOSEN: &str = "max(?3, (SELECT coalesce(max(chosen_at), 0) + 1 FROM messages WHERE conversation_id = ?1))";

/// Every message of conversation `id` with its place in the tree, in id order.
fn all_messages(db: &Connection, id: i64) -> rusqlite::Result<Vec<(MessageView, Node)>> {
    let mut statement = db.prepare(&format!("{MESSAGE_COLUMNS} WHERE conversation_id = ?1 ORDER BY id"))?;
    statement
        .query_map([id], |row| {
            Ok((message_from_row(row)?, node_from_row_at(row, 0, 10, 2, 11)?))
        })?
        .collect()
}

fn node_from_row(row: &Row<'_>) -> rusqlite::Result<Node> {
    node_from_row_at(row, 0, 1, 2, 3)
}

/// A tree node from the columns `id`, `parent`, `role` and `chosen` of `row`.
fn node_from_row_at(row: &Row<'_>, id: usize, parent: usize, role: usize, chosen: usize) -> rusqlite::Result<Node> {
    Ok(Node {
        id: row.get(id)?,
        parent: row.get(parent)?,
        role: role_from_row(row, role)?,
        chosen_at: row.get(chosen)?,
    })
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<MessageView> {
    let error: Option<String> = row.get(7)?;
    let stats: Option<String> = row.get(8)?;
    Ok(MessageView {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        role: role_from_row(row, 2)?,
        content: row.get(3)?,
        thinking: row.get(4)?,
        model: row.get(5)?,
        state: MessageState::parse(&row.get::<_, String>(6)?),
        error: error.and_then(|json| serde_json::from_str(&json).ok()),
        stats: stats.and_then(|json| serde_json::from_str(&json).ok()),
        created_at: row.get(9)?,
        versions: None,
    })
}

/// The role in column `index` (the schema allows only `user` and `assistant`).
fn role_from_row(row: &Row<'_>, index: usize) -> rusqlite::Result<Role> {
    let word: String = row.get(index)?;
    Role::parse(&word).ok_or(rusqlite::Error::InvalidColumnType(
        index,
        "role".into(),
        rusqlite::types::Type::Text,
    ))
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: row.get(0)?,
        title: row.get(1)?,
        updated_at: row.get(2)?,
        last_model: row.get(3)?,
        kind: ConversationKind::parse(&row.get::<_, String>(4)?),
    })
}

/// Deletes the messages `ids` inside `transaction`.
fn delete_each(transaction: &rusqlite::Transaction<'_>, ids: &[i64]) -> rusqlite::Result<()> {
    for id in ids {
        transaction.execute("DELETE FROM messages WHERE id = ?1", [id])?;
    }
    Ok(())
}

/// A LIKE pattern matching `query` anywhere, with `%`, `_` and `\` taken literally.
fn like_pattern(query: &str) -> String {
    let escaped = query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// A title from the first line of a message, at most 60 characters.
fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or(UNTITLED);
    let mut title: String = line.chars().take(60).collect();
    if title.chars().count() < line.chars().count() {
        title.push('…');
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_reopen_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite3");
        let store = Store::open(&path).unwrap();
        let conversation = store.create_conversation().unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.summary(conversation.id).unwrap().title, UNTITLED);
        let version: i64 = store
            .with(|db| db.pragma_query_value(None, "user_version", |row| row.get(0)))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
    }

    #[test]
    fn a_first_version_database_keeps_its_conversations_as_chats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite3");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        old.execute_batch(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES ('Old', 1, 1); PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(old);
        let store = Store::open(&path).unwrap();
        let listed = store.list_conversations(None).unwrap();
        assert_eq!(
            (listed[0].title.as_str(), listed[0].kind),
            ("Old", ConversationKind::Chat)
        );
        let run = store.create(ConversationKind::Compare).unwrap();
        assert_eq!(store.conversation(run.id).unwrap().kind, ConversationKind::Compare);
    }

    #[test]
    fn messages_round_trip_with_state_error_and_stats() {
        let store = Store::in_memory().unwrap();
        let conversation = store.create_conversation().unwrap();
        store
            .add_message(conversation.id, Role::User, "Hello there", None, MessageState::Done)
            .unwrap();
        let answer = store
            .add_message(
                conversation.id,
                Role::Assistant,
                "",
                Some("demo/runnel-demo"),
                MessageState::Streaming,
            )
            .unwrap();
        store.checkpoint(answer.id, "Partial", "").unwrap();
        let mut error = StreamError::new(runnel_core::ErrorKind::RateLimited, "slow");
        error.status = Some(429);
        error.retry_after = Some(2.0);
        let error = UiError::from(&error);
        let stats = Stats {
            ttft_ms: Some(10.0),
            tokens_per_sec: None,
            output_tokens: Some(3),
            tokens_estimated: true,
            input_tokens: None,
            duration_ms: 20.0,
            finish_reason: None,
            reasoning_tokens: None,
            server_tokens_per_sec: None,
            cost_usd: Some(0.0042),
        };
        let saved = store
            .finish_message(
                answer.id,
                "Partial text",
                "",
                MessageState::Error,
                Some(&error),
                Some(&stats),
            )
            .unwrap();
        assert_eq!(saved.state, MessageState::Error);
        assert_eq!(saved.error, Some(error));
        assert_eq!(saved.stats, Some(stats));
        store
            .touch_conversation(conversation.id, "demo/runnel-demo", "Hello there\nsecond line")
            .unwrap();
        let loaded = store.conversation(conversation.id).unwrap();
        assert_eq!(loaded.title, "Hello there");
        assert_eq!(loaded.messages.len(), 2);
        assert_eq!(loaded.messages[1].content, "Partial text");
    }

    #[test]
    fn interrupted_answers_are_marked_at_start_up() {
        let store = Store::in_memory().unwrap();
        let conversation = store.create_conversation().unwrap();
        let answer = store
            .add_message(conversation.id, Role::Assistant, "", None, MessageState::Streaming)
            .unwrap();
        store.checkpoint(answer.id, "kept", "").unwrap();
        assert_eq!(store.recover_interrupted().unwrap(), 1);
        let answer = store.message(answer.id).unwrap();
        assert_eq!((answer.state, answer.content.as_str()), (MessageState::Error, "kept"));
        assert_eq!(answer.error.unwrap().kind, "incomplete");
    }

    #[test]
    fn search_matches_titles_and_content_literally() {
        let store = Store::in_memory().unwrap();
        let first = store.create_conversation().unwrap();
        store.rename_conversation(first.id, "Rust lifetimes").unwrap();
        let second = store.create_conversation().unwrap();
        store
            .add_message(second.id, Role::User, "what does 100% mean", None, MessageState::Done)
            .unwrap();
        let ids = |query| {
            store
                .list_conversations(Some(query))
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("lifetimes"), vec![first.id]);
        assert_eq!(ids("100%"), vec![second.id]);
        assert_eq!(ids("%"), vec![second.id]);
        assert!(ids("absent").is_empty());
        assert_eq!(store.list_conversations(None).unwrap().len(), 2);
    }

    #[test]
    fn a_recording_goes_with_its_answer_restarted_or_deleted() {
        let store = Store::in_memory().unwrap();
        let conversation = store.create_conversation().unwrap();
        let answer = store
            .add_message(conversation.id, Role::Assistant, "", None, MessageState::Done)
            .unwrap();
        store.save_recording(answer.id, "{}", b"data").unwrap();
        store.save_recording(answer.id, "{}", b"again").unwrap();
        assert_eq!(
            store.recording(answer.id).unwrap(),
            Some(("{}".into(), b"again".to_vec()))
        );
        let (saved_at, bytes) = store.recording_stamp(answer.id).unwrap().unwrap();
        assert!(saved_at > 0 && bytes == 5, "{saved_at} {bytes}");
        store.restart_message(answer.id).unwrap();
        assert_eq!(store.recording(answer.id).unwrap(), None);
        assert_eq!(store.recording_stamp(answer.id).unwrap(), None);
        store.save_recording(answer.id, "{}", b"data").unwrap();
        store.delete_messages(&[answer.id]).unwrap();
        assert_eq!(store.recording(answer.id).unwrap(), None);
    }

    #[test]
    fn a_third_version_database_becomes_a_tree_of_one_line_and_its_runs_columns_answer_the_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite3");
        let old = Connection::open(&path).unwrap();
        for migration in &MIGRATIONS[..3] {
            old.execute_batch(migration).unwrap();
        }
        old.execute_batch(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'Chat', 1, 1);
             INSERT INTO conversations (id, title, created_at, updated_at, kind) VALUES (2, 'Run', 1, 1, 'compare');
             INSERT INTO messages (id, conversation_id, role, content, state, created_at) VALUES
                (1, 1, 'user', 'hi', 'done', 10), (2, 1, 'assistant', 'hello', 'done', 11),
                (3, 2, 'user', 'prompt', 'done', 12), (4, 2, 'assistant', 'one', 'done', 13),
                (5, 1, 'user', 'more', 'done', 14), (6, 2, 'assistant', 'two', 'done', 15),
                (7, 1, 'assistant', 'sure', 'done', 16);
             PRAGMA user_version = 3;",
        )
        .unwrap();
        drop(old);
        let store = Store::open(&path).unwrap();
        let rows: Vec<(i64, Option<i64>, i64)> = store
            .with(|db| {
                let mut statement = db.prepare("SELECT id, parent_id, chosen_at FROM messages ORDER BY id")?;
                statement
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                    .collect()
            })
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, None, 10),
                (2, Some(1), 11),
                (3, None, 12),
                (4, Some(3), 13),
                (5, Some(2), 14),
                (6, Some(3), 15),
                (7, Some(5), 16)
            ]
        );
        let chat = store.conversation(1).unwrap();
        let shown: Vec<_> = chat.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(shown, ["hi", "hello", "more", "sure"]);
        assert_eq!(chat.messages[1].versions.as_ref().unwrap().answers, [2]);
        let run = store.conversation(2).unwrap();
        assert_eq!(run.messages.len(), 3, "a run shows every column");
        // New messages go on from the end shown.
        let next = store
            .add_message(1, Role::User, "again", None, MessageState::Done)
            .unwrap();
        assert_eq!(store.path_to(1, next.id).unwrap().len(), 5);
    }

    /// A chat of "hi" answered "one" and "more" answered "two".
    fn chat_of_two_turns(store: &Store) -> (i64, [MessageView; 4]) {
        let chat = store.create_conversation().unwrap().id;
        let add = |role, text: &str| store.add_message(chat, role, text, None, MessageState::Done).unwrap();
        (
            chat,
            [
                add(Role::User, "hi"),
                add(Role::Assistant, "one"),
                add(Role::User, "more"),
                add(Role::Assistant, "two"),
            ],
        )
    }

    fn shown(store: &Store, chat: i64) -> Vec<String> {
        store
            .conversation(chat)
            .unwrap()
            .messages
            .into_iter()
            .map(|m| m.content)
            .collect()
    }

    #[test]
    fn a_regenerated_answer_is_shown_and_switching_back_shows_the_turns_that_followed_it() {
        let store = Store::in_memory().unwrap();
        let (chat, [hi, one, _, _]) = chat_of_two_turns(&store);
        let again = store
            .add_child(
                chat,
                Some(hi.id),
                Role::Assistant,
                "one again",
                None,
                MessageState::Done,
            )
            .unwrap();
        assert_eq!(shown(&store, chat), ["hi", "one again"]);
        let versions = store.conversation(chat).unwrap().messages[1].versions.clone().unwrap();
        assert_eq!((versions.index, versions.answers), (2, vec![one.id, again.id]));
        store.choose(chat, one.id).unwrap();
        assert_eq!(shown(&store, chat), ["hi", "one", "more", "two"]);
        assert_eq!(
            store.conversation(chat).unwrap().messages[1]
                .versions
                .as_ref()
                .unwrap()
                .index,
            1
        );
        // Chosen twice in the same millisecond, the last choice still wins.
        store.choose(chat, again.id).unwrap();
        store.choose(chat, one.id).unwrap();
        store.choose(chat, again.id).unwrap();
        assert_eq!(shown(&store, chat), ["hi", "one again"]);
        assert!(matches!(store.choose(chat, 999), Err(AppError::NotFound(_))));
    }

    #[test]
    fn an_edit_is_a_version_of_its_turn_and_the_edited_branch_stays() {
        let store = Store::in_memory().unwrap();
        let (chat, [hi, one, more, two]) = chat_of_two_turns(&store);
        let edited = store
            .add_sibling(&more, Role::User, "more, please", None, MessageState::Done)
            .unwrap();
        let answer = store
            .add_child(
                chat,
                Some(edited.id),
                Role::Assistant,
                "three",
                None,
                MessageState::Done,
            )
            .unwrap();
        assert_eq!(shown(&store, chat), ["hi", "one", "more, please", "three"]);
        let versions = store.conversation(chat).unwrap().messages[3].versions.clone().unwrap();
        assert_eq!((versions.index, versions.answers), (2, vec![two.id, answer.id]));
        let history: Vec<_> = store
            .path_to(chat, edited.id)
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(
            history,
            [hi.id, one.id, edited.id],
            "the edit's history skips the edited message"
        );
        store.choose(chat, two.id).unwrap();
        assert_eq!(shown(&store, chat), ["hi", "one", "more", "two"]);
        store.delete_conversation(chat).unwrap();
        for message in [hi, one, more, two, edited, answer] {
            assert!(matches!(store.message(message.id), Err(AppError::NotFound(_))));
        }
    }

    #[test]
    fn a_copied_recording_is_the_copys_own() {
        let store = Store::in_memory().unwrap();
        let (_, [_, one, _, two]) = chat_of_two_turns(&store);
        store.save_recording(one.id, "{}", b"body").unwrap();
        store.copy_recording(one.id, two.id).unwrap();
        store.restart_message(one.id).unwrap();
        assert_eq!(store.recording(two.id).unwrap(), Some(("{}".into(), b"body".to_vec())));
    }

    #[test]
    fn deleting_a_conversation_deletes_its_messages() {
        let store = Store::in_memory().unwrap();
        let conversation = store.create_conversation().unwrap();
        let message = store
            .add_message(conversation.id, Role::User, "x", None, MessageState::Done)
            .unwrap();
        store.delete_conversation(conversation.id).unwrap();
        assert!(matches!(store.message(message.id), Err(AppError::NotFound(_))));
    }
}
