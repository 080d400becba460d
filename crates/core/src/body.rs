//! A response body read as its protocol's events, the one way every reader reads one: the engine's
//! stream (`stream.rs`), the `.sse` file's protocol guess (`sse_file.rs`) and an inspector's rows
//! (`inspect.rs`). Bytes in any chunking are framed by the protocol's [`Framing`] (SSE events,
//! `sse.rs`, or NDJSON lines, `ndjson.rs`, each line handed over as an event whose data is the
//! line), each event is decoded by the protocol's [`EventDecoder`] as soon as it is framed, and
//! how the body ended is an outcome of its own ([`End`]).
//!
//! As with tokio mini-redis's `Frame::check` returning `Incomplete`, running out of bytes is not an
//! error of the decoder: [`BodyDecoder::finish`] says whether the body reached its protocol's
//! terminator, failed on an error event, or ended `Incomplete`, between two events or in the
//! middle of one. An event the end cut off is still decoded for what it carried, and it completes
//! the stream only when it is a whole terminator whose final line end never came (`data: [DONE]`
//! with no newline, an NDJSON terminator line without its `\n`), as the official SDKs read it; it never fails the stream on its own, since it
//! is partial by nature.
//!
//! Once the terminator or an error came, later events are still framed (an inspector shows them)
//! but no longer decoded.

use std::ops::ControlFlow;

use crate::error::StreamError;
use crate::event::StreamEvent;
use crate::ndjson::NdjsonDecoder;
use crate::provider::{EventDecoder, Finish, Framing, Protocol, Step};
use crate::sse::{EventTooLarge, SseDecoder, SseFrame, SseItem};

/// How a body's stream ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// The protocol's terminator came: the stream is complete, its answer ended this way.
    Complete(Finish),
    /// An error event (or a malformed one) ended it.
    Failed(StreamError),
    /// The body ended before the terminator: between two events, or in the middle of one.
    Incomplete {
        /// The body stopped inside an event (no blank line closed it; for NDJSON, no `\n`).
        mid_event: bool,
        /// The terminator the protocol waited for, for the error's message.
        terminator: &'static str,
    },
}

impl End {
    /// The stream's ending event: its `Finish`, or the error (`incomplete` for a body cut short).
    pub fn into_event(self) -> StreamEvent {
        match self {
            Self::Complete(finish) => finish.into(),
            Self::Failed(error) => StreamEvent::Error(error),
            Self::Incomplete { mid_event, terminator } => {
                StreamEvent::Error(StreamError::cut_short(terminator, mid_event))
            }
        }
    }
}

/// One part of a body, in the order it came.
#[derive(Debug)]
pub enum Part<'a> {
    /// An event (an SSE event, or an NDJSON line) and what its protocol read from it.
    Event(Decoded<'a>),
    /// A comment line's text after its `:` (a leading space kept), from a decoder
    /// [`keeping_comments`](BodyDecoder::keeping_comments).
    Comment(String),
}

/// An event (an SSE event, or an NDJSON line) and what its protocol read from it.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The event.
    pub frame: SseFrame,
    /// The events decoded from it, in order, for the caller to take; none once the stream ended.
    pub events: &'a mut Vec<StreamEvent>,
    /// The stream's end, when this event ended it (its terminator, or an error).
    pub end: Option<&'a End>,
}

/// Reads one body: feed it chunks with [`feed`](Self::feed), then call [`finish`](Self::finish).
pub struct BodyDecoder {
    framer: Framer,
    decoder: Box<dyn EventDecoder>,
    /// The events of the event being handed over.
    events: Vec<StreamEvent>,
    /// How the stream ended, once its terminator or an error came.
    end: Option<End>,
}

/// The framing of a body, as its protocol frames it.
enum Framer {
    Sse(SseDecoder),
    Ndjson(NdjsonDecoder),
}

impl BodyDecoder {
    /// A decoder for a body in `protocol`, framed by its [`Framing`], holding at most
    /// `event_bytes` of one event or line ([`Limits::event_bytes`](crate::Limits::event_bytes)).
    pub fn new(protocol: &dyn Protocol, event_bytes: usize) -> Self {
        let framer = match protocol.framing() {
            Framing::Sse => Framer::Sse(SseDecoder::with_limit(event_bytes)),
            Framing::Ndjson => Framer::Ndjson(NdjsonDecoder::with_limit(event_bytes)),
        };
        Self {
            framer,
            decoder: protocol.decoder(),
            events: Vec::new(),
            end: None,
        }
    }

