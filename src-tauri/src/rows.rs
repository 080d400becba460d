//! The inspector's rows of a recorded stream: each SSE event decoded again by the protocol's own
//! decoder (so a row shows what the page received), each comment line as it is, in order, up to
//! [`Limits::inspector_rows`](runnel_core::Limits::inspector_rows). Past the bound no row is
//! built: events are framed and counted (and decoded for the summary's finish reason and usage,
//! then dropped), so a body of 33 million one-byte comments costs the bound's rows, not gigabytes.
//!
//! Frames are made from pieces of at most [`PIECE_BYTES`] of the body, so that a recording held
//! as one huge chunk (an `.sse` file without a sidecar) is never framed into millions of frames
//! at once. A finished stream ([`decode`]) and a live one (`inspector.rs`) build their rows the
//! same way, with [`BoundedRows`].

use runnel_core::provider::{EventDecoder, Step, protocol};
use runnel_core::recording::{COMMENT, Framer};
use runnel_core::sse::SseFrame;
use runnel_core::{RawFrame, RecordedChunk, Recording, StreamError, StreamEvent};

use crate::models::{EventRow, MessageState, MessageView, StreamSummary, Timeline};
use crate::timeline;

/// The most body bytes framed at once.
pub const PIECE_BYTES: usize = 64 << 10;

/// `chunk` cut into pieces of at most [`PIECE_BYTES`] (slices, no copy), each at its arrival time.
pub fn pieces(chunk: &RecordedChunk) -> impl Iterator<Item = RecordedChunk> + '_ {
    (0..chunk.bytes.len()).step_by(PIECE_BYTES).map(|start| RecordedChunk {
        at_ms: chunk.at_ms,
        bytes: chunk.bytes.slice(start..(start + PIECE_BYTES).min(chunk.bytes.len())),
    })
}

/// Decodes an inspector's frames, in order: each SSE event again by the protocol's own decoder
/// (until its terminator or an error), a comment line ([`COMMENT`]) not at all; and gathers what
/// the summary reads off the decoded events.
pub struct RowDecoder {
    decoder: Option<Box<dyn EventDecoder>>,
    ttft_ms: Option<f64>,
    finish_reason: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

impl RowDecoder {
    /// Rows of a stream in `protocol`; `answered`: its response was an event stream (2xx), so
    /// its events are decoded (an error body's are not).
    pub fn new(protocol_id: &str, answered: bool) -> Self {
        Self {
            decoder: protocol(protocol_id)
                .filter(|_| answered)
                .map(|protocol| protocol.decoder()),
            ttft_ms: None,
            finish_reason: None,
            input_tokens: None,
            output_tokens: None,
        }
    }

    /// The row of `frame`, the stream's next. `cut`: it is an event the body cut off, which,
    /// like the live stream, is no error of its own when it fails to decode (the stream is partial).
    pub fn row(&mut self, frame: RawFrame, cut: bool) -> EventRow {
        let decoded = self.decode(&frame, cut);
        EventRow {
            at_ms: frame.at_ms,
            event: frame.event,
            bytes: frame.data.len() as u64,
            data: frame.data,
            decoded,
        }
    }

    /// The events decoded from `frame` (see [`row`](Self::row)), noted for the summary.
    fn decode(&mut self, frame: &RawFrame, cut: bool) -> Vec<StreamEvent> {
        let mut decoded = Vec::new();
        if let Some(active) = self.decoder.as_mut().filter(|_| frame.event != COMMENT) {
            let sse = SseFrame {
                event: if frame.event == "message" {
                    String::new()
                } else {
                    frame.event.clone()
                },
                data: frame.data.clone(),
                ..SseFrame::default()
            };
            match active.decode(&sse, &mut decoded) {
                Ok(Step::More) => {}
                Ok(Step::Done(finish)) => {
                    decoded.push(finish.into());
                    self.decoder = None;
                }
                Err(_) if cut => {}
                Err(error) => {
                    decoded.push(StreamEvent::Error(error));
                    self.decoder = None;
                }
            }
        }
        for event in &decoded {
            match event {
                event if event.is_content() => {
                    self.ttft_ms.get_or_insert(frame.at_ms);
                }
                StreamEvent::Usage(usage) => {
                    self.input_tokens = usage.input_tokens.or(self.input_tokens);
                    self.output_tokens = usage.output_tokens.or(self.output_tokens);
                }
                StreamEvent::Finish { reason, .. } => self.finish_reason = Some(reason.as_str().to_owned()),
                _ => {}
            }
        }
        decoded
    }

