//! A stream's response exactly as it arrived: status, content type, and each chunk of the body
//! the socket gave, with its arrival time.
//!
//! Asked for with [`StreamOptions::record`](crate::StreamOptions::record), the stream's driver
//! keeps every chunk it reads, with its arrival time, and hands the [`Recording`] to the consumer
//! just before the ending event, in
//! [`Completion::recording`](crate::Completion::recording). It is what an `.sse` export writes
//! ([`crate::sse_file`]), what `runnel replay` serves ([`crate::replay`]), and what an inspector
//! re-frames into rows ([`Recording::frames`]).
//!
//! A recording is bounded by [`Limits::recording_bytes`] and [`Limits::recording_chunks`]: past
//! either it keeps nothing more and is marked [`truncated`](Recording::truncated), and the stream
//! goes on as if it were not recorded.
//!
//! Why each chunk is copied rather than kept as the `Bytes` reqwest hands over: that `Bytes` is a
//! slice of hyper's read buffer, and holding it stops hyper from reusing the buffer, so each read
//! gets a fresh one (8 KiB or more) and every recorded chunk pins its own. A server trickling one
//! byte per read would make a 4.7 KB body hold 39 MB (measured), and the chunk limit 8 GiB. So the
//! recorder copies each read into blocks of its own (256 KiB, one allocation for many reads) and
//! hands out `Bytes` slices of them: a recording holds at most twice its bytes plus one block (a
//! block is left with room to spare only for a read larger than that room).

use std::ops::ControlFlow;

use bytes::{Bytes, BytesMut};

use crate::event::RawFrame;
use crate::limits::Limits;
use crate::sse::SseDecoder;

/// The size of the blocks a recorder copies reads into.
const BLOCK: usize = 256 << 10;

/// One read of a response body, as the socket gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedChunk {
    /// Milliseconds since the request was sent.
    pub at_ms: f64,
    /// The bytes, as received (a copy, in a block shared with the reads around it: see the
    /// module's doc).
    pub bytes: Bytes,
}

/// A response as it came off the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The id of the protocol that was spoken (`openai`, `anthropic`).
    pub protocol: String,
    /// The model the request asked for.
    pub model: Option<String>,
    /// The response's HTTP status; `None` when no response arrived (the connection failed).
    pub status: Option<u16>,
    /// The response's `Content-Type`, as sent (`None` when it sent none).
    pub content_type: Option<String>,
    /// Milliseconds from sending the request to the response head.
    pub head_ms: Option<f64>,
    /// The body, chunk by chunk, in order. For a response that is not an answer (an HTTP error,
    /// a page that is not an event stream), the start of the body that was read, as one chunk.
    pub chunks: Vec<RecordedChunk>,
    /// True when the body passed a recording limit: `chunks` holds exactly its first
    /// [`Limits::recording_bytes`] bytes (or [`Limits::recording_chunks`] chunks).
    pub truncated: bool,
}

impl Recording {
    /// An empty recording of a request in `protocol` for `model`.
    pub fn new(protocol: &str, model: Option<String>) -> Self {
        Self {
            protocol: protocol.to_owned(),
            model,
            status: None,
            content_type: None,
            head_ms: None,
            chunks: Vec::new(),
            truncated: false,
        }
    }

    /// Bytes of body recorded.
    pub fn body_len(&self) -> usize {
        self.chunks.iter().map(|chunk| chunk.bytes.len()).sum()
    }

    /// The recorded body in one piece (a copy).
    pub fn body(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.body_len());
        for chunk in &self.chunks {
            body.extend_from_slice(&chunk.bytes);
        }
        body
    }

    /// The body's SSE events, each stamped with the arrival time of the chunk that completed it,
    /// as [`StreamEvent::Raw`](crate::StreamEvent::Raw) shows them live; an event cut off at the
    /// end of the body comes last. Framing stops at an event past the default event limit.
    pub fn frames(&self) -> Vec<RawFrame> {
        let mut sse = SseDecoder::new();
        let mut frames = Vec::new();
        let mut at_ms = 0.0;
        for chunk in &self.chunks {
            at_ms = chunk.at_ms;
            let framed = sse.feed_each(&chunk.bytes, |frame| {
                frames.push(raw_frame(at_ms, frame.name(), frame.data.clone()));
                ControlFlow::Continue(())
            });
            if framed.is_err() {
                return frames;
            }
        }
        if let Some(open) = sse.finish() {
            frames.push(raw_frame(at_ms, open.name(), open.data.clone()));
        }
        frames
    }
}

fn raw_frame(at_ms: f64, event: &str, data: String) -> RawFrame {
    RawFrame {
        at_ms,
        event: event.to_owned(),
        data,
    }
}

