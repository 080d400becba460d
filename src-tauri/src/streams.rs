//! Running streams by id: each answer's core stream is forwarded to the page over its own
//! `Channel`, checkpointed to the database, and stoppable by id. Every stream the page was told
//! about gets its `End`, whatever happens to the save: a failed save ends the answer with a
//! `storage` error and the page keeps the text it painted.
//!
//! Deltas go out one message each while the page keeps up. The page acknowledges what it painted
//! (`ack_stream`); when more than [`WINDOW`] messages are unacknowledged, deltas are coalesced
//! into messages of at most [`MAX_MESSAGE_BYTES`] until the page catches up. So a fast page sees
//! every delta at once, and a slow or hidden one is never flooded.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runnel_core::{ChatStream, Completion, Outcome, StopHandle, StreamEvent};
use serde::Serialize;
use tokio::sync::Notify;

use crate::checkpoint::Checkpoints;
use crate::models::{MessageState, MessageView, Stats, UiError};
use crate::store::Store;

/// Unacknowledged messages allowed before deltas are coalesced.
pub const WINDOW: u64 = 16;
/// The most bytes one message may take on the wire (JSON included).
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Room left in a message for everything but the text.
const ENVELOPE_BYTES: usize = 64;

/// What the page receives on a stream's channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamMessage {
    /// The provider accepted the request.
    Start {
        /// Order of this message in the stream, from 1.
        seq: u64,
        /// The provider's response id.
        response_id: Option<String>,
        /// The model that answers, as the provider names it.
        model: Option<String>,
    },
    /// Answer text (one or several deltas).
    Text {
        /// Order, from 1.
        seq: u64,
        /// The text.
        text: String,
    },
    /// Reasoning text.
    Thinking {
        /// Order, from 1.
        seq: u64,
        /// The text.
        text: String,
    },
    /// Refusal text.
    Refusal {
        /// Order, from 1.
        seq: u64,
        /// The text.
        text: String,
    },
    /// A tool-call fragment.
    ToolCall {
        /// Order, from 1.
        seq: u64,
        /// Which call.
        index: u32,
        /// Its id, on its first fragment.
        id: Option<String>,
        /// Its tool, on its first fragment.
        name: Option<String>,
        /// An arguments fragment.
        arguments: String,
    },
    /// Token counts.
    Usage {
        /// Order, from 1.
        seq: u64,
        /// Prompt tokens.
        input_tokens: Option<u64>,
        /// Answer tokens.
        output_tokens: Option<u64>,
    },
    /// The answer ended; this is the saved message without its text (`content` and `thinking`
    /// are empty: the page keeps the text it assembled from the deltas, which is what was saved).
    End {
        /// Order, from 1.
        seq: u64,
        /// The final message.
        message: Box<MessageView>,
    },
}

/// Where a stream's messages go: a Tauri channel in the app, a collector in tests.
pub trait Sink: Send + Sync + 'static {
    /// Delivers one message; `false` when the page is gone.
    fn deliver(&self, message: StreamMessage) -> bool;
}

impl Sink for tauri::ipc::Channel<StreamMessage> {
    fn deliver(&self, message: StreamMessage) -> bool {
        self.send(message).is_ok()
    }
}

/// A delta waiting to be sent, before it gets its `seq`.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    /// Text of one kind, and the bytes it takes inside a JSON string.
    Text(TextKind, String, usize),
    Other(StreamEvent),
}