    /// The protocol's terminator when the stream has not reached it (nor failed) yet.
    fn awaited_terminator(&self) -> Option<&'static str> {
        self.decoder.as_ref().map(|decoder| decoder.terminator())
    }
}

/// A [`RowDecoder`] that builds at most `limit` rows and counts the frames past them.
pub struct BoundedRows {
    decoder: RowDecoder,
    limit: usize,
    built: usize,
    more: u64,
}

impl BoundedRows {
    /// Rows of `decoder`'s stream, at most `limit` of them.
    pub fn new(decoder: RowDecoder, limit: usize) -> Self {
        Self {
            decoder,
            limit,
            built: 0,
            more: 0,
        }
    }

    /// The row of `frame` (see [`RowDecoder::row`]) while under the bound; past it, `None`: the
    /// frame is counted, and decoded for the summary only.
    pub fn push(&mut self, frame: RawFrame, cut: bool) -> Option<EventRow> {
        if self.built < self.limit {
            self.built += 1;
            return Some(self.decoder.row(frame, cut));
        }
        self.more += 1;
        self.decoder.decode(&frame, cut);
        None
    }

    /// Frames past the bound so far.
    pub fn more(&self) -> u64 {
        self.more
    }
}

/// A stream decoded for the inspector.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedStream {
    /// The rows kept, in order.
    pub rows: Vec<EventRow>,
    /// Events past the bound: counted, no row built.
    pub more: u64,
    /// Its numbers.
    pub summary: StreamSummary,
    /// The rows per slice of time.
    pub timeline: Timeline,
}

/// The inspector's rows of `recording` (at most `limit`), and its summary and timeline. With the
/// `answer` it was recorded for, the numbers come from its saved stats, and a stream cut short
/// ends as the answer did (stopped, or with the error saved with it); a file's cut-short stream
/// ends `incomplete`, as `runnel chat` would read it. The ending goes on the last row only when
/// it is the stream's last event (nothing past the bound).
pub fn decode(recording: &Recording, answer: Option<&MessageView>, limit: usize) -> DecodedStream {
    let stats = answer.and_then(|answer| answer.stats.as_ref());
    let answered = recording.status.is_some_and(|status| (200..300).contains(&status));
    let mut bounded = BoundedRows::new(RowDecoder::new(&recording.protocol, answered), limit);
    // The last frame was cut off when the body does not end with a blank line: it is only known
    // to be the last once the body is over, so each frame is held back until the next comes.
    let cut = !ends_an_event(&tail(recording));
    let mut rows = Vec::new();
    let mut held: Option<RawFrame> = None;
    each_frame(recording, |frame| {
        if let Some(previous) = held.replace(frame) {
            rows.extend(bounded.push(previous, false));
        }
    });
    if let Some(last) = held {
        rows.extend(bounded.push(last, cut));
    }
    let more = bounded.more();
    let decoder = bounded.decoder;
    if answered
        && more == 0
        && let Some(terminator) = decoder.awaited_terminator().filter(|_| !recording.truncated)
    {
        // The body ended before the protocol's terminator: the ending the page got.
        let ending = match answer.map(|answer| answer.state) {
            Some(MessageState::Stopped) => Some(StreamEvent::Stopped),
            Some(MessageState::Error) => None,
            _ => Some(StreamEvent::Error(StreamError::cut_short(terminator, cut))),
        };
        if let (Some(last), Some(ending)) = (rows.last_mut(), ending) {
            last.decoded.push(ending);
        }
    }
    let RowDecoder {
        ttft_ms,
        finish_reason,
        input_tokens,
        output_tokens,
        ..
    } = decoder;
    let last_ms = recording.chunks.last().map(|chunk| chunk.at_ms);
    let recorded_rate = match (ttft_ms, last_ms, output_tokens) {
        (Some(first), Some(last), Some(tokens)) if last > first => Some(tokens as f64 * 1000.0 / (last - first)),
        _ => None,
    };
    let summary = StreamSummary {
        protocol: recording.protocol.clone(),
        model: recording.model.clone(),
        status: recording.status,
        events: rows.len() as u64 + more,
        bytes: recording.body_len() as u64,
        duration_ms: stats.map(|stats| stats.duration_ms).or(last_ms),
        ttfb_ms: recording.chunks.first().map(|chunk| chunk.at_ms),
        ttft_ms: stats.and_then(|stats| stats.ttft_ms).or(ttft_ms),
        tokens_per_sec: stats.and_then(|stats| stats.tokens_per_sec).or(recorded_rate),
        finish_reason: stats.and_then(|stats| stats.finish_reason.clone()).or(finish_reason),
        input_tokens: stats.and_then(|stats| stats.input_tokens).or(input_tokens),
        output_tokens: stats.and_then(|stats| stats.output_tokens).or(output_tokens),
        truncated: recording.truncated,
    };
    let timeline = timeline::of(&rows);
    DecodedStream {
        rows,
        more,
        summary,
        timeline,
    }
}