    /// This decoder, handing comment lines over in their place ([`Part::Comment`]); NDJSON has
    /// none.
    pub fn keeping_comments(mut self) -> Self {
        self.framer = match self.framer {
            Framer::Sse(sse) => Framer::Sse(sse.keeping_comments()),
            ndjson @ Framer::Ndjson(_) => ndjson,
        };
        self
    }

    /// Bytes held for the event in progress; never more than the event limit.
    pub fn buffered_len(&self) -> usize {
        match &self.framer {
            Framer::Sse(sse) => sse.buffered_len(),
            Framer::Ndjson(ndjson) => ndjson.buffered_len(),
        }
    }

    /// Reads one chunk, handing each part it completes to `on_part` at once. When `on_part`
    /// breaks, the rest of the chunk is dropped and `Break` is returned: the reader is done and
    /// the decoder must not be fed again. An event past the event limit is an error, after which
    /// it must not be fed again either.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut on_part: impl FnMut(Part<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, EventTooLarge> {
        let Self {
            framer,
            decoder,
            events,
            end,
        } = self;
        let on_item = |item: SseItem| match item {
            SseItem::Comment(text) => on_part(Part::Comment(text)),
            SseItem::Event(frame) => on_part(Part::Event(decode(decoder.as_mut(), events, end, frame, false))),
        };
        match framer {
            Framer::Sse(sse) => sse.feed_each(chunk, on_item),
            Framer::Ndjson(ndjson) => ndjson.feed_each(chunk, on_item),
        }
    }

    /// Ends the body: hands over a last comment line and the event the end cut off, if any, and
    /// returns how the stream ended (the end an earlier event brought, if one did).
    pub fn finish(&mut self, mut on_part: impl FnMut(Part<'_>)) -> End {
        let Self {
            framer,
            decoder,
            events,
            end,
        } = self;
        let open = match framer {
            Framer::Sse(sse) => sse.finish_each(|item| {
                if let SseItem::Comment(text) = item {
                    on_part(Part::Comment(text));
                }
                ControlFlow::Continue(())
            }),
            Framer::Ndjson(ndjson) => ndjson.finish(),
        };
        let mid_event = open.is_some();
        if let Some(frame) = open {
            on_part(Part::Event(decode(decoder.as_mut(), events, end, frame, true)));
        }
        end.clone().unwrap_or(End::Incomplete {
            mid_event,
            terminator: decoder.terminator(),
        })
    }
}

