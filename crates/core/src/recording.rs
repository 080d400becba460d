//! A stream's response exactly as it arrived: status, content type, and each chunk of the body
//! the socket gave, with its arrival time.
//!
//! Asked for with [`StreamOptions::record`](crate::StreamOptions::record), the stream's driver
//! keeps every chunk it reads, with its arrival time, and hands the [`Recording`] to the consumer
//! just before the ending event, in
//! [`Completion::recording`](crate::Completion::recording). It is what an `.sse` export writes
//! ([`crate::sse_file`]), what `runnel replay` serves ([`crate::replay`]), and what an inspector
//! reads into rows ([`crate::inspect`]).
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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

use crate::limits::Limits;
use crate::redact::Redactor;

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
    /// Runs of the request's API key found in the body and masked ([`Recording::mask_key`]):
    /// a recording is kept and shared (the history, `.sse` files), a key must not be.
    pub key_runs_masked: usize,
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
            key_runs_masked: 0,
        }
    }

    /// Masks every run of 8 or more characters of the key `redactor` holds in the body (also a run
    /// across chunks), each byte becoming `*`, so chunk sizes, offsets and times stay as they
    /// were; adds the runs masked to [`key_runs_masked`](Self::key_runs_masked).
    pub fn mask_key(&mut self, redactor: &Redactor) {
        if redactor.is_empty() {
            return;
        }
        let mut body = self.body();
        let masked = redactor.mask_bytes(&mut body);
        if masked == 0 {
            return;
        }
        self.key_runs_masked += masked;
        let mut body = Bytes::from(body);
        for chunk in &mut self.chunks {
            chunk.bytes = body.split_to(chunk.bytes.len());
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
}

/// How long (ms of the stream's clock) an unwatched recorder keeps reads before handing them to
/// its [`RecordingTap`].
pub const PUBLISH_EVERY_MS: f64 = 50.0;

/// A running stream's recording as it grows, for an inspector opened while it streams: every
/// chunk from the first, then each as it arrives ([`RecordingTap::since`]), and a wake-up when one
/// does ([`RecordingTap::changed`]) once someone [`watch`](RecordingTap::watch)es.
///
/// The recorder hands its chunks over in batches (moved, not copied): each one at once while
/// watched, otherwise those of the last [`PUBLISH_EVERY_MS`] at the next read after that, so an
/// unwatched stream takes the lock a few times a second rather than at every read. An inspector
/// opened during a silence may so see the reads of the last moment before it only with the next
/// read (or the end).
#[derive(Debug, Clone, Default)]
pub struct RecordingTap(Arc<TapShared>);

#[derive(Debug, Default)]
struct TapShared {
    watched: AtomicBool,
    chunks: Mutex<TapChunks>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct TapChunks {
    chunks: Vec<RecordedChunk>,
    ended: bool,
}

impl RecordingTap {
    /// Wakes [`changed`](Self::changed) at every chunk from now on (and at the end).
    pub fn watch(&self) {
        self.0.watched.store(true, Ordering::Relaxed);
        self.0.changed.notify_one();
    }

    /// The chunks from index `from` on (copies of their handles), and whether the recording is
    /// complete (nothing will follow them).
    pub fn since(&self, from: usize) -> (Vec<RecordedChunk>, bool) {
        let tap = self.lock();
        (tap.chunks.get(from..).unwrap_or_default().to_vec(), tap.ended)
    }

    /// Waits until a chunk arrives or the recording ends (at once when one did since the last
    /// wait), once [`watch`](Self::watch) was called.
    pub async fn changed(&self) {
        self.0.changed.notified().await;
    }

    fn lock(&self) -> MutexGuard<'_, TapChunks> {
        // A panic while holding it leaves the chunks intact: a poisoned lock is still usable.
        self.0.chunks.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn is_watched(&self) -> bool {
        self.0.watched.load(Ordering::Relaxed)
    }

    /// Moves `pending` (the next chunks, in order) into the tap.
    fn append(&self, pending: &mut Vec<RecordedChunk>) {
        self.lock().chunks.append(pending);
        if self.is_watched() {
            self.0.changed.notify_one();
        }
    }

    /// Ends the recording with its last `pending` chunks; returns all of them, moved out unless
    /// someone is watching.
    fn end(&self, pending: &mut Vec<RecordedChunk>) -> Vec<RecordedChunk> {
        let mut tap = self.lock();
        tap.chunks.append(pending);
        tap.ended = true;
        let chunks = if self.is_watched() {
            tap.chunks.clone()
        } else {
            std::mem::take(&mut tap.chunks)
        };
        drop(tap);
        self.0.changed.notify_one();
        chunks
    }
}

/// Builds a [`Recording`] as a response arrives, within the limits.
#[derive(Debug)]
pub(crate) struct Recorder {
    /// Everything but the chunks, which are in `tap` and `pending`.
    recording: Recording,
    tap: RecordingTap,
    /// Chunks not yet handed to the tap.
    pending: Vec<RecordedChunk>,
    /// When (stream ms) chunks were last handed to the tap.
    published_ms: f64,
    chunks: usize,
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
            tap: RecordingTap::default(),
            pending: Vec::new(),
            published_ms: f64::NEG_INFINITY,
            chunks: 0,
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
        if self.chunks == self.max_chunks || room == 0 {
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
        self.chunks += 1;
        self.pending.push(RecordedChunk {
            at_ms,
            bytes: self.block.split().freeze(),
        });
        if self.tap.is_watched() || at_ms - self.published_ms >= PUBLISH_EVERY_MS {
            self.tap.append(&mut self.pending);
            self.published_ms = at_ms;
        }
    }

    /// A handle on the recording as it grows.
    pub(crate) fn tap(&self) -> RecordingTap {
        self.tap.clone()
    }

    /// The recording so far.
    pub(crate) fn finish(mut self) -> Recording {
        self.recording.chunks = self.tap.end(&mut self.pending);
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
    fn a_key_is_masked_across_chunks_keeping_every_chunk_size_and_time() {
        let key = "sk-proj-0123456789abcdef";
        let mut recorder = Recorder::new("openai", "m", &Limits::default());
        recorder.head(1.0, 401, Some("application/json".into()));
        recorder.chunk(2.0, b"{\"error\":\"Incorrect API key provided: sk-proj-01234");
        recorder.chunk(3.0, b"56789abcdef. Also sk-pr here\"}");
        let mut recording = recorder.finish();
        let sizes: Vec<(f64, usize)> = recording.chunks.iter().map(|c| (c.at_ms, c.bytes.len())).collect();
        recording.mask_key(&Redactor::new(key));
        assert_eq!(recording.key_runs_masked, 1);
        let after: Vec<(f64, usize)> = recording.chunks.iter().map(|c| (c.at_ms, c.bytes.len())).collect();
        assert_eq!(after, sizes);
        let body = String::from_utf8(recording.body()).unwrap();
        assert_eq!(
            body,
            format!(
                "{{\"error\":\"Incorrect API key provided: {}. Also sk-pr here\"}}",
                "*".repeat(key.len())
            )
        );
        recording.mask_key(&Redactor::new(key));
        assert_eq!(recording.key_runs_masked, 1, "nothing more to mask");
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

    #[tokio::test]
    async fn a_tap_sees_every_chunk_from_the_first_and_wakes_on_each() {
        let mut recorder = Recorder::new("openai", "m", &Limits::default());
        recorder.chunk(1.0, b"data: a\n\n");
        recorder.chunk(2.0, b"data: b\n\n");
        let tap = recorder.tap();
        assert_eq!(tap.since(0).0.len(), 1, "unwatched, reads are handed over every 50 ms");
        tap.watch();
        tap.changed().await;
        recorder.chunk(3.0, b"data: c\n\n");
        tap.changed().await;
        let (chunks, ended) = tap.since(1);
        let times: Vec<f64> = chunks.iter().map(|chunk| chunk.at_ms).collect();
        assert_eq!(
            (times, ended),
            (vec![2.0, 3.0], false),
            "watched, at once, with those held"
        );
        recorder.chunk(60.0, b"data: d\n\n");
        let recording = recorder.finish();
        tap.changed().await;
        assert!(tap.since(3).1, "ended");
        assert_eq!(tap.since(0).0.len(), 4);
        assert_eq!(
            recording.body(),
            b"data: a\n\ndata: b\n\ndata: c\n\ndata: d\n\n",
            "the recording keeps them"
        );
    }

    #[test]
    fn an_unwatched_recording_hands_its_reads_over_in_batches_and_all_at_the_end() {
        let mut recorder = Recorder::new("openai", "m", &Limits::default());
        let tap = recorder.tap();
        for at in 0..120 {
            recorder.chunk(f64::from(at), b"x");
        }
        assert_eq!(tap.since(0).0.len(), 101, "handed over at 0, 50 and 100 ms");
        let recording = recorder.finish();
        assert_eq!(recording.chunks.len(), 120);
        assert_eq!(tap.since(0), (Vec::new(), true), "moved out: nobody watched");
    }
}