impl Pending {
    /// The message this becomes as number `seq`; `None` for events the page is not sent.
    fn into_message(self, seq: u64) -> Option<StreamMessage> {
        Some(match self {
            Self::Text(TextKind::Answer, text, _) => StreamMessage::Text { seq, text },
            Self::Text(TextKind::Thinking, text, _) => StreamMessage::Thinking { seq, text },
            Self::Text(TextKind::Refusal, text, _) => StreamMessage::Refusal { seq, text },
            Self::Other(StreamEvent::Start { response_id, model }) => StreamMessage::Start {
                seq,
                response_id,
                model,
            },
            Self::Other(StreamEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            }) => StreamMessage::ToolCall {
                seq,
                index,
                id,
                name,
                arguments,
            },
            Self::Other(StreamEvent::Usage(usage)) => StreamMessage::Usage {
                seq,
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
            },
            Self::Other(_) => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Answer,
    Thinking,
    Refusal,
}

/// Bytes `c` takes inside a JSON string.
fn json_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// The queue between the core stream and the page, with the coalescing rule.
#[derive(Debug, Default)]
struct Outbox {
    queue: VecDeque<Pending>,
    last_seq: u64,
}

impl Outbox {
    const TEXT_BUDGET: usize = MAX_MESSAGE_BYTES - ENVELOPE_BYTES;

    /// Queues an event, merging text into the last queued text of its kind while it fits.
    fn push(&mut self, event: StreamEvent) {
        let (kind, text) = match event {
            StreamEvent::TextDelta { text } => (TextKind::Answer, text),
            StreamEvent::ThinkingDelta { text } => (TextKind::Thinking, text),
            StreamEvent::RefusalDelta { text } => (TextKind::Refusal, text),
            other => {
                self.queue.push_back(Pending::Other(other));
                return;
            }
        };
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let room = match self.queue.back() {
                Some(Pending::Text(last_kind, _, used)) if *last_kind == kind => Self::TEXT_BUDGET - used,
                _ => 0,
            };
            let (mut cut, mut bytes) = (0, 0);
            for (index, c) in rest.char_indices() {
                if bytes + json_len(c) > room {
                    break;
                }
                bytes += json_len(c);
                cut = index + c.len_utf8();
            }
            match self.queue.back_mut() {
                Some(Pending::Text(_, last, used)) if cut > 0 => {
                    last.push_str(&rest[..cut]);
                    *used += bytes;
                    rest = &rest[cut..];
                }
                _ => self.queue.push_back(Pending::Text(kind, String::new(), 0)),
            }
        }
    }

    /// Sends queued messages while fewer than `window` are unacknowledged past `acked`.
    fn flush(&mut self, sink: &dyn Sink, acked: u64, window: u64) -> bool {
        while self.last_seq.saturating_sub(acked) < window {
            let Some(pending) = self.queue.pop_front() else { break };
            let Some(message) = pending.into_message(self.last_seq + 1) else {
                continue;
            };
            self.last_seq += 1;
            if !sink.deliver(message) {
                return false;
            }
        }
        true
    }

    /// Sends everything queued, whatever the page acknowledged (the stream is ending).
    fn flush_all(&mut self, sink: &dyn Sink) -> bool {
        // Nothing counts as unacknowledged past an ack of u64::MAX.
        self.flush(sink, u64::MAX, 1)
    }

    fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }
}

/// What the page acknowledged of one stream.
#[derive(Debug, Default)]
pub struct Acks {
    painted: AtomicU64,
    changed: Notify,
}

impl Acks {
    /// The page painted everything up to `seq`.
    pub fn ack(&self, seq: u64) {
        self.painted.fetch_max(seq, Ordering::Relaxed);
        self.changed.notify_one();
    }

    fn painted(&self) -> u64 {
        self.painted.load(Ordering::Relaxed)
    }
}

struct Running {
    stop: StopHandle,
    acks: Arc<Acks>,
}

/// The answer a stream fills in, and the messages it replaces.
pub struct Answer {
    /// The answer as saved when it started (`streaming`, no text).
    pub message: MessageView,
    /// Messages this answer replaces (a regenerated answer, an edited turn). They are deleted when
    /// the answer has its first text, so one that fails before any text leaves them in place.
    pub superseded: Vec<i64>,
}

/// The streams running now, by id.
#[derive(Default)]
pub struct Streams {
    next_id: AtomicU64,
    running: Mutex<HashMap<u64, Running>>,
    /// Told whenever a stream has ended and been saved.
    ended: Notify,
}

impl Streams {
    /// Forwards `stream` (filling in `answer`) to `sink` on a task of its own; returns its id.
    pub fn start(self: &Arc<Self>, stream: ChatStream, sink: impl Sink, store: Arc<Store>, answer: Answer) -> u64 {
        let id = self.reserve();
        let acks = Arc::new(Acks::default());
        self.running.lock().expect("streams lock").insert(
            id,
            Running {
                stop: stream.stop_handle(),
                acks: acks.clone(),
            },
        );
        let streams = self.clone();
        tauri::async_runtime::spawn(async move {
            forward(stream, &sink, &store, answer, &acks).await;
            streams.running.lock().expect("streams lock").remove(&id);
            streams.ended.notify_waiters();
        });
        id
    }

