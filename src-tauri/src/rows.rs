//! The inspector's rows of a recorded stream, read by the core ([`RowReader`]: each SSE event as
//! its protocol shows and decodes it, each comment line as it is, up to
//! [`Limits::inspector_rows`]), with the stream's summary and timeline. What is the app's here is
//! the answer: the summary shows the numbers saved under it, and a stream cut short ends on its
//! last row as the answer did.

use runnel_core::inspect::{EventRow, RowReader};
use runnel_core::provider::protocol;
use runnel_core::{Limits, Recording, StreamEvent};

use crate::error::{AppError, AppResult};
use crate::ipc_types::{MessageState, MessageView, ProtocolId, Stats, StreamSummary, Timeline};
use crate::timeline;

/// A stream decoded for the inspector.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedStream {
    /// The rows kept, in order.
    pub rows: Vec<EventRow>,
    /// Events past the bound: counted, no row built.
    pub more: u64,
    /// Its numbers.
    pub summary: StreamSummary,
    /// The rows per slice of time.
    pub timeline: Timeline,
}

/// What a summary says of where a stream came from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The protocol spoken.
    pub protocol: ProtocolId,
    /// The model asked for.
    pub model: Option<String>,
    /// The response's status, once known.
    pub status: Option<u16>,
    /// The body passed the recording limit.
    pub truncated: bool,
}

/// The summary of the stream `reader` has read so far, from `origin`, showing `stats`.
pub fn summary(origin: Origin, reader: &RowReader, stats: Stats) -> StreamSummary {
    StreamSummary {
        protocol: origin.protocol,
        model: origin.model,
        status: origin.status,
        events: reader.counted(),
        bytes: reader.bytes(),
        ttfb_ms: reader.first_ms(),
        truncated: origin.truncated,
        stats,
    }
}

/// The numbers `reader` counted from the stream so far.
pub fn counted(reader: &RowReader) -> Stats {
    Stats::new(reader.metrics(), reader.finish_reason())
}

