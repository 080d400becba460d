//! Several streams at once: their events arrive tagged by stream id, each can be stopped alone
//! or all together, and each one's [`Completion`] arrives when it ends.

use std::collections::HashMap;

use tokio::sync::mpsc;

use crate::collect::Completion;
use crate::event::StreamEvent;
use crate::stream::{ChatStream, StopHandle};

/// Identifies a stream within a [`StreamSet`], in the order streams were added (0, 1, …).
pub type StreamId = usize;

/// What a [`StreamSet`] yields.
#[derive(Debug, Clone)]
pub enum SetEvent {
    /// An event of stream `id`.
    Event {
        /// Which stream.
        id: StreamId,
        /// Its event.
        event: StreamEvent,
    },
    /// Stream `id` ended; this is everything it produced.
    Done {
        /// Which stream.
        id: StreamId,
        /// Its message, outcome and metrics.
        completion: Box<Completion>,
    },
}

/// Runs several [`ChatStream`]s at once and merges their events.
pub struct StreamSet {
    sender: mpsc::UnboundedSender<SetEvent>,
    receiver: mpsc::UnboundedReceiver<SetEvent>,
    stops: HashMap<StreamId, StopHandle>,
    running: usize,
}

impl Default for StreamSet {
    fn default() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            receiver,
            stops: HashMap::new(),
            running: 0,
        }
    }
}

impl StreamSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a running stream and returns its id. Must be called inside a Tokio runtime.
    pub fn add(&mut self, mut stream: ChatStream) -> StreamId {
        let id = self.stops.len();
        self.stops.insert(id, stream.stop_handle());
        self.running += 1;
        let sender = self.sender.clone();
        tokio::spawn(async move {
            while let Some(event) = stream.next().await {
                if sender.send(SetEvent::Event { id, event }).is_err() {
                    return; // the set was dropped; dropping `stream` stops it
                }
            }
            let completion = Box::new(stream.finish().await);
            let _ = sender.send(SetEvent::Done { id, completion });
        });
        id
    }

    /// Stops stream `id`; the others go on.
    pub fn stop(&self, id: StreamId) {
        if let Some(stop) = self.stops.get(&id) {
            stop.stop();
        }
    }

    /// Stops every stream.
    pub fn stop_all(&self) {
        self.stops.values().for_each(StopHandle::stop);
    }

    /// The next event of any stream; `None` once every stream has ended.
    pub async fn next(&mut self) -> Option<SetEvent> {
        if self.running == 0 {
            return None;
        }
        let event = self.receiver.recv().await?;
        if matches!(event, SetEvent::Done { .. }) {
            self.running -= 1;
        }
        Some(event)
    }
}

impl Drop for StreamSet {
    fn drop(&mut self) {
        self.stop_all();
    }
}
