//! Scripted replies: what the fake server sends, and how it cuts, paces,
//! frames and ends the body.

use std::borrow::Cow;
use std::time::Duration;

use crate::rendezvous::Rendezvous;

/// One scripted HTTP response. Build it with [`Reply::sse`] or [`Reply::json`]
/// and adjust it with the builder methods, or set the fields directly.
///
/// The server always adds `Connection: close` and the framing header
/// (`Transfer-Encoding: chunked` or `Content-Length`) itself; `headers` holds
/// only the extra ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Extra response headers, sent in this order.
    pub headers: Vec<(String, String)>,
    /// The full body. What is actually sent may be cut short by [`End::DropAfter`].
    pub body: Vec<u8>,
    /// How the body is cut into separate writes.
    pub chunking: Chunking,
    /// Pause between two body chunks.
    pub delay: Duration,
    /// Pause before the status line is written.
    pub first_byte_delay: Duration,
    /// How the body length is conveyed.
    pub framing: Framing,
    /// What happens after the body.
    pub end: End,
    /// Where the reply waits for other requests before it sends anything.
    pub rendezvous: Option<Rendezvous>,
}

/// How the body is cut into chunks; each chunk is written (and flushed) on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// The whole body in one write.
    Whole,
    /// One byte per write.
    EveryByte,
    /// Writes of this many bytes (the last one may be shorter); 0 counts as 1.
    Fixed(usize),
    /// Writes of these sizes, cycling through the list; 0 counts as 1, an empty list means [`Chunking::Whole`].
    Sizes(Vec<usize>),
    /// Deterministic pseudo-random sizes in `1..=max` (splitmix64 seeded with `seed`); `max` 0 counts as 1.
    Random {
        /// PRNG seed: the same seed always gives the same cuts.
        seed: u64,
        /// Largest chunk size.
        max: usize,
    },
}

/// How the end of the body is conveyed to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`; each body chunk is one HTTP chunk.
    Chunked,
    /// `Content-Length` of the full body (even when [`End::DropAfter`] cuts it short).
    ContentLength,
    /// No length at all: the body ends when the server closes the connection.
    CloseDelimited,
}

/// What the server does once the body (or the part of it it sends) is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Terminate the body properly (the `0\r\n\r\n` chunk when chunked), then close.
    Finish,
    /// Send no terminating chunk and keep the connection open and silent until the client closes it.
    Hang,
    /// Send only the first N body bytes, then close (a plain FIN, not a reset)
    /// with no terminating chunk, so the body is cut short whatever the framing.
    DropAfter(usize),
    /// After the body, send these bytes again and again (one write each, paced by
    /// the reply's delay) until the client closes: a body that never ends, held in
    /// memory once. Use it with [`Framing::Chunked`] or [`Framing::CloseDelimited`].
    Endless(Vec<u8>),
}

impl Reply {
    /// A 200 `text/event-stream` reply: one chunk, chunked framing, finished properly.
    pub fn sse(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            body: body.into(),
            chunking: Chunking::Whole,
            delay: Duration::ZERO,
            first_byte_delay: Duration::ZERO,
            framing: Framing::Chunked,
            end: End::Finish,
            rendezvous: None,
        }
    }

    /// A 200 `application/x-ndjson` reply (one JSON object a line, as Ollama streams): one
    /// chunk, chunked framing, finished properly; chunking, delays and ends apply as to
    /// [`Reply::sse`].
    pub fn ndjson(body: impl Into<Vec<u8>>) -> Reply {
        Reply::sse(body).header("content-type", "application/x-ndjson")
    }

    /// An `application/json` reply with this status, `Content-Length` framing, in one chunk.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            framing: Framing::ContentLength,
            ..Reply::sse(body)
        }
    }

    /// Sets the status code.
    pub fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    /// Sets a header, replacing any header of the same name (case-insensitive).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Sets how the body is cut into writes.
    pub fn chunking(mut self, chunking: Chunking) -> Reply {
        self.chunking = chunking;
        self
    }

    /// Sets the pause between body chunks.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Sets the pause before the status line.
    pub fn first_byte_delay(mut self, delay: Duration) -> Reply {
        self.first_byte_delay = delay;
        self
    }

    /// Sets the body framing.
    pub fn framing(mut self, framing: Framing) -> Reply {
        self.framing = framing;
        self
    }

    /// Sets what happens after the body.
    pub fn end(mut self, end: End) -> Reply {
        self.end = end;
        self
    }

    /// Sends nothing until every request due at `rendezvous` has arrived (see [`Rendezvous`]).
    pub fn meet(mut self, rendezvous: &Rendezvous) -> Reply {
        self.rendezvous = Some(rendezvous.clone());
        self
    }

    /// Status line and headers, up to and including the blank line.
    pub(crate) fn head(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        match self.framing {
            Framing::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
            Framing::ContentLength => head.push_str(&format!("content-length: {}\r\n", self.body.len())),
            Framing::CloseDelimited => {}
        }
        head.push_str("connection: close\r\n");
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// The body pieces to write, in order: cut by `chunking`, truncated by [`End::DropAfter`].
    pub(crate) fn chunks(&self) -> Vec<&[u8]> {
        let limit = match self.end {
            End::DropAfter(n) => n.min(self.body.len()),
            End::Finish | End::Hang | End::Endless(_) => self.body.len(),
        };
        let mut sizes = ChunkSizes::new(&self.chunking);
        let mut chunks = Vec::new();
        let mut start = 0;
        while start < limit {
            let end = start.saturating_add(sizes.next_size()).min(limit);
            chunks.push(&self.body[start..end]);
            start = end;
        }
        chunks
    }

    /// The bytes that put one body chunk on the wire under this reply's framing: what goes
    /// before the chunk, the chunk, and what goes after it. Kept apart, so that a large chunk is
    /// written as it is rather than copied.
    pub(crate) fn frame_chunk<'a>(&self, chunk: &'a [u8]) -> [Cow<'a, [u8]>; 3] {
        match self.framing {
            Framing::Chunked => [
                Cow::Owned(format!("{:x}\r\n", chunk.len()).into_bytes()),
                Cow::Borrowed(chunk),
                Cow::Borrowed(b"\r\n"),
            ],
            Framing::ContentLength | Framing::CloseDelimited => {
                [Cow::Borrowed(b""), Cow::Borrowed(chunk), Cow::Borrowed(b"")]
            }
        }
    }

    /// [`frame_chunk`](Self::frame_chunk) in one piece.
    pub(crate) fn encode_chunk<'a>(&self, chunk: &'a [u8]) -> Cow<'a, [u8]> {
        match self.frame_chunk(chunk) {
            [head, body, _] if head.is_empty() => body,
            parts => Cow::Owned(parts.concat()),
        }
    }

    /// The bytes that properly terminate the body, if this reply sends any.
    pub(crate) fn terminator(&self) -> &'static [u8] {
        match (&self.framing, &self.end) {
            (Framing::Chunked, End::Finish) => b"0\r\n\r\n",
            _ => b"",
        }
    }
}

