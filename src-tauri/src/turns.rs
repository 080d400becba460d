//! A turn of a conversation: save the person's message, save an answer in progress, send the
//! history (converted for whichever provider is chosen now) and stream the answer.
//! Sending, regenerating (also Retry) and editing a message all end in [`answer`].

use runnel_core::{ChatRequest, Message, StreamOptions};

use crate::error::{AppError, AppResult};
use crate::models::{MessageState, MessageView, Turn, UiError};
use crate::state::AppState;
use crate::streams::{Sink, fail_before_start};

/// `provider/model` split in two.
pub fn split_model(model: &str) -> AppResult<(&str, &str)> {
    match model.split_once('/') {
        Some((provider, id)) if !provider.is_empty() && !id.is_empty() => Ok((provider, id)),
        _ => Err(AppError::InvalidInput(format!(
            "`{model}` is not a provider/model name"
        ))),
    }
}

/// Adds the person's message and streams the answer.
pub async fn send(state: &AppState, conversation_id: i64, text: &str, model: &str, sink: impl Sink) -> AppResult<Turn> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::InvalidInput("the message is empty".into()));
    }
    split_model(model)?;
    state.store.summary(conversation_id)?;
    let user = state
        .store
        .add_message(conversation_id, "user", text, None, MessageState::Done)?;
    answer(state, conversation_id, user, model, sink).await
}

/// Answers the last user message again (replacing the answers after it).
pub async fn regenerate(state: &AppState, conversation_id: i64, model: &str, sink: impl Sink) -> AppResult<Turn> {
    split_model(model)?;
    let conversation = state.store.conversation(conversation_id)?;
    let user = conversation
        .messages
        .into_iter()
        .rev()
        .find(|message| message.role == "user")
        .ok_or_else(|| AppError::InvalidInput("there is no message to answer".into()))?;
    state.store.delete_messages_after(conversation_id, user.id)?;
    answer(state, conversation_id, user, model, sink).await
}

/// Replaces a user message's text, drops everything after it, and answers it.
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
    if message.conversation_id != conversation_id || message.role != "user" {
        return Err(AppError::InvalidInput(
            "only your own messages of this conversation can be edited".into(),
        ));
    }
    state.store.set_content(message_id, text)?;
    state.store.delete_messages_after(conversation_id, message_id)?;
    let user = state.store.message(message_id)?;
    answer(state, conversation_id, user, model, sink).await
}

/// The history up to and including `last`, as the provider will see it. Answers that produced no
/// text (failed or stopped at once) are left out; partial answers are kept.
fn history(messages: &[MessageView], last: i64) -> Vec<Message> {
    messages
        .iter()
        .filter(|message| message.id <= last)
        .filter_map(|message| match message.role.as_str() {
            "user" => Some(Message::user(message.content.clone())),
            "assistant" if !message.content.trim().is_empty() => Some(Message::assistant(message.content.clone())),
            _ => None,
        })
        .collect()
}

async fn answer(
    state: &AppState,
    conversation_id: i64,
    user: MessageView,
    model: &str,
    sink: impl Sink,
) -> AppResult<Turn> {
    let (provider_id, model_id) = split_model(model)?;
    let store = &state.store;
    let conversation = store.conversation(conversation_id)?;
    let first_text = conversation
        .messages
        .iter()
        .find(|m| m.role == "user")
        .map_or(user.content.as_str(), |m| &m.content);
    store.touch_conversation(conversation_id, model, first_text)?;
    store.set_setting("last_model", model)?;
    let messages = history(&conversation.messages, user.id);
    let assistant = store.add_message(conversation_id, "assistant", "", Some(model), MessageState::Streaming)?;

    let endpoint = tokio::task::block_in_place(|| {
        let def = state.providers.get(store, provider_id)?;
        state.providers.endpoint(&def)
    });
    let endpoint = match endpoint {
        Ok(endpoint) => endpoint,
        Err(error) => {
            let stream_id = state.streams.reserve();
            let ui_error = UiError {
                kind: error.kind().to_owned(),
                message: error.to_string(),
                status: None,
                error_type: None,
                retry_after: None,
            };
            let assistant = fail_before_start(&sink, store, assistant.id, ui_error).unwrap_or(assistant);
            return Ok(Turn {
                user,
                assistant,
                stream_id,
            });
        }
    };
    let request = ChatRequest::new(model_id, messages);
    let stream = state.engine.stream(&endpoint, &request, StreamOptions::default());
    let stream_id = state.streams.start(stream, sink, state.store.clone(), assistant.id);
    Ok(Turn {
        user,
        assistant,
        stream_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, role: &str, content: &str) -> MessageView {
        MessageView {
            id,
            conversation_id: 1,
            role: role.into(),
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
            message(1, "user", "one"),
            message(2, "assistant", "partial"),
            message(3, "user", "two"),
            message(4, "assistant", ""),
            message(5, "user", "three"),
            message(6, "assistant", "later"),
        ];
        assert_eq!(
            history(&messages, 5),
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
