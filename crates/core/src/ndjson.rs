//! NDJSON framing (newline-delimited JSON, `application/x-ndjson`): bytes in any chunking → one
//! event a line, handed over as an [`SseFrame`] whose `data` is the line (no event name, id or
//! retry), so a protocol that streams JSON lines is decoded, described and inspected exactly as
//! one that streams SSE (`body.rs` frames a body by its protocol's
//! [`Framing`](crate::provider::Framing)).
//!
//! A line ends at `\n` (a `\r` before it is dropped: `\r\n` is tolerated); blank lines (nothing
//! but whitespace) are skipped; a leading BOM is dropped; invalid UTF-8 is replaced by U+FFFD. As
//! with SSE, the decoder keeps only the line in progress and scans each byte once, and it holds at
//! most a limit of bytes of one line ([`Limits::event_bytes`](crate::Limits::event_bytes)): the
//! bytes that would take it past the limit are refused with [`EventTooLarge`] before they are
//! buffered, whatever the chunking. At end of input, a line left without its `\n` is handed back
//! by [`NdjsonDecoder::finish`], as SSE's event left without its blank line, so a caller can tell
//! a cut-off stream from a complete one.

use std::ops::ControlFlow;

use memchr::memchr;

use crate::limits::Limits;
use crate::sse::{EventTooLarge, SseFrame, SseItem, growth, utf8};

const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// An incremental NDJSON decoder. Feed it chunks with [`feed_each`](Self::feed_each); call
/// [`finish`](Self::finish) at end of input.
#[derive(Debug)]
pub struct NdjsonDecoder {
    limit: usize,
    /// The line in progress (without its end).
    line: Vec<u8>,
    /// No line has been read yet: a BOM may open the body.
    first: bool,
}

impl Default for NdjsonDecoder {
    fn default() -> Self {
        Self::with_limit(Limits::default().event_bytes)
    }
}

