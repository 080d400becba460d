//! An inspector's rows of a recorded body: every event (an SSE event, or an NDJSON line for a
//! protocol framed so) and comment line, in the order they came, each stamped with the arrival of the read that completed it, with what its protocol's SDK
//! guides print of it ([`Protocol::describe`]) and the events Runnel decoded from it; the stream's
//! numbers ([`Metrics`]) folded from those events; and how the body ended. The body is read by the
//! engine's own [`BodyDecoder`], so a row's events are exactly those the live stream yielded
//! (before any front end coalesced them), and a finished recording and a running one (read from
//! its [`RecordingTap`](crate::RecordingTap)) give the same rows.
//!
//! A server decides how many events a body holds (64 MiB of `:\n` is 33 million comment lines),
//! so rows are built up to a bound ([`Limits::inspector_rows`]); past it the events are counted and
//! still decoded for the numbers, never kept. A body is framed in pieces of at most
//! [`PIECE_BYTES`], so one huge read (a file without a sidecar) never becomes millions of rows at
//! once.

use std::ops::ControlFlow;

use serde::Serialize;

use crate::body::{BodyDecoder, End, Part};
use crate::event::{FinishReason, StreamEvent};
use crate::limits::{Limits, too_large};
use crate::metrics::Metrics;
use crate::provider::{Field, Protocol};
use crate::recording::RecordedChunk;

/// The event name of a comment line's row: the empty string, which no real event has (an event
/// with no name, or an empty one, is `message`).
pub const COMMENT: &str = "";

/// The most body bytes framed at once.
pub const PIECE_BYTES: usize = 64 << 10;

/// One row of an inspector: an event (SSE, or an NDJSON line), or a comment line.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    /// Milliseconds from sending the request to the arrival of the read that completed it.
    pub at_ms: f64,
    /// The SSE event name (`message` when it had none, as an NDJSON line has); [`COMMENT`] for a
    /// comment line (`: ping`),
    /// a name no real event has.
    pub event: String,
    /// Bytes of its data (UTF-8; the `event:`/`data:` field names and line ends not counted).
    pub bytes: u64,
    /// Its data, lines joined by `\n`, as received (an NDJSON line whole); a comment's text after
    /// its `:`.
    pub data: String,
    /// What its protocol's SDK guides print of it; none for a comment line.
    pub fields: Vec<Field>,
    /// The events Runnel decoded from it, as the stream yielded them; the stream's ending on the
    /// event that ended it.
    pub decoded: Vec<StreamEvent>,
}

/// Reads one recorded body into rows: feed it the chunks with [`push`](Self::push), then call
/// [`finish`](Self::finish).
pub struct RowReader {
    body: BodyDecoder,
    /// An event passed the event limit: no more of the body can be framed.
    too_large: Option<StreamEvent>,
    rows: Rows,
}

/// The rows being built, and what is counted and folded from them.
struct Rows {
    protocol: &'static dyn Protocol,
    /// Its events are decoded (an event stream's); an error body's frames are only shown.
    decoding: bool,
    limit: usize,
    built: usize,
    more: u64,
    /// The arrival of the read being framed.
    at_ms: f64,
    first_ms: Option<f64>,
    bytes: u64,
    metrics: Metrics,
    finish_reason: Option<FinishReason>,
}

impl RowReader {
    /// A reader of a body in `protocol`, building at most `limits.inspector_rows` rows and
    /// framing events up to `limits.event_bytes`. `answered`: the response was an event stream
    /// (a 2xx), so its events are decoded; an error body's frames are only shown.
    pub fn new(protocol: &'static dyn Protocol, answered: bool, limits: &Limits) -> Self {
        Self {
            body: BodyDecoder::new(protocol, limits.event_bytes).keeping_comments(),
            too_large: None,
            rows: Rows {
                protocol,
                decoding: answered,
                limit: limits.inspector_rows,
                built: 0,
                more: 0,
                at_ms: 0.0,
                first_ms: None,
                bytes: 0,
                metrics: Metrics::default(),
                finish_reason: None,
            },
        }
    }

