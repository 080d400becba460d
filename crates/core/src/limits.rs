//! Bounds on everything a server controls: the one place they are defined.
//!
//! A server decides how long a line is, how many bytes and events an answer has, which tool-call
//! index it names and how big a model list or an error page is. Each of those is bounded here; passing a
//! bound is a [`ErrorKind::TooLarge`] error that names the limit, the text that arrived before it
//! is kept, and nothing is buffered past it. The one exception is a stream's recording
//! ([`Limits::recording_bytes`], [`Limits::recording_chunks`]): past it the recording is marked
//! truncated and keeps nothing more, and the answer goes on. An [`Engine`](crate::Engine) carries one [`Limits`]
//! (see [`Engine::with_limits`](crate::Engine::with_limits)); tests set small ones.

use crate::error::{ErrorKind, StreamError};
use crate::event::StreamEvent;

/// The bounds an engine applies to what servers send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one SSE event: its line in progress, plus its `data:` and `event:` fields.
    pub event_bytes: usize,
    /// Bytes of one answer: every string its events carry — text, thinking, refusal, tool-call
    /// ids, names and arguments, but also response ids and model names, finish reasons and raw
    /// frames ([`StreamOptions::raw`](crate::StreamOptions::raw)) — so a server cannot grow a
    /// consumer's memory with events that hold no text.
    pub answer_bytes: usize,
    /// Events in one answer, of every kind (a usage report, a raw frame and a delta each count
    /// one): a flood of events that carry (almost) no bytes still ends.
    pub answer_events: usize,
    /// Tool calls in one answer: a tool-call index must be below this.
    pub tool_calls: u32,
    /// Bytes of a model list (`GET /models`).
    pub model_list_bytes: usize,
    /// Bytes read of an error body, or of a body that is not an event stream; the rest is left
    /// unread (a person reads the start, not a megabyte of HTML).
    pub error_body_bytes: usize,
    /// Body bytes a stream's [`Recording`](crate::Recording) keeps, and the most an `.sse` file
    /// may hold to be read back; past it the recording stops keeping bytes and says it was
    /// truncated (the stream itself goes on).
    pub recording_bytes: usize,
    /// Chunks a recording keeps: each costs about 60 bytes besides its own (an allocation and
    /// its time), so a server that trickles its body a byte at a time cannot multiply the memory
    /// a recording holds.
    pub recording_chunks: usize,
    /// Rows an inspector builds of one stream (a row per SSE event or comment line): past it no
    /// row is built and the events are only counted, so a body of tiny events (64 MiB of `:\n`
    /// is 33 million comment lines) costs the inspector this many rows, not gigabytes.
    pub inspector_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            event_bytes: 16 << 20,
            answer_bytes: 64 << 20,
            answer_events: 1 << 20,
            tool_calls: 1024,
            model_list_bytes: 8 << 20,
            error_body_bytes: 64 << 10,
            recording_bytes: 64 << 20,
            recording_chunks: 1 << 20,
            inspector_rows: 100_000,
        }
    }
}

/// Counts one answer against [`Limits::answer_bytes`], [`Limits::answer_events`] and
/// [`Limits::tool_calls`] as its events are produced, before they reach anyone.
#[derive(Debug, Clone)]
pub struct AnswerMeter {
    limits: Limits,
    answer_bytes: usize,
    answer_events: usize,
}

impl AnswerMeter {
    /// A meter for a new answer.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            answer_bytes: 0,
            answer_events: 0,
        }
    }

    /// Bytes of answer admitted so far.
    pub fn answer_bytes(&self) -> usize {
        self.answer_bytes
    }

    /// Admits `events` in order. On the first event that passes a limit, returns its position
    /// and the error; the events before it are admitted and counted.
    pub fn admit(&mut self, events: &[StreamEvent]) -> Result<(), (usize, StreamError)> {
        for (position, event) in events.iter().enumerate() {
            self.admit_one(event).map_err(|error| (position, error))?;
        }
        Ok(())
    }

    fn admit_one(&mut self, event: &StreamEvent) -> Result<(), StreamError> {
        if let StreamEvent::ToolCallDelta { index, .. } = event
            && *index >= self.limits.tool_calls
        {
            return Err(too_many_tool_calls(*index, self.limits.tool_calls));
        }
        if self.answer_events >= self.limits.answer_events {
            return Err(StreamError::new(
                ErrorKind::TooLarge,
                format!("the answer passed the limit of {} events", self.limits.answer_events),
            ));
        }
        let total = self.answer_bytes.saturating_add(event.payload_bytes());
        if total > self.limits.answer_bytes {
            return Err(too_large("the answer", self.limits.answer_bytes));
        }
        self.answer_bytes = total;
        self.answer_events += 1;
        Ok(())
    }
}