    /// A stream id for an answer that fails before it starts.
    pub fn reserve(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Stops stream `id`; `false` when it is not running (already ended).
    pub fn stop(&self, id: u64) -> bool {
        match self.running.lock().expect("streams lock").get(&id) {
            Some(running) => {
                running.stop.stop();
                true
            }
            None => false,
        }
    }

    /// Records the page's acknowledgement for stream `id`.
    pub fn ack(&self, id: u64, seq: u64) {
        if let Some(running) = self.running.lock().expect("streams lock").get(&id) {
            running.acks.ack(seq);
        }
    }

    /// How many streams are running.
    pub fn count(&self) -> usize {
        self.running.lock().expect("streams lock").len()
    }

    /// Stops every stream and waits until each has saved its text as stopped (quitting the app).
    /// Returns `false` if some were still saving after `timeout`.
    pub async fn stop_all_and_wait(&self, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let ended = self.ended.notified();
                {
                    let running = self.running.lock().expect("streams lock");
                    if running.is_empty() {
                        return;
                    }
                    running.values().for_each(|running| running.stop.stop());
                }
                ended.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }
}

/// Moves one stream's events to the page and its text to the database, until it ends.
async fn forward(mut stream: ChatStream, sink: &dyn Sink, store: &Arc<Store>, answer: Answer, acks: &Acks) {
    let Answer {
        message: started,
        mut superseded,
    } = answer;
    let mut outbox = Outbox::default();
    let mut checkpoints = Checkpoints::new(store.clone(), started.id);
    let mut page_open = true;
    loop {
        tokio::select! {
            event = stream.next() => {
                let Some(event) = event else { break };
                if event.is_ending() {
                    break;
                }
                if !superseded.is_empty() && event.is_content() {
                    // The first text: the answer it replaces can go, in the same write.
                    let completion = stream.completion();
                    let replaced = blocking(|| {
                        store.replace_messages(started.id, &completion.text, &completion.thinking, &superseded)
                    });
                    match replaced {
                        Ok(()) => {
                            superseded.clear();
                            checkpoints.saved(completion.text.len() + completion.thinking.len());
                        }
                        Err(error) => tracing::warn!(%error, "could not replace the previous answer yet"),
                    }
                }
                outbox.push(event);
                page_open = page_open && outbox.flush(sink, acks.painted(), WINDOW);
            }
            () = acks.changed.notified() => {
                page_open = page_open && outbox.flush(sink, acks.painted(), WINDOW);
            }
            () = checkpoints.due() => checkpoints.write(stream.completion()),
        }
    }
    checkpoints.settle().await;
    let completion = stream.finish().await;
    let message = blocking(|| save_ending(store, &started, &completion));
    if page_open && outbox.flush_all(sink) {
        let seq = outbox.next_seq();
        sink.deliver(StreamMessage::End {
            seq,
            message: Box::new(without_text(message)),
        });
    }
}

/// Runs a database write off the async workers' hot path: a locked database makes SQLite wait
/// (up to rusqlite's 5 s busy timeout) and other streams must not wait with it.
fn blocking<T>(write: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(write)
}

/// The saved message without its text, which the page already has from the deltas: an `End`
/// stays small however long the answer.
fn without_text(mut message: MessageView) -> MessageView {
    message.content.clear();
    message.thinking.clear();
    message
}

/// Saves an ended answer with its state, error and stats. When the save fails, the answer as it
/// ended comes back as a `storage` error naming the reason: the page still learns the end, and
/// keeps the text it has.
fn save_ending(store: &Store, started: &MessageView, completion: &Completion) -> MessageView {
    let (state, error) = match &completion.outcome {
        Outcome::Finished { .. } => (MessageState::Done, None),
        Outcome::Stopped => (MessageState::Stopped, None),
        Outcome::Failed { error } => (MessageState::Error, Some(UiError::from(error))),
        Outcome::Streaming => (
            MessageState::Error,
            Some(UiError::from(&runnel_core::StreamError::incomplete(
                "the stream ended without an outcome",
            ))),
        ),
    };
    let stats = Stats::from(completion);
    let saved = store.finish_message(
        started.id,
        &completion.text,
        &completion.thinking,
        state,
        error.as_ref(),
        Some(&stats),
    );
    saved.unwrap_or_else(|error| {
        tracing::error!(%error, message_id = started.id, "could not save an ended answer");
        MessageView {
            content: completion.text.clone(),
            thinking: completion.thinking.clone(),
            state: MessageState::Error,
            error: Some(save_failed(&error)),
            stats: Some(stats),
            ..started.clone()
        }
    })
}

/// The error an answer shows when it could not be saved.
fn save_failed(error: &crate::error::AppError) -> UiError {
    UiError {
        kind: "storage".into(),
        message: format!("This answer could not be saved ({error}). Its text is only on screen: copy it to keep it."),
        status: None,
        error_type: None,
        retry_after: None,
    }
}

/// Ends an answer that failed before its stream could start: saved as an error (if it can be),
/// and the page told with a lone `End` either way.
pub fn fail_before_start(sink: &dyn Sink, store: &Store, started: &MessageView, error: UiError) -> MessageView {
    let message = store
        .finish_message(started.id, "", "", MessageState::Error, Some(&error), None)
        .unwrap_or_else(|_| MessageView {
            state: MessageState::Error,
            error: Some(error),
            ..started.clone()
        });
    sink.deliver(StreamMessage::End {
        seq: 1,
        message: Box::new(message.clone()),
    });
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    struct Collect(Mutex<mpsc::Sender<StreamMessage>>);

    impl Sink for Collect {
        fn deliver(&self, message: StreamMessage) -> bool {
            self.0.lock().unwrap().send(message).is_ok()
        }
    }

    fn collector() -> (Collect, mpsc::Receiver<StreamMessage>) {
        let (sender, receiver) = mpsc::channel();
        (Collect(Mutex::new(sender)), receiver)
    }

    fn text(delta: &str) -> StreamEvent {
        StreamEvent::TextDelta { text: delta.into() }
    }

    #[test]
    fn a_page_that_keeps_up_gets_every_delta_alone() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        for (i, delta) in ["a", "b", "c"].into_iter().enumerate() {
            outbox.push(text(delta));
            assert!(outbox.flush(&sink, i as u64, WINDOW));
        }
        let messages: Vec<_> = received.try_iter().collect();
        assert_eq!(
            messages,
            vec![
                StreamMessage::Text {
                    seq: 1,
                    text: "a".into()
                },
                StreamMessage::Text {
                    seq: 2,
                    text: "b".into()
                },
                StreamMessage::Text {
                    seq: 3,
                    text: "c".into()
                },
            ]
        );
    }