    /// Appends the rows `chunk` completes to `out` (those past the bound are only counted). After
    /// an event past the event limit nothing more of the body is read: the stream ends there.
    pub fn push(&mut self, chunk: &RecordedChunk, out: &mut Vec<EventRow>) {
        if self.too_large.is_some() {
            return;
        }
        let rows = &mut self.rows;
        rows.at_ms = chunk.at_ms;
        rows.first_ms.get_or_insert(chunk.at_ms);
        for start in (0..chunk.bytes.len()).step_by(PIECE_BYTES) {
            let piece = &chunk.bytes[start..(start + PIECE_BYTES).min(chunk.bytes.len())];
            rows.bytes += piece.len() as u64;
            let framed = self.body.feed(piece, |part| {
                rows.take(part, out);
                ControlFlow::Continue(())
            });
            if let Err(too_big) = framed {
                let ending = StreamEvent::Error(too_large("one event of the stream", too_big.limit));
                rows.ended(&ending);
                self.too_large = Some(ending);
                return;
            }
        }
    }

    /// Ends the body: appends the rows of its last comment line and of the event it cut off, if
    /// any. Returns the ending the body's end brought, which no row carries (the stream was cut
    /// short, or an event passed the limit); `None` when an event ended the stream (its row
    /// carries the ending) or the body is not decoded.
    pub fn finish(&mut self, out: &mut Vec<EventRow>) -> Option<StreamEvent> {
        if let Some(ending) = &self.too_large {
            return Some(ending.clone());
        }
        let rows = &mut self.rows;
        let end = self.body.finish(|part| rows.take(part, out));
        match end {
            End::Incomplete { .. } if rows.decoding => {
                let ending = end.into_event();
                rows.ended(&ending);
                Some(ending)
            }
            _ => None,
        }
    }

    /// Rows built and events counted past the bound, so far: every event and comment line.
    pub fn counted(&self) -> u64 {
        self.rows.built as u64 + self.rows.more
    }

    /// Events past the bound so far: counted, no row built.
    pub fn more(&self) -> u64 {
        self.rows.more
    }

    /// Body bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.rows.bytes
    }

    /// The arrival of the body's first read, ms.
    pub fn first_ms(&self) -> Option<f64> {
        self.rows.first_ms
    }

    /// The stream's numbers, folded from the events decoded so far (those past the bound too).
    pub fn metrics(&self) -> &Metrics {
        &self.rows.metrics
    }

    /// How the answer finished, once the stream reached its terminator.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.rows.finish_reason
    }
}

impl Rows {
    /// The row of `part`, appended to `out` under the bound, else counted; its events folded into
    /// the numbers either way.
    fn take(&mut self, part: Part<'_>, out: &mut Vec<EventRow>) {
        match part {
            Part::Comment(text) => {
                if self.admit() {
                    out.push(self.row(COMMENT.to_owned(), text, Vec::new(), Vec::new()));
                }
            }
            Part::Event(decoded) => {
                let events = self.fold(decoded.events, decoded.end);
                if self.admit() {
                    let event = decoded.frame.name().to_owned();
                    let fields = self.protocol.describe(&decoded.frame);
                    out.push(self.row(event, decoded.frame.data, fields, events));
                }
            }
        }
    }

    /// The events an event decoded to, its ending after them when it ended the stream, folded
    /// into the numbers; none when the body is not decoded.
    fn fold(&mut self, decoded: &mut Vec<StreamEvent>, end: Option<&End>) -> Vec<StreamEvent> {
        if !self.decoding {
            return Vec::new();
        }
        let mut events = std::mem::take(decoded);
        match end {
            Some(End::Complete(finish)) => {
                self.finish_reason = Some(finish.reason);
                events.push(finish.clone().into());
            }
            Some(End::Failed(error)) => events.push(StreamEvent::Error(error.clone())),
            _ => {}
        }
        for event in &events {
            self.metrics.record(self.at_ms, self.bytes, event);
        }
        events
    }

