//! A turn of a conversation: save the person's message, save an answer in progress, send the
//! history (converted for whichever provider is chosen now) and stream the answer.
//! Sending, regenerating (also Retry, and answering again with another model) and editing a
//! message all end in [`answer`].
//!
//! Regenerating and editing keep what came before as versions of the turn (versions.rs,
//! docs/VERSIONS.md): a regenerated answer is a new answer to the same user message, an edit a
//! new user message beside the edited one, with its own answer. The new version is the one shown,
//! and one that fails, even before any text, stays a version (with its error and Retry): the
//! earlier ones are a click away. Only an answer with nothing in it (no text, no thinking) is
//! deleted when its turn is answered again: there is nothing to keep.

use runnel_core::{ChatRequest, Message, Role, StreamOptions};

use crate::ending::fail_before_start;
use crate::error::{AppError, AppResult};
use crate::ipc_types::{Conversation, ConversationKind, MessageState, MessageView, Turn};
use crate::outbox::Sink;
use crate::state::AppState;
use crate::streams::Answer;

/// `provider/model` split in two.
pub fn split_model(model: &str) -> AppResult<(&str, &str)> {
    match model.split_once('/') {
        Some((provider, id)) if !provider.is_empty() && !id.is_empty() => Ok((provider, id)),
        _ => Err(AppError::InvalidInput(format!(
            "`{model}` is not a provider/model name"
        ))),
    }
}

/// Conversation `id`, if it is a chat: a compare run takes no turns (see `compare.rs`).
fn chat(state: &AppState, id: i64) -> AppResult<Conversation> {
    let conversation = state.store.conversation(id)?;
    if conversation.kind != ConversationKind::Chat {
        return Err(AppError::InvalidInput(
            "a compare run takes no new messages: continue with one of its answers".into(),
        ));
    }
    Ok(conversation)
}

/// Adds the person's message and streams the answer.
pub async fn send(state: &AppState, conversation_id: i64, text: &str, model: &str, sink: impl Sink) -> AppResult<Turn> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::InvalidInput("the message is empty".into()));
    }
    split_model(model)?;
    chat(state, conversation_id)?;
    let user = state
        .store
        .add_message(conversation_id, Role::User, text, None, MessageState::Done)?;
    answer(state, user, model, sink, Vec::new()).await
}

/// Answers the last user message shown again, as a new version of its turn (with `model`, which
/// may be another than the one that answered before). The answer shown after it is deleted first
/// when it has nothing in it (failed or stopped before any text): there is nothing to keep.
pub async fn regenerate(state: &AppState, conversation_id: i64, model: &str, sink: impl Sink) -> AppResult<Turn> {
    split_model(model)?;
    let conversation = chat(state, conversation_id)?;
    let user = conversation
        .messages
        .iter()
        .rev()
        .find(|message| message.role == Role::User)
        .cloned()
        .ok_or_else(|| AppError::InvalidInput("there is no message to answer".into()))?;
    let empty = conversation.messages.last().filter(|last| {
        last.id > user.id
            && last.state != MessageState::Streaming
            && last.content.trim().is_empty()
            && last.thinking.trim().is_empty()
    });
    let mut deleted = Vec::new();
    if let Some(empty) = empty
        && state.store.is_leaf(conversation_id, empty.id)?
    {
        state.store.delete_messages(&[empty.id])?;
        deleted.push(empty.id);
    }
    answer(state, user, model, sink, deleted).await
}

/// Answers an edited user message: the edit is a new version of the turn (a message beside the
/// edited one, after the same messages), answered; the edited message keeps its answers and
/// whatever followed them, a version away.
pub async fn edit(
    state: &AppState,
    conversation_id: i64,
    message_id: i64,
    text: &str,
    model: &str,
    sink: impl Sink,
) -> AppResult<Turn> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::InvalidInput("the message is empty".into()));
    }
    split_model(model)?;
    let message = state.store.message(message_id)?;
    if message.conversation_id != conversation_id || message.role != Role::User {
        return Err(AppError::InvalidInput(
            "only your own messages of this conversation can be edited".into(),
        ));
    }
    chat(state, conversation_id)?;
    let user = state
        .store
        .add_sibling(&message, Role::User, text, None, MessageState::Done)?;
    answer(state, user, model, sink, Vec::new()).await
}

/// Shows version `message_id` of its turn (an answer of `Versions::answers`): the conversation
/// shown, and the history of the next message, go on from it. Returns the conversation as shown
/// now.
pub fn show_version(state: &AppState, conversation_id: i64, message_id: i64) -> AppResult<Conversation> {
    chat(state, conversation_id)?;
    state.store.choose(conversation_id, message_id)?;
    state.store.conversation(conversation_id)
}

