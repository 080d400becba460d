//! SSE framing: bytes in any chunking → complete events, per the WHATWG `text/event-stream`
//! rules.
//!
//! The decoder keeps only the line in progress and scans each byte once: a chunk is searched
//! for line ends from where the last search stopped, so a long line arriving in many chunks costs
//! O(total bytes), and a large chunk holding many events costs O(chunk). It handles LF, CRLF and
//! CR line ends (also a CR at the end of one chunk and its LF at the start of the next), a leading
//! BOM (also split across chunks), comments, `id:`/`retry:`, multi-line `data:`, and invalid UTF-8
//! (replaced by U+FFFD, never a stall). Comment lines are dropped, or handed over in their place
//! among the events when kept ([`SseDecoder::keeping_comments`], for an inspector). At end of
//! input, an event left without its blank line is handed back separately by
//! [`SseDecoder::finish`], so a caller can tell a cut-off stream from a complete one.
//!
//! A server decides how long a line or an event is, so the decoder holds at most a limit of bytes
//! (16 MiB unless set with [`SseDecoder::with_limit`]): the bytes that would take it past the limit
//! are refused with [`EventTooLarge`] before they are buffered.
//!
//! Why not `eventsource-stream`: version 0.2.3 panics on a leading BOM, re-parses a line in
//! progress on every chunk (quadratic), and its cost per event grows with the size of the chunk
//! it is handed. See docs/PERFORMANCE.md for the measurements.

use std::borrow::Cow;
use std::ops::ControlFlow;

use memchr::memchr2;

use crate::limits::Limits;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseFrame {
    /// The `event:` field; empty when the event had none (its type is then `message`).
    pub event: String,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
    /// The last event id seen on the stream (`id:`), if any.
    pub id: Option<String>,
    /// The reconnection time the server asked for (`retry:`), in milliseconds, if any.
    pub retry: Option<u64>,
}

impl SseFrame {
    /// The event's type: its `event:` field, or `message` when it had none.
    pub fn name(&self) -> &str {
        if self.event.is_empty() { "message" } else { &self.event }
    }
}

/// What framing hands over, in the order the body held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A dispatched event.
    Event(SseFrame),
    /// A comment line's text after its `:` (a leading space kept), from a decoder
    /// [`keeping_comments`](SseDecoder::keeping_comments).
    Comment(String),
}

/// One event needed more than the decoder's limit of buffered bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("one SSE event passed the limit of {limit} bytes")]
pub struct EventTooLarge {
    /// The limit, in bytes.
    pub limit: usize,
}

/// Why decoding a chunk stopped early.
enum Stop {
    /// The caller's `on_item` broke.
    Caller,
    /// The event in progress would pass the limit.
    TooLarge,
}

/// An incremental SSE decoder. Feed it chunks with [`feed`](Self::feed); call
/// [`finish`](Self::finish) at end of input.
#[derive(Debug)]
pub struct SseDecoder {
    limit: usize,
    line: Vec<u8>,
    bom_checked: bool,
    bom_matched: usize,
    skip_lf: bool,
    event: String,
    data: String,
    data_lines: usize,
    fields_pending: bool,
    last_id: Option<String>,
    retry: Option<u64>,
    /// Comment lines are handed over ([`SseItem::Comment`]) rather than dropped.
    keep_comments: bool,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::with_limit(Limits::default().event_bytes)
    }
}

