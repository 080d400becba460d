//! A running answer inspected live: its recording, read from the first chunk through the
//! stream's [`RecordingTap`] by the core's [`RowReader`] as `stream_events` reads a finished one,
//! goes to the page as batches of rows over a `Channel` of the inspector's own, each with the
//! stream's summary and timeline so far. So opening the inspector mid-stream shows every event
//! from the start, each once and in order, and the answer's own channel carries exactly what it
//! carries uninspected.
//!
//! The work happens on a task of its own, off the stream's road: the stream only appends chunks
//! to the tap. Rows go out at most every [`BATCH_INTERVAL`], so a fast stream becomes a few
//! messages a second, not one per event; a message holds at most [`BATCH_ROWS`] rows. Rows are
//! built up to `Limits::inspector_rows`, as for a finished stream; past it the events are only
//! counted, and the count goes out with each batch (at most one message per interval once no row
//! is built).

use std::time::Duration;

use runnel_core::inspect::{EventRow, RowReader};
use runnel_core::provider::Protocol;
use runnel_core::{Limits, RecordingTap};
use tauri::async_runtime::JoinHandle;

use crate::ipc_types::{LiveRows, ProtocolId};
use crate::rows::{Origin, counted, summary};
use crate::timeline::Marks;

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
    /// Starts sending the rows of the stream recorded in `tap` (spoken in `protocol`, asking for
    /// `model`) to `sink`: all those so far at once, then each batch as it arrives.
    pub fn start(tap: RecordingTap, protocol: &'static dyn Protocol, model: &str, sink: impl RowSink) -> Self {
        let origin = Origin {
            protocol: ProtocolId(protocol.id().to_owned()),
            model: Some(model.to_owned()),
            status: None,
            truncated: false,
        };
        let reader = RowReader::new(protocol, true, &Limits::default());
        Self(tauri::async_runtime::spawn(run(
            tap,
            Outgoing::new(reader, origin, sink),
        )))
    }

    /// Stops sending rows.
    pub fn cancel(&self) {
        self.0.abort();
    }
}

async fn run(tap: RecordingTap, mut out: Outgoing<impl RowSink>) {
    tap.watch();
    let mut next = 0;
    loop {
        tap.changed().await;
        let (chunks, ended) = tap.since(next);
        next += chunks.len();
        for chunk in &chunks {
            if !out.chunk(|reader, rows| reader.push(chunk, rows)) {
                return;
            }
        }
        if ended
            && !out.chunk(|reader, rows| {
                let _ = reader.finish(rows);
            })
        {
            return;
        }
        if !out.flush() || ended {
            return;
        }
        tokio::time::sleep(BATCH_INTERVAL).await;
    }
}

/// Rows on their way to the page, in messages of at most [`BATCH_ROWS`], each with the summary
/// and timeline of every row so far.
struct Outgoing<S> {
    reader: RowReader,
    origin: Origin,
    sink: S,
    /// The rows read and not yet sent.
    batch: Vec<EventRow>,
    /// Every row so far, as the timeline counts them.
    marks: Marks,
    /// The count of events past the bound the page was last told.
    told_more: u64,
}

impl<S: RowSink> Outgoing<S> {
    fn new(reader: RowReader, origin: Origin, sink: S) -> Self {
        Self {
            reader,
            origin,
            sink,
            batch: Vec::new(),
            marks: Marks::default(),
            told_more: 0,
        }
    }

    /// Reads more of the body with `read` (which appends rows), sending each full batch; `false`
    /// when the page is gone.
    fn chunk(&mut self, read: impl FnOnce(&mut RowReader, &mut Vec<EventRow>)) -> bool {
        let start = self.batch.len();
        read(&mut self.reader, &mut self.batch);
        for row in &self.batch[start..] {
            self.marks.push(row);
        }
        while self.batch.len() >= BATCH_ROWS {
            let rest = self.batch.split_off(BATCH_ROWS);
            if !self.send() {
                return false;
            }
            self.batch = rest;
        }
        true
    }

    /// Sends the rows read since the last message, or a new count of events past the bound;
    /// `false` when the page is gone.
    fn flush(&mut self) -> bool {
        self.batch.is_empty() && self.reader.more() == self.told_more || self.send()
    }

    /// Sends the rows of `batch`, with the summary and timeline so far.
    fn send(&mut self) -> bool {
        self.told_more = self.reader.more();
        let stats = counted(&self.reader);
        self.sink.deliver(LiveRows {
            rows: std::mem::take(&mut self.batch),
            more: self.told_more,
            summary: summary(self.origin.clone(), &self.reader, stats),
            timeline: self.marks.timeline(),
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

    /// An OpenAI body of `deltas` text deltas.
    fn body(deltas: usize) -> Vec<u8> {
        runnel_testkit::openai_stream(deltas)
    }

    fn chunk(at_ms: f64, bytes: &[u8]) -> runnel_core::RecordedChunk {
        runnel_core::RecordedChunk {
            at_ms,
            bytes: bytes::Bytes::copy_from_slice(bytes),
        }
    }

    #[test]
    fn rows_go_in_bounded_batches_up_to_the_bound_then_only_the_count_of_more_each_with_the_summary() {
        let sink = Collected::default();
        let limits = Limits {
            inspector_rows: 2_500,
            ..Limits::default()
        };
        let reader = RowReader::new(runnel_core::provider::protocol("openai").unwrap(), true, &limits);
        let origin = Origin {
            protocol: ProtocolId("openai".into()),
            model: Some("gpt".into()),
            status: None,
            truncated: false,
        };
        let mut out = Outgoing::new(reader, origin, sink.clone());
        let body = body(3_000);
        let (first, second) = body.split_at(body.len() * 2 / 3);
        assert!(out.chunk(|reader, rows| reader.push(&chunk(1.0, first), rows)) && out.flush());
        assert!(out.chunk(|reader, rows| reader.push(&chunk(2.0, second), rows)) && out.flush());
        assert!(out.flush(), "nothing new: nothing sent");
        assert!(
            out.chunk(|reader, rows| {
                let _ = reader.finish(rows);
            }) && out.flush()
        );
        let batches = sink.0.lock().unwrap();
        let sizes: Vec<(usize, u64)> = batches.iter().map(|batch| (batch.rows.len(), batch.more)).collect();
        let all = sse_rows(&body);
        assert_eq!(sizes[..2], [(1_000, 0), (1_000, 0)]);
        let built: usize = sizes.iter().map(|(rows, _)| rows).sum();
        assert_eq!((built, sizes.last().unwrap().1), (2_500, all - 2_500));
        let last = batches.last().unwrap();
        assert_eq!(last.summary.events, all);
        assert_eq!(
            last.summary.stats.output_tokens,
            Some(3_000),
            "counted past the bound too"
        );
        assert_eq!(last.summary.stats.finish_reason.as_deref(), Some("stop"));
        assert_eq!(
            last.timeline.events.iter().sum::<u32>(),
            2_500,
            "the chart covers the rows built"
        );
    }

    /// Events in an SSE `body`.
    fn sse_rows(body: &[u8]) -> u64 {
        runnel_testkit::sse_events(body).len() as u64
    }
}