/// The endless sequence of chunk sizes a [`Chunking`] stands for (each >= 1).
struct ChunkSizes<'a> {
    chunking: &'a Chunking,
    position: usize,
    rng: u64,
}

impl<'a> ChunkSizes<'a> {
    fn new(chunking: &'a Chunking) -> Self {
        let rng = match chunking {
            Chunking::Random { seed, .. } => *seed,
            _ => 0,
        };
        ChunkSizes {
            chunking,
            position: 0,
            rng,
        }
    }

    fn next_size(&mut self) -> usize {
        let size = match self.chunking {
            Chunking::Whole => usize::MAX,
            Chunking::EveryByte => 1,
            Chunking::Fixed(n) => *n,
            Chunking::Sizes(sizes) if sizes.is_empty() => usize::MAX,
            Chunking::Sizes(sizes) => sizes[self.position % sizes.len()],
            Chunking::Random { max, .. } => {
                let max = (*max).max(1) as u64;
                (1 + splitmix64(&mut self.rng) % max) as usize
            }
        };
        self.position += 1;
        size.max(1)
    }
}

/// One step of the splitmix64 generator.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The reason phrase for a status code (clients ignore it; it just reads well in captures).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(reply: &Reply) -> Vec<usize> {
        reply.chunks().iter().map(|c| c.len()).collect()
    }

    #[test]
    fn chunking_cuts_the_body_as_described() {
        let body = vec![b'a'; 10];
        let reply = Reply::sse(body.clone());
        assert_eq!(sizes(&reply), [10]);
        assert_eq!(sizes(&reply.clone().chunking(Chunking::EveryByte)), [1; 10]);
        assert_eq!(sizes(&reply.clone().chunking(Chunking::Fixed(4))), [4, 4, 2]);
        assert_eq!(sizes(&reply.clone().chunking(Chunking::Fixed(0))), [1; 10]);
        assert_eq!(
            sizes(&reply.clone().chunking(Chunking::Sizes(vec![1, 3]))),
            [1, 3, 1, 3, 1, 1]
        );
        assert_eq!(sizes(&reply.clone().chunking(Chunking::Sizes(vec![]))), [10]);
        let dropped = reply.clone().chunking(Chunking::Fixed(4)).end(End::DropAfter(6));
        assert_eq!(sizes(&dropped), [4, 2]);
        assert!(Reply::sse("").chunks().is_empty());
    }

    #[test]
    fn random_chunking_is_deterministic_and_bounded() {
        let reply = Reply::sse(vec![b'x'; 1000]).chunking(Chunking::Random { seed: 7, max: 9 });
        let first = sizes(&reply);
        assert_eq!(first, sizes(&reply));
        assert_eq!(first.iter().sum::<usize>(), 1000);
        assert!(first.iter().all(|&s| (1..=9).contains(&s)));
        assert!(first.iter().any(|&s| s != first[0]), "sizes should vary: {first:?}");
        let other = sizes(&reply.chunking(Chunking::Random { seed: 8, max: 9 }));
        assert_ne!(first, other);
    }

    #[test]
    fn head_carries_framing_and_connection_close() {
        let head = String::from_utf8(Reply::json(429, "{}").header("Retry-After", "3").head()).unwrap();
        assert_eq!(
            head,
            "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\nconnection: close\r\n\
             content-type: application/json\r\nRetry-After: 3\r\n\r\n"
        );
        let sse = String::from_utf8(Reply::sse("x").head()).unwrap();
        assert!(sse.contains("transfer-encoding: chunked\r\n"));
        let raw = String::from_utf8(Reply::sse("x").framing(Framing::CloseDelimited).head()).unwrap();
        assert!(!raw.contains("content-length") && !raw.contains("transfer-encoding"));
    }

    #[test]
    fn header_replaces_same_name() {
        let reply = Reply::json(200, "{}").header("Content-Type", "text/plain");
        assert_eq!(reply.headers, [("Content-Type".to_string(), "text/plain".to_string())]);
    }
}