    /// Whether one more row is built: under the bound it is, past it the row is only counted.
    fn admit(&mut self) -> bool {
        if self.built == self.limit {
            self.more += 1;
            return false;
        }
        self.built += 1;
        true
    }

    fn row(&self, event: String, data: String, fields: Vec<Field>, decoded: Vec<StreamEvent>) -> EventRow {
        EventRow {
            at_ms: self.at_ms,
            event,
            bytes: data.len() as u64,
            data,
            fields,
            decoded,
        }
    }

    /// The body's end brought `ending`: folded into the numbers at the last read's arrival.
    fn ended(&mut self, ending: &StreamEvent) {
        if self.decoding {
            self.metrics.record(self.at_ms, self.bytes, ending);
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::error::ErrorKind;
    use crate::provider::protocol;

    /// A chunk of `bytes` arriving at `at_ms`.
    fn chunk(at_ms: f64, bytes: &[u8]) -> RecordedChunk {
        RecordedChunk {
            at_ms,
            bytes: Bytes::copy_from_slice(bytes),
        }
    }

    /// The rows of `chunks` in `protocol`, at most `limit`; the reader after its end, and the
    /// ending the end brought.
    fn read(
        protocol_id: &str,
        chunks: &[RecordedChunk],
        limit: usize,
    ) -> (Vec<EventRow>, RowReader, Option<StreamEvent>) {
        let limits = Limits {
            inspector_rows: limit,
            ..Limits::default()
        };
        let mut reader = RowReader::new(protocol(protocol_id).unwrap(), true, &limits);
        let mut rows = Vec::new();
        for chunk in chunks {
            reader.push(chunk, &mut rows);
        }
        let ending = reader.finish(&mut rows);
        (rows, reader, ending)
    }

    fn seen(rows: &[EventRow]) -> Vec<(f64, &str, &str)> {
        rows.iter()
            .map(|row| (row.at_ms, row.event.as_str(), row.data.as_str()))
            .collect()
    }

    const DELTA: &str = r#"data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#;

    fn openai_body(deltas: usize) -> String {
        let mut body = String::new();
        for n in 0..deltas {
            body += &format!(": tick {n}\n\n{DELTA}\n\n");
        }
        body + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
    }

    #[test]
    fn rows_carry_the_time_of_the_read_that_completed_them_and_comments_in_their_place() {
        let chunks = [
            chunk(1.0, b": OPENROUTER PROCESSING\n\nevent: ping\ndata: {}\n"),
            chunk(2.0, b"\ndata: one\n\n: inside\n\ndata: tw"),
            chunk(3.0, b"o\n\n:"),
            chunk(4.0, b"tail\n"),
        ];
        let (rows, ..) = read("openai", &chunks, 100);
        assert_eq!(
            seen(&rows),
            [
                (1.0, COMMENT, " OPENROUTER PROCESSING"),
                (2.0, "ping", "{}"),
                (2.0, "message", "one"),
                (2.0, COMMENT, " inside"),
                (3.0, "message", "two"),
                (4.0, COMMENT, "tail"),
            ]
        );
        assert!(rows.iter().all(|row| row.bytes == row.data.len() as u64));
    }

    #[test]
    fn each_event_shows_its_fields_and_what_it_decoded_to_and_the_terminator_ends_the_last() {
        let body = openai_body(3);
        let (rows, reader, ending) = read(
            "openai",
            &[chunk(5.0, &body.as_bytes()[..70]), chunk(9.0, &body.as_bytes()[70..])],
            100,
        );
        assert_eq!(ending, None, "the terminator's row carries the ending");
        assert_eq!(rows.len(), 8);
        assert_eq!(rows[0].fields, [], "a comment shows no fields");
        let content = Field::new("content", r#""Hi""#);
        assert!(rows[1].fields.contains(&content), "{:?}", rows[1].fields);
        assert_eq!(
            rows[1].decoded.last(),
            Some(&StreamEvent::TextDelta { text: "Hi".into() })
        );
        assert!(matches!(
            rows.last().unwrap().decoded.as_slice(),
            [StreamEvent::Finish { .. }]
        ));
        assert_eq!(reader.finish_reason(), Some(FinishReason::Stop));
        let metrics = reader.metrics();
        assert_eq!((metrics.ttft_ms, metrics.duration_ms), (Some(5.0), 9.0));
        assert_eq!((metrics.output_tokens, metrics.tokens_estimated), (Some(3), true));
        assert_eq!(
            (reader.counted(), reader.bytes(), reader.first_ms()),
            (8, body.len() as u64, Some(5.0))
        );
    }

    #[test]
    fn past_the_bound_no_row_is_built_and_the_rest_is_counted_and_still_read_for_the_numbers() {
        let body = openai_body(1_000);
        let (all, ..) = read("openai", &[chunk(1.0, body.as_bytes())], usize::MAX);
        let (rows, reader, _) = read("openai", &[chunk(1.0, body.as_bytes())], 100);
        assert_eq!(rows, all[..100]);
        assert_eq!(
            (reader.more(), reader.counted()),
            (all.len() as u64 - 100, all.len() as u64)
        );
        assert_eq!(reader.finish_reason(), Some(FinishReason::Stop), "read past the bound");
        assert_eq!(reader.metrics().output_tokens, Some(1_000));
    }

    #[test]
    fn a_huge_read_is_framed_in_pieces_as_the_same_rows() {
        let body = format!("{}\n\n", ": x\n".repeat(PIECE_BYTES));
        let (rows, ..) = read("openai", &[chunk(4.0, body.as_bytes())], usize::MAX);
        assert_eq!(rows.len(), PIECE_BYTES);
        assert!(rows.iter().all(|row| row.data == " x" && row.at_ms == 4.0));
    }

    #[test]
    fn a_cut_body_ends_incomplete_without_failing_the_event_it_cut() {
        let body = format!("{DELTA}\n\n: a\n\n{DELTA}\n\ndata: {{\"cho");
        let (rows, reader, ending) = read("openai", &[chunk(7.0, body.as_bytes())], 100);
        let last = rows.last().unwrap();
        assert_eq!((last.data.as_str(), last.decoded.as_slice()), ("{\"cho", &[][..]));
        assert!(
            matches!(&ending, Some(StreamEvent::Error(error)) if error.kind == ErrorKind::Incomplete),
            "{ending:?}"
        );
        assert_eq!(reader.metrics().duration_ms, 7.0, "the end is counted at the last read");
    }

    #[test]
    fn an_event_past_the_event_limit_ends_the_reading() {
        let limits = Limits {
            event_bytes: 64,
            ..Limits::default()
        };
        let mut reader = RowReader::new(protocol("openai").unwrap(), true, &limits);
        let mut rows = Vec::new();
        reader.push(
            &chunk(1.0, format!("{DELTA}\n\ndata: {}", "x".repeat(100)).as_bytes()),
            &mut rows,
        );
        reader.push(&chunk(2.0, b"\n\ndata: [DONE]\n\n"), &mut rows);
        assert_eq!(rows.len(), 1);
        let ending = reader.finish(&mut rows);
        assert!(matches!(&ending, Some(StreamEvent::Error(error)) if error.kind == ErrorKind::TooLarge));
    }

    #[test]
    fn an_error_bodys_frames_are_shown_not_decoded() {
        let mut reader = RowReader::new(protocol("anthropic").unwrap(), false, &Limits::default());
        let mut rows = Vec::new();
        reader.push(
            &chunk(1.0, b"event: error\ndata: {\"type\":\"error\"}\n\ndata: x"),
            &mut rows,
        );
        assert_eq!(reader.finish(&mut rows), None);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|row| row.decoded.is_empty()));
        assert_eq!(rows[0].fields, [Field::new("type", "error")]);
        assert_eq!(reader.metrics(), &Metrics::default());
    }
}
