//! Running streams by id: each answer's core stream is forwarded to the page over its own
//! `Channel` (through an [`Outbox`], which numbers and coalesces), checkpointed to the database,
//! and stoppable by id. The stream's ending event goes to the page last, once the answer is
//! saved (`ending`). An inspector opened on a running stream (`inspect`) gets its rows from the
//! first event on over a channel of its own (`inspector`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runnel_core::provider::Protocol;
use runnel_core::{ChatStream, RecordingTap, StopHandle, StreamError, StreamEvent};
use tokio::sync::Notify;

use crate::checkpoint::Checkpoints;
use crate::ending;
use crate::inspector::{Inspection, RowSink};
use crate::ipc_types::{MessageView, Stats};
use crate::outbox::{Outbox, Sink, WINDOW};
use crate::store::Store;

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

/// A stream's recording as it grows, for an inspector: the tap, the protocol it is in and the
/// model asked for.
struct Recorded {
    tap: RecordingTap,
    protocol: &'static dyn Protocol,
    model: String,
}

struct Running {
    stop: StopHandle,
    /// The recording as it grows.
    recorded: Option<Recorded>,
    inspection: Option<Inspection>,
    acks: Arc<Acks>,
}

/// The answer a stream fills in.
pub struct Answer {
    /// The answer as saved when it started (`streaming`, no text).
    pub message: MessageView,
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
    /// `protocol` is the stream's wire protocol and `model` the model it asked for, for an
    /// inspector's rows.
    pub fn start(
        self: &Arc<Self>,
        stream: ChatStream,
        protocol: &'static dyn Protocol,
        model: &str,
        sink: impl Sink,
        store: Arc<Store>,
        answer: Answer,
    ) -> u64 {
        let id = self.reserve();
        let acks = Arc::new(Acks::default());
        self.running.lock().expect("streams lock").insert(
            id,
            Running {
                stop: stream.stop_handle(),
                recorded: stream.recording_tap().map(|tap| Recorded {
                    tap,
                    protocol,
                    model: model.to_owned(),
                }),
                inspection: None,
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

    /// Sends stream `id`'s inspector rows to `sink`, from its first event on (an inspection
    /// already running for it stops); `false` when it is not running (already ended) or not
    /// recorded.
    pub fn inspect(&self, id: u64, sink: impl RowSink) -> bool {
        let mut running = self.running.lock().expect("streams lock");
        let Some(running) = running.get_mut(&id) else {
            return false;
        };
        let Some(recorded) = &running.recorded else {
            return false;
        };
        // The previous inspection stops first: the tap wakes one reader.
        if let Some(previous) = running.inspection.take() {
            previous.cancel();
        }
        let inspection = Inspection::start(recorded.tap.clone(), recorded.protocol, &recorded.model, sink);
        running.inspection = Some(inspection);
        true
    }

    /// Stops sending stream `id`'s inspector rows (the inspector closed).
    pub fn stop_inspecting(&self, id: u64) {
        if let Some(inspection) = self
            .running
            .lock()
            .expect("streams lock")
            .get_mut(&id)
            .and_then(|running| running.inspection.take())
        {
            inspection.cancel();
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
    let Answer { message: started } = answer;
    let mut outbox = Outbox::default();
    let mut checkpoints = Checkpoints::new(store.clone(), started.id);
    let mut page_open = true;
    let stop = stream.stop_handle();
    let mut stopped = false;
    let ending = loop {
        // While as much waits for the page as may, the stream is read no further (its bounded
        // channel then stops the socket being read) — unless it was stopped: then its last events
        // and its ending are taken, so a page that paints nothing cannot hold up a stop.
        let room = !page_open || !outbox.is_full() || stopped;
        tokio::select! {
            event = stream.next(), if room => {
                let Some(event) = event else {
                    break StreamEvent::Error(StreamError::incomplete("the stream ended without an ending"));
                };
                if event.is_ending() {
                    break event;
                }
                if !page_open {
                    continue; // nobody to send it to: the text is still collected and saved
                }
                outbox.push(event);
                // The events of one read go together: a burst fills messages (up to the message
                // limit) instead of spending the page's window on a delta each.
                if !stream.has_ready() || outbox.holds_full_message() {
                    page_open = outbox.flush(sink, acks.painted(), WINDOW, &Stats::from(stream.completion()));
                }
            }
            // While events are ready, the branch above sends once they are in (or fill a message).
            () = acks.changed.notified(), if !stream.has_ready() || !room => {
                let stats = Stats::from(stream.completion());
                page_open = page_open && outbox.flush(sink, acks.painted(), WINDOW, &stats);
            }
            () = stop.stopped(), if !room => stopped = true,
            () = checkpoints.due() => checkpoints.write(stream.completion()),
        }
    };
    // What the page has not been sent yet goes now, whatever it acknowledged: the stream is over,
    // and its last text must not wait for the database (a checkpoint in flight, the save).
    page_open = page_open && outbox.flush_all(sink, &Stats::from(stream.completion()));
    checkpoints.settle().await;
    let completion = stream.finish().await;
    let saved = blocking(|| ending::save(store, started.id, &ending, &completion));
    if page_open {
        outbox.finish(sink, ending, saved, &Stats::from(&completion));
    }
}

/// Runs a database write off the async workers' hot path: a locked database makes SQLite wait
/// (up to rusqlite's 5 s busy timeout) and other streams must not wait with it.
fn blocking<T>(write: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(write)
}
