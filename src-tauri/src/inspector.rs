//! A running answer inspected live: its recording, read from the first chunk through the
//! stream's [`RecordingTap`], framed and decoded again as `stream_events` does for a finished one,
//! goes to the page as batches of rows over a `Channel` of the inspector's own. So opening the
//! inspector mid-stream shows every event from the start, each once and in order, and the
//! answer's own channel carries exactly what it carries uninspected.
//!
//! The work happens on a task of its own, off the stream's road: the stream only appends chunks
//! to the tap. Rows go out at most every [`BATCH_INTERVAL`], so a fast stream becomes a few
//! messages a second, not one per event.

use std::time::Duration;

use runnel_core::RecordingTap;
use runnel_core::recording::Framer;
use tauri::async_runtime::JoinHandle;

use crate::models::EventRow;
use crate::recordings::RowDecoder;

/// The shortest time between two batches of rows.
pub const BATCH_INTERVAL: Duration = Duration::from_millis(50);

/// Where an inspector's rows go.
pub trait RowSink: Send + Sync + 'static {
    /// Delivers the next rows, in order; `false` when the page is gone.
    fn deliver(&self, rows: Vec<EventRow>) -> bool;
}

impl RowSink for tauri::ipc::Channel<Vec<EventRow>> {
    fn deliver(&self, rows: Vec<EventRow>) -> bool {
        self.send(rows).is_ok()
    }
}

/// One live inspection; it runs until the recording ends, the page is gone, or it is
/// [`cancel`](Inspection::cancel)led.
pub struct Inspection(JoinHandle<()>);

impl Inspection {
    /// Starts sending the rows of the stream recorded in `tap` (spoken in `protocol`) to `sink`:
    /// all those so far at once, then each batch as it arrives.
    pub fn start(tap: RecordingTap, protocol: &str, sink: impl RowSink) -> Self {
        let decoder = RowDecoder::new(protocol, true);
        Self(tauri::async_runtime::spawn(run(tap, decoder, sink)))
    }

    /// Stops sending rows.
    pub fn cancel(&self) {
        self.0.abort();
    }
}

async fn run(tap: RecordingTap, mut decoder: RowDecoder, sink: impl RowSink) {
    tap.watch();
    let mut framer = Framer::new();
    let mut next = 0;
    loop {
        tap.changed().await;
        let (chunks, ended) = tap.since(next);
        next += chunks.len();
        let mut frames = Vec::new();
        let mut broken = false;
        for chunk in &chunks {
            if framer.push(chunk, &mut frames).is_err() {
                broken = true;
                break;
            }
        }
        if ended && !broken {
            framer.finish(&mut frames);
        }
        let rows: Vec<EventRow> = frames.into_iter().map(|frame| decoder.row(frame, false)).collect();
        if !rows.is_empty() && !sink.deliver(rows) {
            return;
        }
        if ended || broken {
            return;
        }
        tokio::time::sleep(BATCH_INTERVAL).await;
    }
}