/// Hands `recording`'s frames to `each`, in order, as [`Recording::frames`] gives them (framing
/// stops at an event past the event limit), holding no more than one piece's frames at a time.
fn each_frame(recording: &Recording, mut each: impl FnMut(RawFrame)) {
    let mut framer = Framer::new();
    let mut frames = Vec::new();
    for chunk in &recording.chunks {
        for piece in pieces(chunk) {
            let framed = framer.push(&piece, &mut frames);
            frames.drain(..).for_each(&mut each);
            if framed.is_err() {
                return;
            }
        }
    }
    framer.finish(&mut frames);
    frames.drain(..).for_each(each);
}

/// The last (up to) four bytes of `recording`'s body.
fn tail(recording: &Recording) -> Vec<u8> {
    let mut tail = Vec::new();
    for chunk in recording.chunks.iter().rev() {
        let wanted = 4 - tail.len();
        let start = chunk.bytes.len().saturating_sub(wanted);
        tail.splice(0..0, chunk.bytes[start..].iter().copied());
        if tail.len() == 4 {
            break;
        }
    }
    tail
}

/// True when `tail` (a body's end) closes an event: a blank line, in any of SSE's line ends.
fn ends_an_event(tail: &[u8]) -> bool {
    tail.is_empty()
        || [&b"\n\n"[..], b"\r\r", b"\r\n\r\n", b"\n\r\n", b"\r\n\n"]
            .iter()
            .any(|end| tail.ends_with(end))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    /// A 200 OpenAI recording of `reads`, each at its index in ms.
    fn recorded(reads: &[&[u8]]) -> Recording {
        let mut recording = Recording::new("openai", None);
        recording.status = Some(200);
        for (at, bytes) in reads.iter().enumerate() {
            recording.chunks.push(RecordedChunk {
                at_ms: at as f64,
                bytes: Bytes::copy_from_slice(bytes),
            });
        }
        recording
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
    fn rows_are_every_frame_decoded_in_order_and_the_terminator_ends_the_last() {
        let body = openai_body(3);
        let recording = recorded(&[&body.as_bytes()[..50], &body.as_bytes()[50..]]);
        let decoded = decode(&recording, None, 1_000);
        let frames = recording.frames();
        let rows: Vec<(f64, &str, &str)> = decoded
            .rows
            .iter()
            .map(|row| (row.at_ms, row.event.as_str(), row.data.as_str()))
            .collect();
        let expected: Vec<(f64, &str, &str)> = frames
            .iter()
            .map(|frame| (frame.at_ms, frame.event.as_str(), frame.data.as_str()))
            .collect();
        assert_eq!(rows, expected);
        assert_eq!(
            decoded.rows[1].decoded.last(),
            Some(&StreamEvent::TextDelta { text: "Hi".into() })
        );
        assert!(matches!(
            decoded.rows.last().unwrap().decoded.as_slice(),
            [StreamEvent::Finish { .. }]
        ));
        assert_eq!((decoded.more, decoded.summary.events), (0, 8));
        assert_eq!(decoded.summary.finish_reason.as_deref(), Some("stop"));
        assert_eq!(decoded.timeline.content.iter().sum::<u32>(), 3);
    }

    #[test]
    fn past_the_bound_no_row_is_built_and_the_rest_is_counted_and_still_summed_up() {
        let body = openai_body(1_000);
        let recording = recorded(&[body.as_bytes()]);
        let all = recording.frames().len() as u64;
        let decoded = decode(&recording, None, 100);
        assert_eq!(decoded.rows.len(), 100);
        assert_eq!((decoded.more, decoded.summary.events), (all - 100, all));
        assert_eq!(
            decoded.rows,
            decode(&recording, None, usize::MAX).rows[..100],
            "the same rows as unbounded"
        );
        assert_eq!(
            decoded.summary.finish_reason.as_deref(),
            Some("stop"),
            "the events past the bound are still read for the summary"
        );
        assert_eq!(
            decoded.timeline.comments.iter().sum::<u32>(),
            50,
            "the chart covers the rows kept"
        );
    }

    #[test]
    fn a_cut_stream_ends_on_its_last_row_only_when_nothing_is_past_the_bound() {
        let recording = recorded(&[format!("{DELTA}\n\n: a\n\n{DELTA}\n\ndata: {{\"cho").as_bytes()]);
        let decoded = decode(&recording, None, 10);
        let last = decoded.rows.last().unwrap();
        assert_eq!(last.data, "{\"cho");
        assert!(
            matches!(last.decoded.as_slice(), [StreamEvent::Error(error)] if error.kind == runnel_core::ErrorKind::Incomplete),
            "{last:?}"
        );
        let bounded = decode(&recording, None, 2);
        assert_eq!(bounded.more, 2);
        assert!(
            bounded
                .rows
                .iter()
                .all(|row| !row.decoded.iter().any(|event| matches!(event, StreamEvent::Error(_))))
        );
    }

    #[test]
    fn a_huge_chunk_is_framed_in_pieces_as_the_same_frames() {
        let chunk = RecordedChunk {
            at_ms: 4.0,
            bytes: Bytes::from(vec![b'x'; 2 * PIECE_BYTES + 3]),
        };
        let lengths: Vec<usize> = pieces(&chunk).map(|piece| piece.bytes.len()).collect();
        assert_eq!(lengths, [PIECE_BYTES, PIECE_BYTES, 3]);
        assert!(pieces(&chunk).all(|piece| piece.at_ms == 4.0));
        let body = format!("{}\n\n", ": x\n".repeat(PIECE_BYTES));
        let recording = recorded(&[body.as_bytes()]);
        let decoded = decode(&recording, None, usize::MAX);
        assert_eq!(decoded.rows.len(), PIECE_BYTES);
        assert!(decoded.rows.iter().all(|row| row.data == " x"));
    }

    #[test]
    fn an_event_is_closed_by_a_blank_line_in_any_line_end() {
        let mut recording = recorded(&[b"data: x\n", b"\n", b"da"]);
        assert_eq!(tail(&recording), b"\n\nda");
        assert!(!ends_an_event(&tail(&recording)));
        recording.chunks.pop();
        assert!(ends_an_event(&tail(&recording)));
        assert!(ends_an_event(b"a\r\n\r\n") && ends_an_event(b"\r\r") && !ends_an_event(b"x\r\n"));
    }
}
