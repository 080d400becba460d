//! The queue between one core stream and the page: numbers messages (`seq`), holds them while
//! too many are unacknowledged, and coalesces while it holds them. Each message goes out with the
//! answer's numbers as the core counted them by then (`stats`).
//!
//! Events go out one message each while the page keeps up, except that the events of one read go
//! together (`streams::forward` sends when no further event is ready). The page acknowledges what
//! it painted (`ack_stream`). Once half of [`WINDOW`] messages are unacknowledged, a delta waits
//! here and the deltas of its kind that follow merge into it, up to [`MAX_MESSAGE_BYTES`], until
//! the page catches up; a message that can grow no more still goes out, up to the whole window. So
//! a fast page sees every delta at once, a burst reaches the page in full messages without waiting
//! for a frame, and a slow or hidden page is never flooded.
//!
//! What waits here is bounded too ([`Outbox::is_full`]: [`MAX_QUEUED_MESSAGES`] messages or
//! [`MAX_QUEUED_BYTES`]): while it is full, `streams::forward` takes no more events from the stream,
//! whose bounded channel then stops the socket being read — a page that paints nothing does not
//! make the app hold a flood of events.

use std::collections::VecDeque;
use std::mem::discriminant;

use runnel_core::StreamEvent;

use crate::ipc_types::{Saved, Stats, StreamMessage};

/// Unacknowledged messages allowed; from half of it on, only messages that can grow no more.
pub const WINDOW: u64 = 16;
/// The most bytes a coalesced message may take on the wire (JSON included). Large enough that a
/// burst (hundreds of KB) reaches the page within one window of messages: at 8 KB a 470 KB burst
/// took four frames' acks to arrive (docs/PERFORMANCE.md).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Room left in a message for everything but the text: `seq`, `type` and the answer's numbers
/// (`stats`: at most about 300 bytes of JSON, every number at its longest).
const ENVELOPE_BYTES: usize = 384;
/// Messages that may wait for the page before the stream is read no further.
pub const MAX_QUEUED_MESSAGES: usize = 1024;
/// Bytes (of text and other strings, about what they take in JSON) that may wait for the page
/// before the stream is read no further: 128 full messages, far more than any burst.
pub const MAX_QUEUED_BYTES: usize = 8 << 20;
/// Room for text in one message.
const TEXT_BUDGET: usize = MAX_MESSAGE_BYTES - ENVELOPE_BYTES;

/// Where a stream's messages go: a Tauri channel in the app, a collector in tests.
pub trait Sink: Send + Sync + 'static {
    /// Delivers one message; `false` when the page is gone.
    fn deliver(&self, message: StreamMessage) -> bool;
}

impl Sink for tauri::ipc::Channel<StreamMessage> {
    fn deliver(&self, message: StreamMessage) -> bool {
        self.send(message).is_ok()
    }
}

/// An event waiting for its `seq`, with the bytes its text takes inside a JSON string.
#[derive(Debug)]
struct Queued {
    event: StreamEvent,
    text_bytes: usize,
}

impl Queued {
    /// About what this message costs while it waits: its text or other strings, and an envelope.
    fn weight(&self) -> usize {
        ENVELOPE_BYTES + self.text_bytes.max(self.event.payload_bytes())
    }
}

/// The text of a delta that may coalesce.
fn text_mut(event: &mut StreamEvent) -> Option<&mut String> {
    match event {
        StreamEvent::TextDelta { text } | StreamEvent::ThinkingDelta { text } | StreamEvent::RefusalDelta { text } => {
            Some(text)
        }
        _ => None,
    }
}

/// Whether `event` is a delta that may coalesce.
fn is_delta(event: &StreamEvent) -> bool {
    matches!(
        event,
        StreamEvent::TextDelta { .. } | StreamEvent::ThinkingDelta { .. } | StreamEvent::RefusalDelta { .. }
    )
}

/// Bytes `c` takes inside a JSON string.
fn json_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// The longest start of `text` whose JSON takes at most `room` bytes: its length and its bytes.
fn fitting(text: &str, room: usize) -> (usize, usize) {
    let (mut cut, mut bytes) = (0, 0);
    for (index, c) in text.char_indices() {
        if bytes + json_len(c) > room {
            break;
        }
        bytes += json_len(c);
        cut = index + c.len_utf8();
    }
    (cut, bytes)
}

/// One stream's messages on their way to the page.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: VecDeque<Queued>,
    /// The weights of what `queue` holds, summed.
    queued_bytes: usize,
    last_seq: u64,
}