/// The inspector's rows of `recording` (within `limits`), and its summary and timeline. With the
/// `answer` it was recorded for, the summary shows its saved stats, and a stream cut short ends as
/// the answer did (stopped, or with the error saved with it); a file's cut-short stream ends
/// `incomplete`, as `runnel chat` would read it. The ending goes on the last row only when it is
/// the stream's last event (nothing past the bound, nothing past the recording limit).
pub fn decode(recording: &Recording, answer: Option<&MessageView>, limits: &Limits) -> AppResult<DecodedStream> {
    let spoken = protocol(&recording.protocol)
        .ok_or_else(|| AppError::InvalidInput(format!("unknown protocol `{}`", recording.protocol)))?;
    let answered = recording.status.is_some_and(|status| (200..300).contains(&status));
    let mut reader = RowReader::new(spoken, answered, limits);
    let mut rows = Vec::new();
    for chunk in &recording.chunks {
        reader.push(chunk, &mut rows);
    }
    let ending = reader
        .finish(&mut rows)
        .filter(|_| reader.more() == 0 && !recording.truncated);
    let ending = match (ending, answer.map(|answer| answer.state)) {
        (Some(_), Some(MessageState::Stopped)) => Some(StreamEvent::Stopped),
        (Some(_), Some(MessageState::Error)) => None,
        (ending, _) => ending,
    };
    if let (Some(last), Some(ending)) = (rows.last_mut(), ending) {
        last.decoded.push(ending);
    }
    let stats = answer
        .and_then(|answer| answer.stats.clone())
        .unwrap_or_else(|| counted(&reader));
    let origin = Origin {
        protocol: ProtocolId(recording.protocol.clone()),
        model: recording.model.clone(),
        status: recording.status,
        truncated: recording.truncated,
    };
    Ok(DecodedStream {
        summary: summary(origin, &reader, stats),
        timeline: timeline::of(&rows),
        more: reader.more(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use runnel_core::{RecordedChunk, Role};

    use super::*;

    /// A 200 OpenAI recording of `reads`, each at its index in ms.
    fn recorded(reads: &[&[u8]]) -> Recording {
        let mut recording = Recording::new("openai", Some("gpt".into()));
        recording.status = Some(200);
        for (at, bytes) in reads.iter().enumerate() {
            recording.chunks.push(RecordedChunk {
                at_ms: at as f64,
                bytes: Bytes::copy_from_slice(bytes),
            });
        }
        recording
    }

    const DELTA: &str = r#"data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#;

    fn limit(rows: usize) -> Limits {
        Limits {
            inspector_rows: rows,
            ..Limits::default()
        }
    }

    fn answer(state: MessageState, stats: Option<Stats>) -> MessageView {
        MessageView {
            id: 1,
            conversation_id: 1,
            role: Role::Assistant,
            content: String::new(),
            thinking: String::new(),
            model: None,
            state,
            error: None,
            stats,
            created_at: 0,
            versions: None,
        }
    }

    fn ending(decoded: &DecodedStream) -> Option<&StreamEvent> {
        decoded.rows.last().and_then(|row| row.decoded.last())
    }

    #[test]
    fn a_cut_stream_ends_on_its_last_row_as_the_answer_did_and_only_with_nothing_past_the_bound() {
        let recording = recorded(&[format!("{DELTA}\n\n: a\n\n{DELTA}\n\ndata: {{\"cho").as_bytes()]);
        let file = decode(&recording, None, &limit(10)).unwrap();
        assert!(
            matches!(ending(&file), Some(StreamEvent::Error(error)) if error.kind == runnel_core::ErrorKind::Incomplete),
            "{:?}",
            file.rows.last()
        );
        let stopped = decode(&recording, Some(&answer(MessageState::Stopped, None)), &limit(10)).unwrap();
        assert_eq!(ending(&stopped), Some(&StreamEvent::Stopped));
        let failed = decode(&recording, Some(&answer(MessageState::Error, None)), &limit(10)).unwrap();
        assert_eq!(ending(&failed), None, "the page has the saved error");
        let bounded = decode(&recording, None, &limit(2)).unwrap();
        assert_eq!((bounded.more, bounded.summary.events), (2, 4));
        assert!(
            bounded
                .rows
                .iter()
                .all(|row| !row.decoded.iter().any(|event| matches!(event, StreamEvent::Error(_))))
        );
    }

    #[test]
    fn the_summary_shows_the_answers_saved_stats_else_the_cores_count() {
        let body = format!("{DELTA}\n\n{DELTA}\n\ndata: [DONE]\n\n");
        let recording = recorded(&[&body.as_bytes()[..60], &body.as_bytes()[60..]]);
        let file = decode(&recording, None, &limit(10)).unwrap();
        let stats = &file.summary.stats;
        assert_eq!(
            (stats.ttft_ms, stats.output_tokens, stats.tokens_estimated),
            (Some(0.0), Some(2), true)
        );
        assert_eq!(stats.finish_reason.as_deref(), Some("stop"));
        assert_eq!(
            (file.summary.events, file.summary.bytes, file.summary.ttfb_ms),
            (3, body.len() as u64, Some(0.0))
        );
        assert_eq!(file.timeline.content.iter().sum::<u32>(), 2);
        let saved = Stats {
            ttft_ms: Some(12.5),
            ..stats.clone()
        };
        let kept = decode(
            &recording,
            Some(&answer(MessageState::Done, Some(saved.clone()))),
            &limit(10),
        )
        .unwrap();
        assert_eq!(kept.summary.stats, saved);
        let mut unknown = recording;
        unknown.protocol = "gopher".into();
        assert!(matches!(
            decode(&unknown, None, &limit(10)),
            Err(AppError::InvalidInput(_))
        ));
    }
}
