//! An answer's end: saving it with its state, error and numbers ([`save`]), which gives what the
//! stream's last message carries — the core's ending event with what was saved ([`Saved`]);
//! `streams::forward` saves, then its outbox sends that message. Every answer the page was told
//! about gets its ending, whatever happens to the save: a failed save ends the answer with a
//! `storage` error and the page keeps the text it painted. An answer whose stream never started
//! gets a lone `error` ending from here ([`fail_before_start`]).

use runnel_core::{Completion, StreamEvent};

use crate::error::{AppError, UiError};
use crate::ipc_types::{MessageState, MessageView, Saved, Stats, StreamMessage};
use crate::outbox::Sink;
use crate::recordings;
use crate::store::Store;

/// Saves an answer that ended with `ending`, its text and numbers taken from `completion`, then
/// its recorded stream (`recordings::keep`: one more write, done before the page gets the ending
/// so the inspector can read it then; its failure is only logged). When the answer's save fails,
/// it is reported as a `storage` error naming the reason: the page still learns the end, and
/// keeps the text it has; its recording is not tried (the database is failing, and another wait
/// would delay the ending).
pub fn save(store: &Store, message_id: i64, ending: &StreamEvent, completion: &Completion) -> Saved {
    let state = MessageState::ending(ending).unwrap_or(MessageState::Error);
    let error = match ending {
        StreamEvent::Error(error) => Some(UiError::from(error)),
        _ => None,
    };
    let stats = Stats::from(completion);
    let saved = store.finish_message(
        message_id,
        &completion.text,
        &completion.thinking,
        state,
        error.as_ref(),
        Some(&stats),
    );
    match saved {
        Ok(message) => {
            recordings::keep(store, message_id, completion.recording.as_ref());
            Saved::from(&message)
        }
        Err(error) => {
            tracing::error!(%error, message_id, "could not save an ended answer");
            Saved {
                id: message_id,
                state: MessageState::Error,
                error: Some(UiError::from(&AppError::Unsaved(Box::new(error)))),
                stats: Some(stats),
            }
        }
    }
}

/// Ends an answer that failed before its stream could start: saved as an error (if it can be),
/// and the page told with a lone `error` ending either way.
pub fn fail_before_start(sink: &dyn Sink, store: &Store, started: &MessageView, error: &AppError) -> MessageView {
    let shown = UiError::from(error);
    let message = store
        .finish_message(started.id, "", "", MessageState::Error, Some(&shown), None)
        .unwrap_or_else(|_| MessageView {
            state: MessageState::Error,
            error: Some(shown),
            ..started.clone()
        });
    sink.deliver(StreamMessage {
        seq: 1,
        event: StreamEvent::Error(error.to_stream_error()),
        stats: None,
        saved: Some(Saved::from(&message)),
    });
    message
}
