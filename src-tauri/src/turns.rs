//! A turn of a conversation: save the person's message, save an answer in progress, send the
//! history (converted for whichever provider is chosen now) and stream the answer.
//! Sending, regenerating (also Retry) and editing a message all end in [`answer`].
//!
//! Regenerating and editing never delete before there is something new: the answer (or turn)
//! they replace stays until the new answer has its first text (see `streams::Answer`), so one
//! that fails at once leaves the previous answer in place, with the failed one after it.

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
    answer(state, conversation_id, user, model, sink, Vec::new(), Vec::new()).await
}

/// Answers the last user message again. The answers after it are replaced once the new one has
/// text; those without any text (failed or stopped at once) go now, as there is nothing to keep.
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
    let (empty, superseded): (Vec<&MessageView>, Vec<&MessageView>) = conversation
        .messages
        .iter()
        .filter(|message| message.id > user.id)
        .partition(|message| message.content.trim().is_empty() && message.thinking.trim().is_empty());
    let deleted: Vec<i64> = empty.iter().map(|message| message.id).collect();
    state.store.delete_messages(&deleted)?;
    let superseded = superseded.iter().map(|message| message.id).collect();
    answer(state, conversation_id, user, model, sink, deleted, superseded).await
}

/// Answers an edited user message: the edit is a new message after the conversation, and it
/// replaces the original and everything after it once its answer has text.
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
    let superseded = chat(state, conversation_id)?
        .messages
        .iter()
        .map(|message| message.id)
        .filter(|id| *id >= message_id)
        .collect();
    let user = state
        .store
        .add_message(conversation_id, Role::User, text, None, MessageState::Done)?;
    answer(state, conversation_id, user, model, sink, Vec::new(), superseded).await
}

/// The history up to and including `last`, as the provider will see it, without the messages
/// being replaced. Answers that produced no text (failed or stopped at once) are left out;
/// partial answers are kept.
fn history(messages: &[MessageView], last: i64, superseded: &[i64]) -> Vec<Message> {
    messages
        .iter()
        .filter(|message| message.id <= last && !superseded.contains(&message.id))
        .filter(|message| message.role == Role::User || !message.content.trim().is_empty())
        .map(|message| Message {
            role: message.role,
            content: message.content.clone(),
        })
        .collect()
}

/// Streams the answer to `user` into a new message; `deleted` and `superseded` go back to the
/// page in the `Turn`, so that it shows what Rust keeps (the page knows no rule of its own).
async fn answer(
    state: &AppState,
    conversation_id: i64,
    user: MessageView,
    model: &str,
    sink: impl Sink,
    deleted: Vec<i64>,
    superseded: Vec<i64>,
) -> AppResult<Turn> {
    split_model(model)?;
    let store = &state.store;
    let conversation = chat(state, conversation_id)?;
    let first_text = conversation
        .messages
        .iter()
        .find(|m| m.role == Role::User && !superseded.contains(&m.id))
        .map_or(user.content.as_str(), |m| &m.content);
    store.touch_conversation(conversation_id, model, first_text)?;
    store.set_setting("last_model", model)?;
    let messages = history(&conversation.messages, user.id, &superseded);
    let assistant = store.add_message(
        conversation_id,
        Role::Assistant,
        "",
        Some(model),
        MessageState::Streaming,
    )?;
    let (assistant, stream_id) = stream_into(state, assistant, messages, sink, superseded.clone())?;
    Ok(Turn {
        user,
        assistant,
        stream_id,
        deleted,
        superseded,
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
    superseded: Vec<i64>,
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
        superseded,
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
        }
    }

    #[test]
    fn history_keeps_partial_answers_and_drops_empty_ones_and_later_turns() {
        let messages = [
            message(1, Role::User, "one"),
            message(2, Role::Assistant, "partial"),
            message(3, Role::User, "two"),
            message(4, Role::Assistant, ""),
            message(5, Role::User, "three"),
            message(6, Role::Assistant, "later"),
        ];
        assert_eq!(
            history(&messages, 5, &[]),
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