impl NdjsonDecoder {
    /// A decoder at the start of a body, with the default limit ([`Limits::event_bytes`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that holds at most `limit` bytes of one line; a line that would take it past
    /// the limit, whole or in pieces, is refused.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            limit,
            line: Vec::new(),
            first: true,
        }
    }

    /// Bytes held for the line in progress; never more than the limit.
    #[inline]
    pub fn buffered_len(&self) -> usize {
        self.line.len()
    }

    /// Decodes one chunk, handing each line's event to `on_item` as soon as its `\n` came. When
    /// `on_item` breaks, the rest of the chunk is dropped and `Break` is returned; a line past the
    /// limit is an error. Either way the decoder must not be fed again.
    pub fn feed_each(
        &mut self,
        chunk: &[u8],
        mut on_item: impl FnMut(SseItem) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, EventTooLarge> {
        let mut rest = chunk;
        while let Some(end) = memchr(b'\n', rest) {
            if self.line.len().saturating_add(end) > self.limit {
                return Err(EventTooLarge { limit: self.limit });
            }
            let item = if self.line.is_empty() {
                self.line_item(&rest[..end])
            } else {
                self.line.extend_from_slice(&rest[..end]);
                let line = std::mem::take(&mut self.line);
                let item = self.line_item(&line);
                self.line = line;
                self.line.clear();
                item
            };
            let flow = match item {
                Err(too_large) => return Err(too_large),
                Ok(Some(item)) => on_item(item),
                Ok(None) => ControlFlow::Continue(()),
            };
            if flow.is_break() {
                return Ok(ControlFlow::Break(()));
            }
            rest = &rest[end + 1..];
        }
        if !rest.is_empty() {
            if self.line.len().saturating_add(rest.len()) > self.limit {
                return Err(EventTooLarge { limit: self.limit });
            }
            if let Some(extra) = growth(self.line.len(), self.line.capacity(), rest.len(), self.limit) {
                self.line.reserve_exact(extra);
            }
            self.line.extend_from_slice(rest);
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Ends the input. Returns the event of the line that had no `\n` (unless it was blank; with
    /// no data when its text would pass the limit); `None` when the body ended cleanly after a
    /// line.
    pub fn finish(&mut self) -> Option<SseFrame> {
        let line = std::mem::take(&mut self.line);
        match self.line_item(&line) {
            Ok(Some(SseItem::Event(frame))) => Some(frame),
            Ok(_) => None,
            Err(_) => Some(SseFrame::default()),
        }
    }

    /// The event of one line (its `\n` already cut), or none for a blank line; an error when its
    /// text passes the limit (invalid UTF-8 grows when replaced).
    #[inline]
    fn line_item(&mut self, mut line: &[u8]) -> Result<Option<SseItem>, EventTooLarge> {
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        if std::mem::take(&mut self.first) {
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let data = utf8(line);
        if data.len() > self.limit {
            return Err(EventTooLarge { limit: self.limit });
        }
        Ok(Some(SseItem::Event(SseFrame {
            data: data.into_owned(),
            ..SseFrame::default()
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of `body` fed in pieces of `size`, and the one the end cut off.
    fn lines(body: &[u8], size: usize) -> (Vec<String>, Option<String>) {
        let mut decoder = NdjsonDecoder::new();
        let mut out = Vec::new();
        for piece in body.chunks(size.max(1)) {
            let flow = decoder.feed_each(piece, |item| {
                let SseItem::Event(frame) = item else {
                    panic!("no comments")
                };
                assert_eq!(
                    (frame.name(), frame.id.as_deref(), frame.retry),
                    ("message", None, None)
                );
                out.push(frame.data);
                ControlFlow::Continue(())
            });
            assert_eq!(flow, Ok(ControlFlow::Continue(())));
        }
        (out, decoder.finish().map(|frame| frame.data))
    }

    #[test]
    fn every_chunking_frames_the_same_lines_crlf_and_blank_lines_included() {
        let body = "\u{FEFF}{\"a\":\"héllo 日本 🦀\"}\r\n\n  \r\n{\"b\":2}\n\n{\"c\":3}\n".as_bytes();
        for size in 1..=body.len() {
            let (seen, open) = lines(body, size);
            assert_eq!(
                seen,
                ["{\"a\":\"héllo 日本 🦀\"}", "{\"b\":2}", "{\"c\":3}"],
                "in pieces of {size}"
            );
            assert_eq!(open, None);
        }
    }

    #[test]
    fn a_line_without_its_end_is_handed_back_by_finish() {
        for size in [1, 3, 100] {
            let (seen, open) = lines(b"{\"a\":1}\n{\"done\":tr", size);
            assert_eq!(seen, ["{\"a\":1}"]);
            assert_eq!(open.as_deref(), Some("{\"done\":tr"));
            let (_, open) = lines(b"{\"a\":1}\n \r", size);
            assert_eq!(open, None, "a blank last line is no event");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let (seen, _) = lines(b"{\"a\":\"\xFF\"}\n", 1);
        assert_eq!(seen, ["{\"a\":\"\u{FFFD}\"}"]);
    }

    #[test]
    fn a_line_past_the_limit_is_refused_whatever_the_chunking() {
        let body = b"{\"a\":1}\n0123456789\n";
        for size in 1..=body.len() {
            let mut decoder = NdjsonDecoder::with_limit(9);
            let mut seen = 0;
            let result = body.chunks(size).try_for_each(|piece| {
                decoder
                    .feed_each(piece, |_| {
                        seen += 1;
                        ControlFlow::Continue(())
                    })
                    .map(drop)
            });
            assert_eq!(
                (result, seen),
                (Err(EventTooLarge { limit: 9 }), 1),
                "in pieces of {size}"
            );
            assert!(decoder.buffered_len() <= 9);
        }
        let mut grown = NdjsonDecoder::with_limit(4);
        assert_eq!(
            grown.feed_each(b"\xFF\xFF\n", |_| ControlFlow::Continue(())),
            Err(EventTooLarge { limit: 4 }),
            "two bytes of invalid UTF-8 are six of text"
        );
        let mut exact = NdjsonDecoder::with_limit(10);
        assert_eq!(
            exact.feed_each(b"0123456789\n", |_| ControlFlow::Continue(())),
            Ok(ControlFlow::Continue(()))
        );
    }

    #[test]
    fn a_caller_that_breaks_reads_no_further() {
        let mut decoder = NdjsonDecoder::new();
        let mut seen = 0;
        let flow = decoder.feed_each(b"{}\n{}\n{}\n", |_| {
            seen += 1;
            ControlFlow::Break(())
        });
        assert_eq!((flow, seen), (Ok(ControlFlow::Break(())), 1));
    }
}
