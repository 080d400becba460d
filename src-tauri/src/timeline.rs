//! The inspector's timeline of a stream's rows: events, comment lines and content deltas counted
//! per slice of time, what the page's chart draws (a tick per slice with events, tokens per
//! second from the content). It is [`SLICES`] numbers a kind however many rows there are, so a
//! window of rows can carry it; the page works out the same from a live answer's rows
//! (`ui/src/inspector/chart.ts`, `timelineOf`).

use runnel_core::StreamEvent;
use runnel_core::recording::COMMENT;

use crate::models::{EventRow, Timeline};

/// Slices of the time axis: about a pixel each at the panel's width.
pub const SLICES: usize = 480;

/// The timeline of `rows` (in arrival order).
pub fn of(rows: &[EventRow]) -> Timeline {
    let span_ms = rows.iter().map(|row| row.at_ms).fold(1.0, f64::max);
    let mut timeline = Timeline {
        span_ms,
        events: vec![0; SLICES],
        comments: vec![0; SLICES],
        content: vec![0; SLICES],
        longest_gap_ms: 0.0,
    };
    for (index, row) in rows.iter().enumerate() {
        // Truncation is the slice's floor; a row at the very end belongs to the last slice.
        let slice = ((row.at_ms / span_ms * SLICES as f64) as usize).min(SLICES - 1);
        if row.event == COMMENT {
            timeline.comments[slice] += 1;
        } else {
            timeline.events[slice] += 1;
        }
        timeline.content[slice] += row.decoded.iter().filter(|event| is_content(event)).count() as u32;
        if index > 0 {
            timeline.longest_gap_ms = timeline.longest_gap_ms.max(row.at_ms - rows[index - 1].at_ms);
        }
    }
    timeline
}

/// A delta a person reads as a token: text, thinking or refusal with text, or a tool call.
fn is_content(event: &StreamEvent) -> bool {
    match event {
        StreamEvent::TextDelta { text } | StreamEvent::ThinkingDelta { text } | StreamEvent::RefusalDelta { text } => {
            !text.is_empty()
        }
        StreamEvent::ToolCallDelta { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at_ms: f64, event: &str, texts: &[&str]) -> EventRow {
        EventRow {
            at_ms,
            event: event.into(),
            bytes: 0,
            data: String::new(),
            decoded: texts
                .iter()
                .map(|text| StreamEvent::TextDelta { text: (*text).into() })
                .collect(),
        }
    }

    #[test]
    fn rows_are_counted_in_their_slice_of_time() {
        let rows = [
            row(0.0, "message", &["a", ""]),
            row(100.0, COMMENT, &[]),
            row(400.0, "message", &["b", "c"]),
            row(960.0, "message", &[]),
        ];
        let timeline = of(&rows);
        assert_eq!(timeline.span_ms, 960.0);
        let at = |ms: f64| (ms / 960.0 * SLICES as f64) as usize;
        assert_eq!(timeline.events[0], 1);
        assert_eq!(timeline.comments[at(100.0)], 1);
        assert_eq!((timeline.events[at(400.0)], timeline.content[at(400.0)]), (1, 2));
        assert_eq!(timeline.events[SLICES - 1], 1, "the last row is in the last slice");
        assert_eq!(timeline.content.iter().sum::<u32>(), 3, "an empty text is no content");
        assert_eq!(timeline.longest_gap_ms, 560.0);
        assert_eq!(of(&[]).span_ms, 1.0);
    }
}