    #[test]
    fn a_lagging_page_gets_coalesced_text_in_order_after_its_ack() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        for n in 0..100 {
            outbox.push(text(&format!("{n},")));
            outbox.flush(&sink, 0, WINDOW);
        }
        let first: Vec<_> = received.try_iter().collect();
        assert_eq!(first.len() as u64, WINDOW, "only a window's worth before the ack");
        outbox.flush(&sink, WINDOW, WINDOW);
        let rest: Vec<_> = received.try_iter().collect();
        assert_eq!(rest.len(), 1, "the backlog arrives as one coalesced message");
        let all: String = first
            .iter()
            .chain(&rest)
            .map(|message| match message {
                StreamMessage::Text { text, .. } => text.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(all, (0..100).map(|n| format!("{n},")).collect::<String>());
    }

    #[test]
    fn no_message_exceeds_8_kb_even_for_huge_or_escaped_deltas() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        outbox.push(text(&"x".repeat(100_000)));
        outbox.push(text(&"\"\n\u{1}".repeat(10_000)));
        outbox.push(text(&"日本語".repeat(5_000)));
        outbox.flush_all(&sink);
        let messages: Vec<_> = received.try_iter().collect();
        assert!(messages.len() > 20);
        for message in &messages {
            let size = serde_json::to_string(message).unwrap().len();
            assert!(size <= MAX_MESSAGE_BYTES, "{size}");
        }
        let total: usize = messages
            .iter()
            .map(|message| match message {
                StreamMessage::Text { text, .. } => text.chars().count(),
                _ => 0,
            })
            .sum();
        assert_eq!(total, 100_000 + 30_000 + 15_000);
    }

    #[test]
    fn kinds_do_not_merge_and_order_is_kept() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        outbox.push(StreamEvent::ThinkingDelta { text: "hmm".into() });
        outbox.push(text("A"));
        outbox.push(text("B"));
        outbox.push(StreamEvent::Usage(runnel_core::Usage {
            input_tokens: Some(1),
            output_tokens: Some(2),
        }));
        outbox.flush(&sink, 0, WINDOW);
        let messages: Vec<_> = received.try_iter().collect();
        assert_eq!(
            messages,
            vec![
                StreamMessage::Thinking {
                    seq: 1,
                    text: "hmm".into()
                },
                StreamMessage::Text {
                    seq: 2,
                    text: "AB".into()
                },
                StreamMessage::Usage {
                    seq: 3,
                    input_tokens: Some(1),
                    output_tokens: Some(2)
                },
            ]
        );
    }
}