/// Builds a [`Recording`] as a response arrives, within the limits.
#[derive(Debug)]
pub(crate) struct Recorder {
    recording: Recording,
    /// The room left in the current block.
    block: BytesMut,
    bytes: usize,
    max_bytes: usize,
    max_chunks: usize,
}

impl Recorder {
    /// A recorder for a request in `protocol` for `model`.
    pub(crate) fn new(protocol: &str, model: &str, limits: &Limits) -> Self {
        Self {
            recording: Recording::new(protocol, Some(model.to_owned())),
            block: BytesMut::new(),
            bytes: 0,
            max_bytes: limits.recording_bytes,
            max_chunks: limits.recording_chunks,
        }
    }

    /// The response head arrived.
    pub(crate) fn head(&mut self, at_ms: f64, status: u16, content_type: Option<String>) {
        self.recording.head_ms = Some(at_ms);
        self.recording.status = Some(status);
        self.recording.content_type = content_type;
    }

    /// A chunk of the body arrived; past a limit, only what fits is kept.
    pub(crate) fn chunk(&mut self, at_ms: f64, bytes: &[u8]) {
        if self.recording.truncated || bytes.is_empty() {
            return;
        }
        let room = self.max_bytes - self.bytes;
        if self.recording.chunks.len() == self.max_chunks || room == 0 {
            self.recording.truncated = true;
            return;
        }
        let kept = if bytes.len() > room {
            self.recording.truncated = true;
            &bytes[..room]
        } else {
            bytes
        };
        if self.block.capacity() < kept.len() {
            self.block = BytesMut::with_capacity(BLOCK.max(kept.len()));
        }
        self.block.extend_from_slice(kept);
        self.bytes += kept.len();
        self.recording.chunks.push(RecordedChunk {
            at_ms,
            bytes: self.block.split().freeze(),
        });
    }

    /// The recording so far.
    pub(crate) fn finish(self) -> Recording {
        self.recording
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(recording_bytes: usize, recording_chunks: usize) -> Limits {
        Limits {
            recording_bytes,
            recording_chunks,
            ..Limits::default()
        }
    }

    #[test]
    fn chunks_are_kept_as_they_came_each_holding_only_its_bytes() {
        let mut recorder = Recorder::new("openai", "m", &Limits::default());
        recorder.head(1.5, 200, Some("text/event-stream".into()));
        let read_buffer = Bytes::from(vec![b'x'; 8192]);
        recorder.chunk(2.0, &read_buffer[..3]);
        recorder.chunk(3.0, b"\n");
        let recording = recorder.finish();
        assert_eq!((recording.status, recording.head_ms), (Some(200), Some(1.5)));
        assert_eq!(recording.body(), b"xxx\n");
        let (first, second) = (&recording.chunks[0].bytes, &recording.chunks[1].bytes);
        assert_ne!(first.as_ptr(), read_buffer.as_ptr(), "never a slice of the read buffer");
        assert_eq!(second.as_ptr(), first.as_ptr().wrapping_add(3), "reads share a block");
        assert_eq!(recording.chunks[1].at_ms, 3.0);
        assert!(!recording.truncated);
    }

    #[test]
    fn past_the_byte_limit_exactly_the_first_bytes_are_kept_and_it_says_so() {
        let mut recorder = Recorder::new("openai", "m", &limits(5, 100));
        recorder.chunk(1.0, b"abc");
        recorder.chunk(2.0, b"defg");
        recorder.chunk(3.0, b"h");
        let recording = recorder.finish();
        assert_eq!(recording.body(), b"abcde");
        assert_eq!(recording.chunks.len(), 2);
        assert!(recording.truncated);
    }

    #[test]
    fn past_the_chunk_limit_nothing_more_is_kept() {
        let mut recorder = Recorder::new("openai", "m", &limits(100, 2));
        for at in 0..5 {
            recorder.chunk(f64::from(at), b"x");
        }
        let recording = recorder.finish();
        assert_eq!((recording.chunks.len(), recording.truncated), (2, true));
    }

    #[test]
    fn frames_carry_the_time_of_the_chunk_that_completed_them() {
        let mut recording = Recording::new("anthropic", None);
        for (at_ms, bytes) in [
            (1.0, &b"event: ping\ndata: {}\n"[..]),
            (2.0, b"\ndata: one\n\ndata: tw"),
            (3.0, b"o"),
        ] {
            recording.chunks.push(RecordedChunk {
                at_ms,
                bytes: Bytes::copy_from_slice(bytes),
            });
        }
        let frames = recording.frames();
        let seen: Vec<_> = frames
            .iter()
            .map(|frame| (frame.at_ms, frame.event.as_str(), frame.data.as_str()))
            .collect();
        assert_eq!(
            seen,
            [(2.0, "ping", "{}"), (2.0, "message", "one"), (3.0, "message", "two")]
        );
    }
}
