//! Saving a streaming answer's text while it arrives, so that a crash loses at most
//! [`CHECKPOINT_EVERY`] of it. Each write runs on a blocking thread, one at a time: a slow or
//! locked database (SQLite waits up to its 5 s busy timeout) never holds up the page's deltas.

use std::sync::Arc;
use std::time::Duration;

use runnel_core::Completion;
use tokio::task::JoinHandle;
use tokio::time::{Interval, MissedTickBehavior};

use crate::store::Store;

/// How often a streaming answer is saved (a crash loses at most this much).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The checkpoints of one streaming answer.
pub struct Checkpoints {
    store: Arc<Store>,
    message_id: i64,
    timer: Interval,
    /// Bytes of text (answer and thinking) the database holds.
    saved_len: usize,
    /// The write in flight; it yields the length it saved, or `None` when it failed.
    writing: Option<JoinHandle<Option<usize>>>,
}

impl Checkpoints {
    /// Checkpoints for message `message_id`.
    pub fn new(store: Arc<Store>, message_id: i64) -> Self {
        let mut timer = tokio::time::interval(CHECKPOINT_EVERY);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            store,
            message_id,
            timer,
            saved_len: 0,
            writing: None,
        }
    }

    /// Waits until the next checkpoint is due: the write in flight has ended and the interval
    /// has passed. Cancel-safe, for use in `select!`.
    pub async fn due(&mut self) {
        self.settle().await;
        self.timer.tick().await;
    }

    /// Starts writing `completion`'s text unless the database already holds it.
    pub fn write(&mut self, completion: &Completion) {
        let len = completion.text.len() + completion.thinking.len();
        if len == self.saved_len || self.writing.is_some() {
            return;
        }
        let (store, id) = (self.store.clone(), self.message_id);
        let (text, thinking) = (completion.text.clone(), completion.thinking.clone());
        self.writing = Some(tokio::task::spawn_blocking(move || {
            match store.checkpoint(id, &text, &thinking) {
                Ok(()) => Some(len),
                Err(error) => {
                    tracing::warn!(%error, message_id = id, "could not checkpoint a streaming answer");
                    None
                }
            }
        }));
    }

    /// Waits for the write in flight, so that no checkpoint lands after the answer's final save.
    pub async fn settle(&mut self) {
        if let Some(writing) = &mut self.writing {
            if let Ok(Some(len)) = writing.await {
                self.saved_len = len;
            }
            self.writing = None;
        }
    }
}