impl Outbox {
    /// Queues an event, merging text into the last queued delta of its kind while it fits. Raw
    /// frames go as they are, never merged (the app asks for none: its inspector reads the
    /// recording, `inspector.rs`).
    pub fn push(&mut self, mut event: StreamEvent) {
        let Some(text) = text_mut(&mut event).map(std::mem::take) else {
            let queued = Queued { event, text_bytes: 0 };
            self.queued_bytes += queued.weight();
            self.queue.push_back(queued);
            return;
        };
        // `event` is now an empty delta of its kind, the seed of each new message.
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let room = match self.queue.back() {
                Some(last) if discriminant(&last.event) == discriminant(&event) => TEXT_BUDGET - last.text_bytes,
                _ => 0,
            };
            let (cut, bytes) = fitting(rest, room);
            match self.queue.back_mut() {
                Some(last) if cut > 0 => {
                    text_mut(&mut last.event)
                        .expect("a delta of the same kind")
                        .push_str(&rest[..cut]);
                    last.text_bytes += bytes;
                    self.queued_bytes += bytes;
                    rest = &rest[cut..];
                }
                _ => {
                    self.queued_bytes += ENVELOPE_BYTES;
                    self.queue.push_back(Queued {
                        event: event.clone(),
                        text_bytes: 0,
                    });
                }
            }
        }
    }

    /// Whether as much waits for the page as may: the stream should be read no further until the
    /// page acknowledges some.
    pub fn is_full(&self) -> bool {
        self.queue.len() >= MAX_QUEUED_MESSAGES || self.queued_bytes >= MAX_QUEUED_BYTES
    }

    /// Whether the first queued message can take no more text: another was begun after it, or it
    /// is no delta.
    pub fn holds_full_message(&self) -> bool {
        match self.queue.front() {
            Some(front) => self.queue.len() > 1 || !is_delta(&front.event),
            None => false,
        }
    }

    /// Sends queued messages, each with `stats`, while fewer than `window` are unacknowledged past
    /// `acked`, and a message that could still grow only while fewer than half are; `false` when
    /// the page is gone.
    pub fn flush(&mut self, sink: &dyn Sink, acked: u64, window: u64, stats: &Stats) -> bool {
        loop {
            let unacked = self.last_seq.saturating_sub(acked);
            let room = if self.holds_full_message() { window } else { window / 2 };
            if unacked >= room {
                break;
            }
            let Some(queued) = self.queue.pop_front() else { break };
            self.queued_bytes -= queued.weight();
            if !self.send(sink, queued.event, stats, None) {
                return false;
            }
        }
        true
    }

    /// Sends everything queued, with `stats`, whatever the page acknowledged (the stream is
    /// over); `false` when the page is gone.
    pub fn flush_all(&mut self, sink: &dyn Sink, stats: &Stats) -> bool {
        // Nothing counts as unacknowledged past an ack of u64::MAX.
        self.flush(sink, u64::MAX, u64::MAX, stats)
    }

    /// Sends everything queued, then the ending with what was saved: the stream's last message,
    /// with its final `stats`.
    pub fn finish(&mut self, sink: &dyn Sink, ending: StreamEvent, saved: Saved, stats: &Stats) {
        if self.flush_all(sink, stats) {
            self.send(sink, ending, stats, Some(saved));
        }
    }

    fn send(&mut self, sink: &dyn Sink, event: StreamEvent, stats: &Stats, saved: Option<Saved>) -> bool {
        self.last_seq += 1;
        sink.deliver(StreamMessage {
            seq: self.last_seq,
            event,
            stats: Some(stats.clone()),
            saved,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc_types::MessageState;
    use runnel_core::{FinishReason, RawFrame, Usage};
    use std::sync::{Mutex, mpsc};

    struct Collect(Mutex<mpsc::Sender<StreamMessage>>);

    impl Sink for Collect {
        fn deliver(&self, message: StreamMessage) -> bool {
            self.0.lock().unwrap().send(message).is_ok()
        }
    }

    fn collector() -> (Collect, mpsc::Receiver<StreamMessage>) {
        let (sender, receiver) = mpsc::channel();
        (Collect(Mutex::new(sender)), receiver)
    }

    fn text(delta: &str) -> StreamEvent {
        StreamEvent::TextDelta { text: delta.into() }
    }

    /// The numbers every message of these tests goes out with.
    fn stats() -> Stats {
        Stats {
            ttft_ms: Some(120.0),
            tokens_per_sec: None,
            output_tokens: Some(1),
            tokens_estimated: true,
            input_tokens: None,
            duration_ms: 130.0,
            finish_reason: None,
            reasoning_tokens: None,
            server_tokens_per_sec: None,
            cost_usd: None,
        }
    }

    fn message(seq: u64, event: StreamEvent) -> StreamMessage {
        StreamMessage {
            seq,
            event,
            stats: Some(stats()),
            saved: None,
        }
    }

    #[test]
    fn each_message_carries_the_numbers_of_its_flush() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        outbox.push(StreamEvent::Start {
            response_id: None,
            model: None,
        });
        outbox.push(text("a"));
        let later = Stats {
            duration_ms: 500.0,
            ..stats()
        };
        assert!(outbox.flush(&sink, 0, WINDOW, &later));
        let messages: Vec<_> = received.try_iter().collect();
        assert_eq!(messages.len(), 2);
        assert!(messages.iter().all(|message| message.stats.as_ref() == Some(&later)));
    }

    #[test]
    fn a_page_that_keeps_up_gets_every_delta_alone() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        for (i, delta) in ["a", "b", "c"].into_iter().enumerate() {
            outbox.push(text(delta));
            assert!(outbox.flush(&sink, i as u64, WINDOW, &stats()));
        }
        let messages: Vec<_> = received.try_iter().collect();
        assert_eq!(
            messages,
            vec![message(1, text("a")), message(2, text("b")), message(3, text("c"))]
        );
    }

    #[test]
    fn the_queue_is_full_at_its_bound_of_messages_or_bytes_and_empties_as_it_is_sent() {
        let (sink, _received) = collector();
        let mut outbox = Outbox::default();
        let usage = StreamEvent::Usage(Usage::default());
        for _ in 0..MAX_QUEUED_MESSAGES - 1 {
            outbox.push(usage.clone());
        }
        assert!(!outbox.is_full());
        outbox.push(usage);
        assert!(outbox.is_full(), "text-free events count one message each");
        assert!(outbox.flush_all(&sink, &stats()));
        assert_eq!((outbox.is_full(), outbox.queued_bytes), (false, 0));

        // Text coalesces, so its bytes are what fill the queue.
        let chunk = "x".repeat(4096);
        while !outbox.is_full() {
            outbox.push(text(&chunk));
        }
        assert!(outbox.queue.len() < MAX_QUEUED_MESSAGES);
        assert!(outbox.queued_bytes >= MAX_QUEUED_BYTES && outbox.queued_bytes < MAX_QUEUED_BYTES + 8192);
        assert!(outbox.flush_all(&sink, &stats()));
        assert_eq!(outbox.queued_bytes, 0, "every byte counted in is counted out");
    }

    #[test]
    fn a_lagging_page_gets_coalesced_text_in_order_after_its_ack() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        for n in 0..100 {
            outbox.push(text(&format!("{n},")));
            outbox.flush(&sink, 0, WINDOW, &stats());
        }
        let first: Vec<_> = received.try_iter().collect();
        assert_eq!(
            first.len() as u64,
            WINDOW / 2,
            "messages that could grow: half a window before the ack"
        );
        outbox.flush(&sink, WINDOW / 2, WINDOW, &stats());
        let rest: Vec<_> = received.try_iter().collect();
        assert_eq!(rest.len(), 1, "the backlog arrives as one coalesced message");
        let all: String = first
            .iter()
            .chain(&rest)
            .map(|message| match &message.event {
                StreamEvent::TextDelta { text } => text.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(all, (0..100).map(|n| format!("{n},")).collect::<String>());
    }

    #[test]
    fn full_messages_go_out_up_to_the_window_and_a_growing_one_waits_for_the_ack() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        for n in 0..WINDOW / 2 {
            outbox.push(text(&n.to_string()));
            outbox.flush(&sink, 0, WINDOW, &stats());
        }
        // A burst: two full messages and the start of a third.
        outbox.push(text(&"x".repeat(2 * TEXT_BUDGET + 10)));
        outbox.flush(&sink, 0, WINDOW, &stats());
        let sizes: Vec<usize> = received
            .try_iter()
            .map(|message| match message.event {
                StreamEvent::TextDelta { text } => text.len(),
                other => panic!("{other:?}"),
            })
            .collect();
        let mut expected = vec![1; WINDOW as usize / 2];
        expected.extend([TEXT_BUDGET, TEXT_BUDGET]);
        assert_eq!(sizes, expected, "the full messages went out, the growing one waits");
        outbox.flush(&sink, WINDOW / 2, WINDOW, &stats());
        let rest: Vec<_> = received.try_iter().collect();
        assert_eq!(rest, vec![message(WINDOW / 2 + 3, text(&"x".repeat(10)))]);
    }

    #[test]
    fn no_message_exceeds_the_limit_even_for_huge_or_escaped_deltas() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        // Each about 12 messages' worth on the wire (escaped: 10 JSON bytes for 3 characters).
        outbox.push(text(&"x".repeat(12 * MAX_MESSAGE_BYTES)));
        outbox.push(text(&"\"\n\u{1}".repeat(12 * MAX_MESSAGE_BYTES / 10)));
        outbox.push(StreamEvent::ThinkingDelta {
            text: "日本語".repeat(12 * MAX_MESSAGE_BYTES / 9),
        });
        // Numbers at their longest in JSON.
        let longest = Stats {
            ttft_ms: Some(-f64::MAX),
            tokens_per_sec: Some(-f64::MAX),
            output_tokens: Some(u64::MAX),
            tokens_estimated: false,
            input_tokens: Some(u64::MAX),
            duration_ms: -f64::MAX,
            finish_reason: Some("content_filter".into()),
            reasoning_tokens: None,
            server_tokens_per_sec: None,
            cost_usd: None,
        };
        outbox.flush_all(&sink, &longest);
        let messages: Vec<_> = received.try_iter().collect();
        assert!(messages.len() > 20);
        for message in &messages {
            let size = serde_json::to_string(message).unwrap().len();
            assert!(size <= MAX_MESSAGE_BYTES, "{size}");
        }
        let chars = |kind: fn(&StreamEvent) -> Option<&String>| -> usize {
            messages
                .iter()
                .filter_map(|message| kind(&message.event))
                .map(|text| text.chars().count())
                .sum()
        };
        let answer = chars(|event| match event {
            StreamEvent::TextDelta { text } => Some(text),
            _ => None,
        });
        let thinking = chars(|event| match event {
            StreamEvent::ThinkingDelta { text } => Some(text),
            _ => None,
        });
        let escaped = 3 * (12 * MAX_MESSAGE_BYTES / 10);
        assert_eq!(
            (answer, thinking),
            (12 * MAX_MESSAGE_BYTES + escaped, 3 * (12 * MAX_MESSAGE_BYTES / 9))
        );
    }

    #[test]
    fn kinds_do_not_merge_order_is_kept_and_raw_frames_go_as_they_are() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        let usage = StreamEvent::Usage(Usage {
            input_tokens: Some(1),
            output_tokens: Some(2),
            ..Usage::default()
        });
        outbox.push(StreamEvent::ThinkingDelta { text: "hmm".into() });
        outbox.push(text("A"));
        let raw = StreamEvent::Raw(RawFrame {
            at_ms: 1.0,
            event: "message".into(),
            data: "{}".into(),
        });
        outbox.push(raw.clone());
        outbox.push(text("B"));
        outbox.push(usage.clone());
        outbox.flush(&sink, 0, WINDOW, &stats());
        let messages: Vec<_> = received.try_iter().collect();
        assert_eq!(
            messages,
            vec![
                message(1, StreamEvent::ThinkingDelta { text: "hmm".into() }),
                message(2, text("A")),
                message(3, raw),
                message(4, text("B")),
                message(5, usage),
            ]
        );
    }

    #[test]
    fn the_ending_comes_last_with_what_was_saved_whatever_the_acks() {
        let (sink, received) = collector();
        let mut outbox = Outbox::default();
        for n in 0..40 {
            outbox.push(text(&n.to_string()));
            outbox.flush(&sink, 0, WINDOW, &stats());
        }
        let saved = Saved {
            id: 7,
            state: MessageState::Done,
            error: None,
            stats: None,
        };
        let finish = StreamEvent::Finish {
            reason: FinishReason::Stop,
            raw_reason: Some("stop".into()),
        };
        outbox.finish(&sink, finish.clone(), saved.clone(), &stats());
        let messages: Vec<_> = received.try_iter().collect();
        let last = messages.last().unwrap();
        assert_eq!((&last.event, last.saved.as_ref()), (&finish, Some(&saved)));
        assert_eq!(last.seq, messages.len() as u64);
        assert!(messages[..messages.len() - 1].iter().all(|m| m.saved.is_none()));
        let numbers = serde_json::to_value(stats()).unwrap();
        assert_eq!(
            serde_json::to_value(last).unwrap(),
            serde_json::json!({"seq": last.seq, "type": "finish", "reason": "stop", "raw_reason": "stop",
                "stats": numbers, "saved": {"id": 7, "state": "done", "error": null, "stats": null}})
        );
    }
}