/// `frame` decoded by `decoder` into `events` unless the stream already `end`ed; `cut`: the body
/// ended inside it, so an error it raises is no error of its own. Inlined: it runs once per event
/// on the engine's road, where the call alone cost up to 7 % (PERFORMANCE.md, "One body decoder").
#[inline]
fn decode<'a>(
    decoder: &mut dyn EventDecoder,
    events: &'a mut Vec<StreamEvent>,
    end: &'a mut Option<End>,
    frame: SseFrame,
    cut: bool,
) -> Decoded<'a> {
    events.clear();
    let mut ended_here = false;
    if end.is_none() {
        match decoder.decode(&frame, events) {
            Ok(Step::More) => {}
            Ok(Step::Done(finish)) => {
                *end = Some(End::Complete(finish));
                ended_here = true;
            }
            Err(_) if cut => {}
            Err(error) => {
                *end = Some(End::Failed(error));
                ended_here = true;
            }
        }
    }
    let end: &'a Option<End> = end;
    Decoded {
        frame,
        events,
        end: end.as_ref().filter(|_| ended_here),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::event::FinishReason;
    use crate::provider::protocol;

    /// What a reader sees of `body` in `protocol` fed in pieces of `size`: each part in words,
    /// and the end.
    fn read(protocol_id: &str, body: &[u8], size: usize) -> (Vec<String>, End) {
        let mut decoder = BodyDecoder::new(protocol(protocol_id).unwrap(), 1 << 20).keeping_comments();
        let mut seen = Vec::new();
        let mut note = |part: Part<'_>| match part {
            Part::Comment(text) => seen.push(format!("comment {text:?}")),
            Part::Event(decoded) => seen.push(format!(
                "{} {} event(s){}",
                decoded.frame.name(),
                decoded.events.len(),
                if decoded.end.is_some() { ", the end" } else { "" }
            )),
        };
        for piece in body.chunks(size) {
            let flow = decoder.feed(piece, |part| {
                note(part);
                ControlFlow::Continue(())
            });
            assert_eq!(flow, Ok(ControlFlow::Continue(())));
        }
        let end = decoder.finish(note);
        (seen, end)
    }

    const DELTA: &str = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n";

    #[test]
    fn a_complete_body_ends_at_its_terminator_and_what_follows_is_framed_not_decoded() {
        let body = format!("{DELTA}: ping\n\ndata: [DONE]\n\n{DELTA}");
        for size in [1, 7, body.len()] {
            let (seen, end) = read("openai", body.as_bytes(), size);
            assert_eq!(
                seen,
                [
                    "message 2 event(s)",
                    "comment \" ping\"",
                    "message 0 event(s), the end",
                    "message 0 event(s)"
                ],
                "in pieces of {size}"
            );
            assert!(
                matches!(
                    end,
                    End::Complete(Finish {
                        reason: FinishReason::Stop,
                        ..
                    })
                ),
                "{end:?}"
            );
        }
    }

    #[test]
    fn a_body_cut_between_events_or_inside_one_is_incomplete_and_says_which() {
        let (_, end) = read("openai", DELTA.as_bytes(), 5);
        assert_eq!(
            end,
            End::Incomplete {
                mid_event: false,
                terminator: "data: [DONE]"
            }
        );
        let cut = format!("{DELTA}data: {{\"choi");
        let (seen, end) = read("openai", cut.as_bytes(), 5);
        assert_eq!(
            seen,
            ["message 2 event(s)", "message 0 event(s)"],
            "a cut event fails nothing"
        );
        assert!(matches!(end, End::Incomplete { mid_event: true, .. }));
        let StreamEvent::Error(error) = end.into_event() else {
            panic!("an error")
        };
        assert_eq!(error.kind, ErrorKind::Incomplete);
    }

    #[test]
    fn a_whole_terminator_whose_line_end_never_came_completes_the_stream() {
        let (_, end) = read("openai", format!("{DELTA}data: [DONE]").as_bytes(), 3);
        assert!(matches!(end, End::Complete(_)), "{end:?}");
        let (_, end) = read("openai", format!("{DELTA}data: [DO").as_bytes(), 3);
        assert!(matches!(end, End::Incomplete { mid_event: true, .. }), "{end:?}");
        let anthropic = "event: message_stop\ndata: {\"type\":\"message_stop\"}";
        let (_, end) = read("anthropic", anthropic.as_bytes(), 4);
        assert!(matches!(end, End::Complete(_)), "{end:?}");
    }

    #[test]
    fn an_error_event_ends_the_stream_where_it_came() {
        let body = format!("{DELTA}data: {{\"error\":{{\"message\":\"m\",\"type\":\"server_error\"}}}}\n\n{DELTA}");
        let (seen, end) = read("openai", body.as_bytes(), body.len());
        assert_eq!(seen[1], "message 0 event(s), the end");
        assert_eq!(seen[2], "message 0 event(s)");
        assert!(
            matches!(&end, End::Failed(error) if error.kind == ErrorKind::Server),
            "{end:?}"
        );
    }

    #[test]
    fn a_reader_that_breaks_reads_no_further() {
        let mut decoder = BodyDecoder::new(protocol("openai").unwrap(), 1 << 20);
        let mut events = 0;
        let body = format!("{DELTA}{DELTA}{DELTA}");
        let flow = decoder.feed(body.as_bytes(), |part| {
            events += 1;
            match part {
                Part::Event(_) if events == 2 => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        });
        assert_eq!((flow, events), (Ok(ControlFlow::Break(())), 2));
        let too_long =
            BodyDecoder::new(protocol("openai").unwrap(), 10).feed(DELTA.as_bytes(), |_| ControlFlow::Continue(()));
        assert_eq!(too_long, Err(EventTooLarge { limit: 10 }));
    }

    /// A protocol framed by NDJSON lines: `{"text": …}` deltas, ended by `{"end": true}`.
    struct Lines;

    struct LinesDecoder;

    impl EventDecoder for LinesDecoder {
        fn decode(&mut self, frame: &SseFrame, out: &mut Vec<StreamEvent>) -> Result<Step, StreamError> {
            let line: serde_json::Value = crate::provider::parse_json(frame)?;
            if line["end"] == true {
                return Ok(Step::Done(Finish::from_raw(&Lines, None)));
            }
            let text = line["text"].as_str().ok_or_else(|| StreamError::protocol("no text"))?;
            out.push(StreamEvent::TextDelta { text: text.into() });
            Ok(Step::More)
        }

        fn terminator(&self) -> &'static str {
            "{\"end\": true}"
        }
    }

    impl Protocol for Lines {
        fn routes(&self) -> crate::provider::Routes {
            crate::provider::Routes {
                id: "lines",
                base_path: "",
                chat_path: "/chat",
                models_path: "/models",
            }
        }
        fn name(&self) -> &'static str {
            "Lines"
        }
        fn headers(&self, _: Option<&crate::keys::ApiKey>) -> reqwest::header::HeaderMap {
            reqwest::header::HeaderMap::new()
        }
        fn chat_body(&self, _: &crate::request::ChatRequest, _: &crate::provider::Quirks) -> serde_json::Value {
            serde_json::Value::Null
        }
        fn decoder(&self) -> Box<dyn EventDecoder> {
            Box::new(LinesDecoder)
        }
        fn finish_reason(&self, _: &str) -> FinishReason {
            FinishReason::Other
        }
        fn error_kind(&self, _: &str) -> Option<ErrorKind> {
            None
        }
        fn parse_models(&self, _: &[u8]) -> Result<Vec<crate::provider::ModelInfo>, StreamError> {
            Ok(Vec::new())
        }
        fn describe(&self, _: &SseFrame) -> Vec<crate::provider::Field> {
            Vec::new()
        }
        fn framing(&self) -> Framing {
            Framing::Ndjson
        }
    }

    /// The text `body` in [`Lines`] decodes to, fed in pieces of `size`, and its end.
    fn read_lines(body: &[u8], size: usize, limit: usize) -> (String, Result<End, EventTooLarge>) {
        let mut decoder = BodyDecoder::new(&Lines, limit).keeping_comments();
        let mut text = String::new();
        let mut take = |part: Part<'_>| {
            let Part::Event(decoded) = part else {
                panic!("NDJSON has no comments")
            };
            assert_eq!(decoded.frame.name(), "message");
            for event in decoded.events.drain(..) {
                if let StreamEvent::TextDelta { text: delta } = event {
                    text.push_str(&delta);
                }
            }
        };
        for piece in body.chunks(size) {
            if let Err(error) = decoder.feed(piece, |part| {
                take(part);
                ControlFlow::Continue(())
            }) {
                return (text, Err(error));
            }
        }
        let end = decoder.finish(take);
        (text, Ok(end))
    }

    #[test]
    fn an_ndjson_body_is_framed_by_lines_in_any_chunking() {
        let body = "{\"text\":\"héllo \"}\r\n\n{\"text\":\"🦀\"}\n{\"end\":true}\n{\"text\":\"after\"}\n";
        for size in 1..=body.len() {
            let (text, end) = read_lines(body.as_bytes(), size, 1 << 20);
            assert_eq!(text, "héllo 🦀", "in pieces of {size}");
            assert!(matches!(end, Ok(End::Complete(_))), "{end:?}");
        }
    }

    #[test]
    fn an_ndjson_body_cut_short_is_incomplete_unless_its_cut_line_is_a_whole_terminator() {
        let (text, end) = read_lines(b"{\"text\":\"a\"}\n", 3, 1 << 20);
        assert_eq!(text, "a");
        assert_eq!(
            end,
            Ok(End::Incomplete {
                mid_event: false,
                terminator: "{\"end\": true}"
            })
        );
        let (text, end) = read_lines(b"{\"text\":\"a\"}\n{\"text\":\"b\"}", 3, 1 << 20);
        assert_eq!(text, "ab", "a cut line is decoded for what it carried");
        assert!(matches!(end, Ok(End::Incomplete { mid_event: true, .. })), "{end:?}");
        let (_, end) = read_lines(b"{\"text\":\"a\"}\n{\"te", 3, 1 << 20);
        assert!(
            matches!(end, Ok(End::Incomplete { mid_event: true, .. })),
            "a cut line fails nothing: {end:?}"
        );
        let (_, end) = read_lines(b"{\"text\":\"a\"}\n{\"end\":true}", 3, 1 << 20);
        assert!(matches!(end, Ok(End::Complete(_))), "{end:?}");
        let (_, end) = read_lines(b"{\"text\":\"a\"}\n{\"text\":\"0123456789\"}\n", 4, 16);
        assert_eq!(end, Err(EventTooLarge { limit: 16 }), "a line past the event limit");
    }
}