/// `what` passed its limit of `limit` bytes.
pub(crate) fn too_large(what: &str, limit: usize) -> StreamError {
    StreamError::new(
        ErrorKind::TooLarge,
        format!("{what} passed the limit of {}", size(limit)),
    )
}

/// A tool-call index at or past the limit on tool calls.
fn too_many_tool_calls(index: u32, limit: u32) -> StreamError {
    StreamError::new(
        ErrorKind::TooLarge,
        format!("the server named tool call #{index}, past the limit of {limit} tool calls in one answer"),
    )
}

/// `bytes` for a person: `16 MiB`, `64 KiB`, `1000 bytes`.
pub(crate) fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b.is_multiple_of(1 << 20) => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b.is_multiple_of(1 << 10) => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Usage;

    fn text(n: usize) -> StreamEvent {
        StreamEvent::TextDelta { text: "x".repeat(n) }
    }

    fn tool(index: u32) -> StreamEvent {
        StreamEvent::ToolCallDelta {
            index,
            id: Some("id".into()),
            name: None,
            arguments: "{}".into(),
        }
    }

    #[test]
    fn the_answer_is_counted_across_calls_and_refused_at_the_event_that_passes_it() {
        let mut meter = AnswerMeter::new(Limits {
            answer_bytes: 10,
            ..Limits::default()
        });
        assert_eq!(meter.admit(&[text(4), tool(0)]), Ok(()));
        assert_eq!(meter.answer_bytes(), 8);
        let (position, error) = meter.admit(&[text(2), text(1)]).unwrap_err();
        assert_eq!((position, error.kind), (1, ErrorKind::TooLarge));
        assert_eq!(error.message, "the answer passed the limit of 10 bytes");
        assert_eq!(meter.answer_bytes(), 10);
    }

    #[test]
    fn a_tool_call_index_past_the_limit_is_refused_naming_it() {
        let mut meter = AnswerMeter::new(Limits::default());
        let (position, error) = meter.admit(&[tool(1023), tool(u32::MAX)]).unwrap_err();
        assert_eq!(position, 1);
        assert_eq!(error.kind, ErrorKind::TooLarge);
        assert!(error.message.contains("#4294967295") && error.message.contains("1024 tool calls"));
    }

    #[test]
    fn events_without_text_count_their_bytes_and_every_event_counts_one() {
        let start = |id: usize| StreamEvent::Start {
            response_id: Some("i".repeat(id)),
            model: Some("m".into()),
        };
        let mut meter = AnswerMeter::new(Limits {
            answer_bytes: 100,
            ..Limits::default()
        });
        assert_eq!(meter.admit(&[start(49), start(49)]), Ok(()));
        assert_eq!(meter.answer_bytes(), 100);
        let (position, error) = meter
            .admit(&[StreamEvent::Usage(Usage::default()), start(0)])
            .unwrap_err();
        assert_eq!(
            (position, error.kind),
            (1, ErrorKind::TooLarge),
            "the usage report fits, the model name does not"
        );

        let mut meter = AnswerMeter::new(Limits {
            answer_events: 3,
            ..Limits::default()
        });
        let usage = StreamEvent::Usage(Usage::default());
        assert_eq!(meter.admit(&[usage.clone(), usage.clone(), usage.clone()]), Ok(()));
        let (position, error) = meter.admit(&[usage]).unwrap_err();
        assert_eq!((position, error.kind), (0, ErrorKind::TooLarge));
        assert_eq!(error.message, "the answer passed the limit of 3 events");
    }

    #[test]
    fn a_raw_frame_counts_its_name_and_data() {
        let mut meter = AnswerMeter::new(Limits {
            answer_bytes: 10,
            ..Limits::default()
        });
        let raw = |data: &str| {
            StreamEvent::Raw(crate::event::RawFrame {
                at_ms: 0.0,
                event: "ping".into(),
                data: data.into(),
            })
        };
        assert_eq!(meter.admit(&[raw("abcdef")]), Ok(()));
        assert!(meter.admit(&[raw("")]).is_err());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(16 << 20), "16 MiB");
        assert_eq!(size(64 << 10), "64 KiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