impl SseDecoder {
    /// A decoder at the start of a stream, with the default limit ([`Limits::event_bytes`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that holds at most `limit` bytes of one event: its line in progress, its
    /// `data:` and `event:` fields and the last `id:`. A line that would take it past the limit,
    /// whole or in pieces, is refused.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            limit,
            line: Vec::new(),
            bom_checked: false,
            bom_matched: 0,
            skip_lf: false,
            event: String::new(),
            data: String::new(),
            data_lines: 0,
            fields_pending: false,
            last_id: None,
            retry: None,
            keep_comments: false,
        }
    }

    /// This decoder, handing comment lines (`: ping`) over in their place among the events
    /// ([`SseItem::Comment`]) instead of dropping them: an inspector shows them. The live stream
    /// never keeps them, so its decoding costs nothing more.
    pub fn keeping_comments(mut self) -> Self {
        self.keep_comments = true;
        self
    }

    /// Decodes one chunk, appending every event it completes to `out` (comments are not
    /// collected). On an error, the events completed before it are in `out` and the decoder must
    /// not be fed again.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<SseFrame>) -> Result<(), EventTooLarge> {
        self.feed_each(chunk, |item| {
            if let SseItem::Event(frame) = item {
                out.push(frame);
            }
            ControlFlow::Continue(())
        })
        .map(|_| ())
    }

    /// Decodes one chunk, handing each event (and each comment line, when kept) to `on_item` as
    /// soon as it is complete, so a large chunk never piles up its events. When `on_item` breaks,
    /// the rest of the chunk is dropped and `Break` is returned: the stream is over and the
    /// decoder must not be fed again. An event that would pass the limit is an error, and the
    /// decoder must not be fed again either.
    pub fn feed_each(
        &mut self,
        chunk: &[u8],
        mut on_item: impl FnMut(SseItem) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, EventTooLarge> {
        match self.decode_chunk(chunk, &mut on_item) {
            ControlFlow::Continue(()) => Ok(ControlFlow::Continue(())),
            ControlFlow::Break(Stop::Caller) => Ok(ControlFlow::Break(())),
            ControlFlow::Break(Stop::TooLarge) => Err(EventTooLarge { limit: self.limit }),
        }
    }

    /// Bytes held for the event in progress (its line, fields and the last id); never more than
    /// the limit.
    #[inline]
    pub fn buffered_len(&self) -> usize {
        self.line.len() + self.data.len() + self.event.len() + self.last_id.as_ref().map_or(0, String::len)
    }

    /// Continues when `more` bytes can be held on top of what is buffered.
    #[inline]
    fn room_for(&self, more: usize) -> ControlFlow<Stop> {
        if self.buffered_len().saturating_add(more) > self.limit {
            ControlFlow::Break(Stop::TooLarge)
        } else {
            ControlFlow::Continue(())
        }
    }

    fn decode_chunk(
        &mut self,
        chunk: &[u8],
        on_item: &mut impl FnMut(SseItem) -> ControlFlow<()>,
    ) -> ControlFlow<Stop> {
        let mut rest = if self.bom_checked {
            chunk
        } else {
            self.strip_bom(chunk)?
        };
        if self.skip_lf && !rest.is_empty() {
            self.skip_lf = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(end) = memchr2(b'\n', b'\r', rest) {
            // Every line, with what its event holds so far, must fit in the limit, whether it came
            // whole or in pieces: the outcome never depends on the chunking.
            self.room_for(end)?;
            let flow = if self.line.is_empty() {
                self.process_line(&rest[..end], on_item)
            } else {
                if let Some(extra) = growth(self.line.len(), self.line.capacity(), end, self.limit) {
                    self.line.reserve_exact(extra);
                }
                self.line.extend_from_slice(&rest[..end]);
                let line = std::mem::take(&mut self.line);
                let flow = self.process_line(&line, on_item);
                self.line = line;
                self.line.clear();
                flow
            };
            flow?;
            let was_cr = rest[end] == b'\r';
            rest = &rest[end + 1..];
            if was_cr {
                match rest.first() {
                    None => self.skip_lf = true,
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                }
            }
        }
        if !rest.is_empty() {
            self.room_for(rest.len())?;
            if let Some(extra) = growth(self.line.len(), self.line.capacity(), rest.len(), self.limit) {
                self.line.reserve_exact(extra);
            }
            self.line.extend_from_slice(rest);
        }
        ControlFlow::Continue(())
    }

    /// Ends the input. Returns the event that was still open (fields seen, no blank line yet),
    /// including a final line that had no line end; `None` when the stream ended cleanly
    /// between events.
    pub fn finish(&mut self) -> Option<SseFrame> {
        self.finish_each(|_| ControlFlow::Continue(()))
    }

    /// [`finish`](Self::finish), handing a final comment line that had no line end to `on_item`
    /// first (when comments are kept).
    pub fn finish_each(&mut self, mut on_item: impl FnMut(SseItem) -> ControlFlow<()>) -> Option<SseFrame> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            // A line without its end cannot be blank, so it dispatches nothing.
            let _ = self.process_line(&line, &mut on_item);
        }
        let open = self.fields_pending.then(|| self.take_frame());
        self.event.clear();
        self.data.clear();
        self.data_lines = 0;
        self.fields_pending = false;
        open
    }

    fn strip_bom<'a>(&mut self, mut chunk: &'a [u8]) -> ControlFlow<Stop, &'a [u8]> {
        while !self.bom_checked && !chunk.is_empty() {
            if chunk[0] == BOM[self.bom_matched] {
                self.bom_matched += 1;
                chunk = &chunk[1..];
                self.bom_checked = self.bom_matched == BOM.len();
            } else {
                // Not a BOM after all: the bytes taken so far were content (they hold no line end).
                self.bom_checked = true;
                self.room_for(self.bom_matched)?;
                self.line.extend_from_slice(&BOM[..self.bom_matched]);
            }
        }
        ControlFlow::Continue(chunk)
    }

    fn process_line(&mut self, line: &[u8], on_item: &mut impl FnMut(SseItem) -> ControlFlow<()>) -> ControlFlow<Stop> {
        if line.is_empty() {
            return self.dispatch(on_item);
        }
        if line[0] == b':' {
            if self.keep_comments {
                return hand_over(on_item(SseItem::Comment(utf8(&line[1..]).into_owned())));
            }
            return ControlFlow::Continue(()); // a comment
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        self.fields_pending = true;
        match field {
            // Invalid UTF-8 grows when replaced, so each field is measured as it will be held.
            b"data" => {
                let value = utf8(value);
                self.room_for(value.len() + 1)?;
                if let Some(extra) = growth(self.data.len(), self.data.capacity(), value.len() + 1, self.limit) {
                    self.data.reserve_exact(extra);
                }
                if self.data_lines > 0 {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.data_lines += 1;
            }
            b"event" => {
                self.event.clear();
                let value = utf8(value);
                self.room_for(value.len())?;
                self.event.push_str(&value);
            }
            b"id" if !value.contains(&0) => {
                self.last_id = None;
                let value = utf8(value);
                self.room_for(value.len())?;
                self.last_id = Some(value.into_owned());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry = std::str::from_utf8(value).ok().and_then(|digits| digits.parse().ok());
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn dispatch(&mut self, on_item: &mut impl FnMut(SseItem) -> ControlFlow<()>) -> ControlFlow<Stop> {
        self.fields_pending = false;
        if self.data_lines == 0 {
            self.event.clear();
            return ControlFlow::Continue(());
        }
        let frame = self.take_frame();
        hand_over(on_item(SseItem::Event(frame)))
    }

    fn take_frame(&mut self) -> SseFrame {
        self.data_lines = 0;
        SseFrame {
            event: std::mem::take(&mut self.event),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
            retry: self.retry,
        }
    }
}

/// The caller's answer to an item it was handed, as the decoder's own flow.
#[inline]
fn hand_over(flow: ControlFlow<()>) -> ControlFlow<Stop> {
    match flow {
        ControlFlow::Continue(()) => ControlFlow::Continue(()),
        ControlFlow::Break(()) => ControlFlow::Break(Stop::Caller),
    }
}

/// When a buffer of `len` bytes in `capacity` must take `more`: how much to reserve so that it
/// doubles as usual but never grows its allocation past `limit` for bytes the limit admitted.
#[inline]
pub(crate) fn growth(len: usize, capacity: usize, more: usize, limit: usize) -> Option<usize> {
    let needed = len + more;
    (needed > capacity).then(|| (capacity * 2).clamp(needed, limit.max(needed)) - len)
}

/// `bytes` as text, invalid UTF-8 replaced by U+FFFD.
pub(crate) fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_chunks(chunks: &[&[u8]]) -> (Vec<SseFrame>, Option<SseFrame>) {
        let mut decoder = SseDecoder::new();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out).unwrap();
        }
        let open = decoder.finish();
        (out, open)
    }

    fn datas(frames: &[SseFrame]) -> Vec<&str> {
        frames.iter().map(|frame| frame.data.as_str()).collect()
    }

    #[test]
    fn every_line_ending_style_frames_the_same_events() {
        for body in [
            &b"data: a\n\ndata: b\n\n"[..],
            b"data: a\r\n\r\ndata: b\r\n\r\n",
            b"data: a\r\rdata: b\r\r",
        ] {
            let (frames, open) = decode_chunks(&[body]);
            assert_eq!(datas(&frames), ["a", "b"], "{body:?}");
            assert!(open.is_none());
        }
    }

    #[test]
    fn a_cr_at_a_chunk_end_and_its_lf_in_the_next_chunk_are_one_line_end() {
        let (frames, _) = decode_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
        assert_eq!(datas(&frames), ["a\nb"]);
    }

    #[test]
    fn multi_byte_utf8_split_across_chunks_is_kept_whole() {
        let body = "data: héllo 日本 🦀\n\n".as_bytes();
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        let (frames, _) = decode_chunks(&chunks);
        assert_eq!(datas(&frames), ["héllo 日本 🦀"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_stalled() {
        let (frames, _) = decode_chunks(&[b"data: a\xFFb\n\ndata: next\n\n"]);
        assert_eq!(datas(&frames), ["a\u{FFFD}b", "next"]);
    }

    #[test]
    fn a_leading_bom_is_skipped_even_when_split() {
        let (frames, _) = decode_chunks(&[&[0xEF], &[0xBB], b"\xBFdata: x\n\n"]);
        assert_eq!(datas(&frames), ["x"]);
        // Only at the very start: a later BOM is content.
        let (frames, _) = decode_chunks(&[b"data: \xEF\xBB\xBFx\n\n"]);
        assert_eq!(datas(&frames), ["\u{FEFF}x"]);
    }

    #[test]
    fn a_partial_bom_is_content() {
        let (frames, _) = decode_chunks(&[&[0xEF], b"data: x\n\n"]);
        // "\xEFdata" is not the field "data": the line is ignored.
        assert!(frames.is_empty());
    }

    #[test]
    fn comments_ids_retry_and_multi_line_data() {
        let body = b": keep-alive\nid: 7\nretry: 3000\nevent: update\ndata: one\ndata:two\ndata\n\n";
        let (frames, _) = decode_chunks(&[body]);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].event, "update");
        assert_eq!(frames[0].data, "one\ntwo\n");
        assert_eq!(frames[0].id.as_deref(), Some("7"));
        assert_eq!(frames[0].retry, Some(3000));
    }

    /// Every item `decoder` hands over for `body` fed in pieces of `size`, the open frame last.
    fn items(mut decoder: SseDecoder, body: &[u8], size: usize) -> Vec<SseItem> {
        let mut items = Vec::new();
        let mut keep = |item| {
            items.push(item);
            ControlFlow::Continue(())
        };
        for piece in body.chunks(size) {
            assert_eq!(decoder.feed_each(piece, &mut keep), Ok(ControlFlow::Continue(())));
        }
        let open = decoder.finish_each(&mut keep);
        items.extend(open.map(SseItem::Event));
        items
    }

    #[test]
    fn comments_are_dropped_unless_kept_and_then_come_in_their_place() {
        let body: &[u8] = b": hi\n\ndata: one\n:\n:  two \r\ndata: x\n\n: end";
        let event = |data: &str| {
            SseItem::Event(SseFrame {
                data: data.into(),
                ..SseFrame::default()
            })
        };
        let comment = |text: &str| SseItem::Comment(text.into());
        assert_eq!(items(SseDecoder::new(), body, 3), [event("one\nx")]);
        for size in [1, 3, body.len()] {
            assert_eq!(
                items(SseDecoder::new().keeping_comments(), body, size),
                [
                    comment(" hi"),
                    comment(""),
                    comment("  two "),
                    event("one\nx"),
                    comment(" end")
                ],
                "in pieces of {size}"
            );
        }
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_and_resets_its_name() {
        let (frames, _) = decode_chunks(&[b"event: ping\n\ndata: x\n\n"]);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].name(), "message");
    }

    #[test]
    fn an_event_without_its_blank_line_is_returned_as_open() {
        let (frames, open) = decode_chunks(&[b"data: a\n\ndata: [DONE]"]);
        assert_eq!(datas(&frames), ["a"]);
        assert_eq!(open.unwrap().data, "[DONE]");
        let (_, open) = decode_chunks(&[b"data: a\n\ndata: b\n"]);
        assert_eq!(open.unwrap().data, "b");
    }

    #[test]
    fn feed_each_hands_events_over_as_they_complete_and_stops_on_break() {
        let mut decoder = SseDecoder::new();
        let mut seen = Vec::new();
        let flow = decoder.feed_each(b"data: a\n\ndata: b\n\ndata: c\n\n", |item| {
            let SseItem::Event(frame) = item else {
                unreachable!("comments are dropped")
            };
            seen.push(frame.data);
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(
            (flow, seen),
            (Ok(ControlFlow::Break(())), vec!["a".to_owned(), "b".to_owned()])
        );
    }

    #[test]
    fn a_line_that_never_ends_is_refused_at_the_limit_never_buffered_past_it() {
        let mut decoder = SseDecoder::with_limit(1000);
        let mut out = Vec::new();
        decoder.feed(b"data: ok\n\n", &mut out).unwrap();
        let mut fed = 0;
        let error = loop {
            match decoder.feed(&[b'x'; 7], &mut out) {
                Ok(()) => fed += 7,
                Err(error) => break error,
            }
            assert!(decoder.buffered_len() <= 1000);
        };
        assert_eq!(error, EventTooLarge { limit: 1000 });
        assert_eq!(fed, 994, "every byte up to the limit is held, none past it");
        assert!(decoder.line.capacity() <= 1000, "allocated {}", decoder.line.capacity());
        assert_eq!(datas(&out), ["ok"]);
    }

    #[test]
    fn an_event_of_many_lines_is_refused_at_the_limit_and_exactly_the_limit_fits() {
        let mut decoder = SseDecoder::with_limit(20);
        let mut out = Vec::new();
        decoder.feed(b"data: 012345\ndata: 0123\n", &mut out).unwrap();
        assert!(decoder.data.capacity() <= 20, "allocated {}", decoder.data.capacity());
        let mut decoder = SseDecoder::with_limit(20);
        // The data an event holds counts with each line that follows it.
        let error = decoder.feed(b"data: 0123456789\ndata: 0123456789\n", &mut out);
        assert_eq!(error, Err(EventTooLarge { limit: 20 }));
        assert!(decoder.buffered_len() <= 20);

        let mut decoder = SseDecoder::with_limit(20);
        decoder
            .feed(b"event: e\nid: 1\ndata: 01234567890\n\n", &mut out)
            .unwrap();
        assert_eq!(out.last().unwrap().data, "01234567890");
        // Any line counts, whole or in pieces: a comment too.
        let error = decoder.feed(b": a comment longer than the limit\n", &mut out);
        assert_eq!(error, Err(EventTooLarge { limit: 20 }));
    }

    #[test]
    fn a_large_event_and_many_tiny_events() {
        let big = "x".repeat(1 << 20);
        let body = format!("data: {big}\n\n");
        let (frames, _) = decode_chunks(&body.as_bytes().chunks(777).collect::<Vec<_>>());
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].data.len(), 1 << 20);

        let tiny = "data:.\n\n".repeat(10_000);
        let (frames, _) = decode_chunks(&[tiny.as_bytes()]);
        assert_eq!(frames.len(), 10_000);
    }
}
