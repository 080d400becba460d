//! A running answer inspected live: its recording, read from the first chunk through the
//! stream's [`RecordingTap`], framed and decoded again as `stream_events` does for a finished one,
//! goes to the page as batches of rows over a `Channel` of the inspector's own. So opening the
//! inspector mid-stream shows every event from the start, each once and in order, and the
//! answer's own channel carries exactly what it carries uninspected.
//!
//! The work happens on a task of its own, off the stream's road: the stream only appends chunks
//! to the tap. Rows go out at most every [`BATCH_INTERVAL`], so a fast stream becomes a few
//! messages a second, not one per event; a message holds at most [`BATCH_ROWS`] rows. Rows are
//! built up to `Limits::inspector_rows`, as for a finished stream; past it the events are only
//! counted, and the count goes out with each batch (at most one message per interval once no row
//! is built).

use std::time::Duration;

use runnel_core::recording::Framer;
use runnel_core::{Limits, RawFrame, RecordingTap};
use tauri::async_runtime::JoinHandle;

use crate::models::{EventRow, LiveRows};
use crate::rows::{BoundedRows, RowDecoder, pieces};

/// The shortest time between two batches of rows.
pub const BATCH_INTERVAL: Duration = Duration::from_millis(50);
/// The most rows in one message: the rows ready at once go in several.
pub const BATCH_ROWS: usize = 1_000;

/// Where an inspector's rows go.
pub trait RowSink: Send + Sync + 'static {
    /// Delivers the next rows, in order, and the count of events past the bound; `false` when
    /// the page is gone.
    fn deliver(&self, batch: LiveRows) -> bool;
}

impl RowSink for tauri::ipc::Channel<LiveRows> {
    fn deliver(&self, batch: LiveRows) -> bool {
        self.send(batch).is_ok()
    }
}

/// One live inspection; it runs until the recording ends, the page is gone, or it is
/// [`cancel`](Inspection::cancel)led.
pub struct Inspection(JoinHandle<()>);

impl Inspection {
    /// Starts sending the rows of the stream recorded in `tap` (spoken in `protocol`) to `sink`:
    /// all those so far at once, then each batch as it arrives.
    pub fn start(tap: RecordingTap, protocol: &str, sink: impl RowSink) -> Self {
        let rows = BoundedRows::new(RowDecoder::new(protocol, true), Limits::default().inspector_rows);
        Self(tauri::async_runtime::spawn(run(tap, rows, sink)))
    }

    /// Stops sending rows.
    pub fn cancel(&self) {
        self.0.abort();
    }
}

async fn run(tap: RecordingTap, rows: BoundedRows, sink: impl RowSink) {
    tap.watch();
    let mut framer = Framer::new();
    let mut out = Outgoing::new(rows, sink);
    let mut next = 0;
    let mut frames = Vec::new();
    loop {
        tap.changed().await;
        let (chunks, ended) = tap.since(next);
        next += chunks.len();
        let mut broken = false;
        'read: for chunk in &chunks {
            for piece in pieces(chunk) {
                broken = framer.push(&piece, &mut frames).is_err();
                if !out.frames(&mut frames) {
                    return;
                }
                if broken {
                    break 'read;
                }
            }
        }
        if ended && !broken {
            framer.finish(&mut frames);
            if !out.frames(&mut frames) {
                return;
            }
        }
        if !out.flush() || ended || broken {
            return;
        }
        tokio::time::sleep(BATCH_INTERVAL).await;
    }
}

/// Rows on their way to the page, in messages of at most [`BATCH_ROWS`].
struct Outgoing<S> {
    rows: BoundedRows,
    sink: S,
    batch: Vec<EventRow>,
    /// The count of events past the bound the page was last told.
    told_more: u64,
}

impl<S: RowSink> Outgoing<S> {
    fn new(rows: BoundedRows, sink: S) -> Self {
        Self {
            rows,
            sink,
            batch: Vec::new(),
            told_more: 0,
        }
    }

    /// Builds the rows of `frames` (taking them all), sending each full batch; `false` when the
    /// page is gone.
    fn frames(&mut self, frames: &mut Vec<RawFrame>) -> bool {
        for frame in frames.drain(..) {
            self.batch.extend(self.rows.push(frame, false));
            if self.batch.len() == BATCH_ROWS && !self.send() {
                return false;
            }
        }
        true
    }

    /// Sends the rows built since the last message, or a new count of events past the bound;
    /// `false` when the page is gone.
    fn flush(&mut self) -> bool {
        self.batch.is_empty() && self.rows.more() == self.told_more || self.send()
    }

    fn send(&mut self) -> bool {
        self.told_more = self.rows.more();
        self.sink.deliver(LiveRows {
            rows: std::mem::take(&mut self.batch),
            more: self.told_more,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<LiveRows>>>);

    impl RowSink for Collected {
        fn deliver(&self, batch: LiveRows) -> bool {
            self.0.lock().unwrap().push(batch);
            true
        }
    }

    fn frame(n: usize) -> RawFrame {
        RawFrame {
            at_ms: n as f64,
            event: String::new(),
            data: n.to_string(),
        }
    }

    #[test]
    fn rows_go_in_bounded_batches_up_to_the_bound_then_only_the_count_of_more() {
        let sink = Collected::default();
        let mut out = Outgoing::new(BoundedRows::new(RowDecoder::new("openai", true), 2_500), sink.clone());
        let mut frames: Vec<RawFrame> = (0..2_100).map(frame).collect();
        assert!(out.frames(&mut frames) && out.flush());
        let mut frames: Vec<RawFrame> = (2_100..3_000).map(frame).collect();
        assert!(out.frames(&mut frames) && out.flush());
        assert!(out.flush(), "nothing new: nothing sent");
        let mut frames = vec![frame(3_000)];
        assert!(out.frames(&mut frames) && out.flush());
        let batches = sink.0.lock().unwrap();
        let sizes: Vec<(usize, u64)> = batches.iter().map(|batch| (batch.rows.len(), batch.more)).collect();
        assert_eq!(sizes, [(1_000, 0), (1_000, 0), (100, 0), (400, 500), (0, 501)]);
        let data: Vec<String> = batches
            .iter()
            .flat_map(|batch| batch.rows.iter().map(|row| row.data.clone()))
            .collect();
        assert_eq!(data, (0..2_500).map(|n| n.to_string()).collect::<Vec<_>>());
    }
}