/// The history up to and including `user` (the path to it in the conversation's tree), as the
/// provider will see it. Answers that produced no text (failed or stopped at once) are left out;
/// partial answers are kept.
fn history(path: &[MessageView]) -> Vec<Message> {
    path.iter()
        .filter(|message| message.role == Role::User || !message.content.trim().is_empty())
        .map(|message| Message {
            role: message.role,
            content: message.content.clone(),
        })
        .collect()
}

/// Streams the answer to `user` into a new message after it, the version of the turn shown;
/// `deleted` goes back to the page in the `Turn`, so that it shows what Rust keeps (the page
/// knows no rule of its own).
async fn answer(
    state: &AppState,
    user: MessageView,
    model: &str,
    sink: impl Sink,
    deleted: Vec<i64>,
) -> AppResult<Turn> {
    split_model(model)?;
    let store = &state.store;
    let conversation_id = user.conversation_id;
    let path = store.path_to(conversation_id, user.id)?;
    let first_text = path
        .iter()
        .find(|m| m.role == Role::User)
        .map_or(user.content.as_str(), |m| &m.content);
    store.touch_conversation(conversation_id, model, first_text)?;
    store.set_setting("last_model", model)?;
    let assistant = store.add_child(
        conversation_id,
        Some(user.id),
        Role::Assistant,
        "",
        Some(model),
        MessageState::Streaming,
    )?;
    let (assistant, stream_id) = stream_into(state, assistant, history(&path), sink)?;
    Ok(Turn {
        user,
        assistant: store.with_versions(assistant)?,
        stream_id,
        deleted,
    })
}

/// Streams an answer to `messages` into `assistant` (saved `streaming`, its model set) and
/// returns it with its stream's id. An answer that cannot start (no key, unknown provider) is
/// saved as an error and the page gets a lone `error` ending.
pub fn stream_into(
    state: &AppState,
    assistant: MessageView,
    messages: Vec<Message>,
    sink: impl Sink,
) -> AppResult<(MessageView, u64)> {
    let model = assistant.model.clone().unwrap_or_default();
    let (provider_id, model_id) = split_model(&model)?;
    let store = &state.store;
    // The model's price as the core resolved it (Settings' over the catalog's): the answer's
    // cost is worked out from its usage at this price.
    let mut price = None;
    let endpoint = tokio::task::block_in_place(|| {
        let def = state.providers.get(store, provider_id)?;
        price = def.price(model_id);
        state.providers.endpoint(&def)
    });
    let endpoint = match endpoint {
        Ok(endpoint) => endpoint,
        Err(error) => {
            let stream_id = state.streams.reserve();
            let assistant = fail_before_start(&sink, store, &assistant, &error);
            return Ok((assistant, stream_id));
        }
    };
    let request = ChatRequest::new(model_id, messages);
    // Every answer is recorded, for the inspector (`recordings`).
    let options = StreamOptions {
        record: true,
        price,
        ..StreamOptions::default()
    };
    let stream = state.engine.stream(&endpoint, &request, options);
    let answer = Answer {
        message: assistant.clone(),
    };
    let stream_id = state
        .streams
        .start(stream, endpoint.protocol, model_id, sink, state.store.clone(), answer);
    Ok((assistant, stream_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, role: Role, content: &str) -> MessageView {
        MessageView {
            id,
            conversation_id: 1,
            role,
            content: content.into(),
            thinking: String::new(),
            model: None,
            state: MessageState::Done,
            error: None,
            stats: None,
            created_at: 0,
            versions: None,
        }
    }

    #[test]
    fn history_keeps_partial_answers_and_drops_empty_ones() {
        let messages = [
            message(1, Role::User, "one"),
            message(2, Role::Assistant, "partial"),
            message(3, Role::User, "two"),
            message(4, Role::Assistant, ""),
            message(5, Role::User, "three"),
        ];
        assert_eq!(
            history(&messages),
            vec![
                Message::user("one"),
                Message::assistant("partial"),
                Message::user("two"),
                Message::user("three")
            ]
        );
    }

    #[test]
    fn models_are_provider_slash_model() {
        assert_eq!(
            split_model("openrouter/meta/llama").unwrap(),
            ("openrouter", "meta/llama")
        );
        assert!(split_model("openai").is_err());
        assert!(split_model("/x").is_err());
    }
}
