//! Compare runs: one prompt answered by 2–4 models side by side. A run is a conversation of kind
//! `compare` in the history; its one user message is the prompt and each answer is a column, in
//! id order. Every column is an answer like a chat's: its own stream, `Channel`, acks, stop,
//! checkpoints and ending (`turns::stream_into` → `streams.rs`), so a column that fails or is
//! stopped never touches the others. "Continue with this answer" copies the prompt and the
//! columns into a new chat, the chosen column the version shown and the others the turn's other
//! versions (docs/VERSIONS.md), and the run stays as it was.

use runnel_core::{Message, Role};

use crate::error::{AppError, AppResult};
use crate::ipc_types::{Conversation, ConversationKind, ConversationSummary, MessageState, MessageView, Turn};
use crate::outbox::Sink;
use crate::state::AppState;
use crate::turns::{split_model, stream_into};

/// The fewest models a run compares.
pub const MIN_MODELS: usize = 2;
/// The most models (columns) a run compares.
pub const MAX_MODELS: usize = 4;

/// Starts a compare run of `prompt` for `models` (2–4 distinct `provider/model` names): saves the
/// run and its prompt. The page then starts each column with [`column`].
pub fn create(state: &AppState, prompt: &str, models: &[String]) -> AppResult<ConversationSummary> {
    let prompt = prompt.trim();
    if prompt.is_empty() {
        return Err(AppError::InvalidInput("the prompt is empty".into()));
    }
    if !(MIN_MODELS..=MAX_MODELS).contains(&models.len()) {
        return Err(AppError::InvalidInput(format!(
            "choose {MIN_MODELS} to {MAX_MODELS} models to compare ({} chosen)",
            models.len()
        )));
    }
    for (index, model) in models.iter().enumerate() {
        split_model(model)?;
        if models[..index].contains(model) {
            return Err(AppError::InvalidInput(format!("{model} is chosen twice")));
        }
    }
    let store = &state.store;
    let run = store.create(ConversationKind::Compare)?;
    store.add_message(run.id, Role::User, prompt, None, MessageState::Done)?;
    store.touch_conversation(run.id, &models[0], prompt)?;
    store.summary(run.id)
}

/// Compare run `id` and its prompt.
fn run(state: &AppState, id: i64) -> AppResult<(Conversation, MessageView)> {
    let run = state.store.conversation(id)?;
    if run.kind != ConversationKind::Compare {
        return Err(AppError::InvalidInput(format!(
            "conversation {id} is not a compare run"
        )));
    }
    let prompt = run
        .messages
        .iter()
        .find(|message| message.role == Role::User)
        .cloned()
        .ok_or_else(|| AppError::InvalidInput(format!("compare run {id} has no prompt")))?;
    Ok((run, prompt))
}

/// Adds a column to run `compare_id`: `model` answers the prompt, streamed to `sink`.
pub fn column(state: &AppState, compare_id: i64, model: &str, sink: impl Sink) -> AppResult<Turn> {
    split_model(model)?;
    let (run, prompt) = run(state, compare_id)?;
    let columns: Vec<&MessageView> = run.messages.iter().filter(|m| m.role == Role::Assistant).collect();
    if columns.len() >= MAX_MODELS {
        return Err(AppError::InvalidInput(format!(
            "a compare run has at most {MAX_MODELS} columns"
        )));
    }
    if columns.iter().any(|column| column.model.as_deref() == Some(model)) {
        return Err(AppError::InvalidInput(format!("{model} already has a column")));
    }
    let assistant = state.store.add_child(
        compare_id,
        Some(prompt.id),
        Role::Assistant,
        "",
        Some(model),
        MessageState::Streaming,
    )?;
    answer(state, prompt, assistant, sink)
}

/// Streams the answer to the run's `prompt` into column `assistant`.
fn answer(state: &AppState, prompt: MessageView, assistant: MessageView, sink: impl Sink) -> AppResult<Turn> {
    let history = vec![Message::user(prompt.content.clone())];
    let (assistant, stream_id) = stream_into(state, assistant, history, sink)?;
    Ok(Turn {
        user: prompt,
        assistant,
        stream_id,
        deleted: Vec::new(),
    })
}

/// Column `message_id` of run `compare_id`, once it has ended.
fn ended_column(run: &Conversation, message_id: i64) -> AppResult<MessageView> {
    let column = run
        .messages
        .iter()
        .find(|message| message.id == message_id && message.role == Role::Assistant)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("compare run {} has no column {message_id}", run.id)))?;
    if column.state == MessageState::Streaming {
        return Err(AppError::InvalidInput("that column is still streaming".into()));
    }
    Ok(column)
}

/// Answers column `message_id` of run `compare_id` again, in place, with the same model (Retry).
pub fn retry(state: &AppState, compare_id: i64, message_id: i64, sink: impl Sink) -> AppResult<Turn> {
    let (run, prompt) = run(state, compare_id)?;
    ended_column(&run, message_id)?;
    let assistant = state.store.restart_message(message_id)?;
    answer(state, prompt, assistant, sink)
}

/// "Continue with this answer": a new chat whose history is the run's prompt and column
/// `message_id` (its text, model, state, numbers and recording). The run's other ended columns
/// with something in them come along as the turn's other versions, in column order; the run is
/// left as it is.
pub fn keep(state: &AppState, compare_id: i64, message_id: i64) -> AppResult<ConversationSummary> {
    let (run, prompt) = run(state, compare_id)?;
    let column = ended_column(&run, message_id)?;
    if column.content.trim().is_empty() {
        return Err(AppError::InvalidInput(
            "that column has no answer to continue with".into(),
        ));
    }
    let others = run.messages.iter().filter(|other| {
        other.role == Role::Assistant
            && other.id != column.id
            && other.state != MessageState::Streaming
            && !(other.content.trim().is_empty() && other.thinking.trim().is_empty())
    });
    let model = column.model.clone().unwrap_or_default();
    let store = &state.store;
    let chat = store.create(ConversationKind::Chat)?;
    let user = store.add_message(chat.id, Role::User, &prompt.content, None, MessageState::Done)?;
    // The chosen column last: the version made last is the one shown.
    for answer in others.chain([&column]) {
        let copy = store.add_child(
            chat.id,
            Some(user.id),
            Role::Assistant,
            "",
            answer.model.as_deref(),
            MessageState::Streaming,
        )?;
        store.finish_message(
            copy.id,
            &answer.content,
            &answer.thinking,
            answer.state,
            answer.error.as_ref(),
            answer.stats.as_ref(),
        )?;
        store.copy_recording(answer.id, copy.id)?;
    }
    store.touch_conversation(chat.id, &model, &prompt.content)?;
    store.set_setting("last_model", &model)?;
    store.summary(chat.id)
}
