//! The inspector's timeline of a stream's rows: events, comment lines and content counted per
//! slice of time, what the page's chart draws (a tick per slice with events, tokens per second
//! from the content). It is [`SLICES`] numbers a kind however many rows there are, so a window of
//! rows, or a live answer's batch, can carry it. Content is the core's
//! (`StreamEvent::is_content`), as the stream's numbers count it.

use runnel_core::inspect::{COMMENT, EventRow};

use crate::ipc_types::Timeline;

/// Slices of the time axis: about a pixel each at the panel's width.
pub const SLICES: usize = 480;

/// What the timeline counts of each row, kept as rows go by (a live answer's are sent, not kept),
/// so that a timeline can be drawn at any time.
#[derive(Debug, Default)]
pub struct Marks(Vec<Mark>);

#[derive(Debug)]
struct Mark {
    at_ms: f64,
    comment: bool,
    content: u32,
}

impl Marks {
    /// Counts `row`, the next in arrival order.
    pub fn push(&mut self, row: &EventRow) {
        self.0.push(Mark {
            at_ms: row.at_ms,
            comment: row.event == COMMENT,
            content: row.decoded.iter().filter(|event| event.is_content()).count() as u32,
        });
    }

    /// The timeline of the rows counted so far.
    pub fn timeline(&self) -> Timeline {
        let marks = &self.0;
        let span_ms = marks.iter().map(|mark| mark.at_ms).fold(1.0, f64::max);
        let mut timeline = Timeline {
            span_ms,
            events: vec![0; SLICES],
            comments: vec![0; SLICES],
            content: vec![0; SLICES],
            longest_gap_ms: 0.0,
        };
        for (index, mark) in marks.iter().enumerate() {
            // Truncation is the slice's floor; a row at the very end belongs to the last slice.
            let slice = ((mark.at_ms / span_ms * SLICES as f64) as usize).min(SLICES - 1);
            if mark.comment {
                timeline.comments[slice] += 1;
            } else {
                timeline.events[slice] += 1;
            }
            timeline.content[slice] += mark.content;
            if index > 0 {
                timeline.longest_gap_ms = timeline.longest_gap_ms.max(mark.at_ms - marks[index - 1].at_ms);
            }
        }
        timeline
    }
}

/// The timeline of `rows` (in arrival order).
pub fn of(rows: &[EventRow]) -> Timeline {
    let mut marks = Marks::default();
    rows.iter().for_each(|row| marks.push(row));
    marks.timeline()
}

#[cfg(test)]
mod tests {
    use runnel_core::StreamEvent;

    use super::*;

    fn row(at_ms: f64, event: &str, texts: &[&str]) -> EventRow {
        EventRow {
            at_ms,
            event: event.into(),
            bytes: 0,
            data: String::new(),
            fields: Vec::new(),
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
