//! Every answer's stream as it came off the wire, kept with the answer for the inspector: saved
//! when the answer ends (the `.sse` file's two parts, sidecar and body, in the `recordings` table;
//! deleting the answer deletes it), kept `recordings_keep_days` days, turned into the
//! inspector's rows, and exported as an `.sse` file to the downloads folder.
//!
//! The rows are the recording's SSE events ([`Recording::frames`]) each decoded again by the
//! protocol's own decoder, so they show what the page received. An `.sse` file opened from disk
//! gives the same rows.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use runnel_core::provider::{EventDecoder, Step, protocol};
use runnel_core::recording::COMMENT;
use runnel_core::sse::SseFrame;
use runnel_core::sse_file::{self, SseFileError};
use runnel_core::{Limits, RawFrame, Recording, StreamError, StreamEvent};

use crate::error::{AppError, AppResult};
use crate::models::{EventRow, MessageState, MessageView, StreamEvents, StreamSummary};
use crate::store::{Store, now_ms};

/// The setting holding how many days recordings are kept.
pub const KEEP_DAYS: &str = "recordings_keep_days";
/// Days recordings are kept when the setting was never set.
pub const DEFAULT_KEEP_DAYS: u32 = 30;
/// The most days the setting may say (ten years).
pub const MAX_KEEP_DAYS: u32 = 3650;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Days recordings are kept (0: none are).
pub fn keep_days(store: &Store) -> AppResult<u32> {
    Ok(store
        .setting(KEEP_DAYS)?
        .and_then(|days| days.parse().ok())
        .unwrap_or(DEFAULT_KEEP_DAYS))
}

/// Sets how many days recordings are kept and deletes those now older; 0 deletes them all.
pub fn set_keep_days(store: &Store, days: u32) -> AppResult<()> {
    if days > MAX_KEEP_DAYS {
        return Err(AppError::InvalidInput(format!(
            "recordings can be kept at most {MAX_KEEP_DAYS} days"
        )));
    }
    store.set_setting(KEEP_DAYS, &days.to_string())?;
    prune(store).map(drop)
}

/// Deletes the recordings older than the setting allows (all of them at 0); returns how many.
pub fn prune(store: &Store) -> AppResult<usize> {
    let days = i64::from(keep_days(store)?);
    let before = if days == 0 { i64::MAX } else { now_ms() - days * DAY_MS };
    store.delete_recordings_before(before)
}

/// Keeps `recording` with answer `message_id`, unless recordings are kept 0 days or no response
/// arrived (nothing was recorded). A failure is logged and goes no further: the answer is saved
/// apart, and a missing recording costs only the inspector's view of it.
pub fn keep(store: &Store, message_id: i64, recording: Option<&Recording>) {
    let Some(recording) = recording.filter(|recording| recording.status.is_some()) else {
        return;
    };
    let kept = keep_days(store).and_then(|days| {
        if days == 0 {
            return Ok(());
        }
        let sidecar = sse_file::sidecar(recording)?;
        store.save_recording(message_id, &sidecar, &recording.body())
    });
    if let Err(error) = kept {
        tracing::warn!(%error, message_id, "could not keep an answer's recorded stream; the answer is saved");
    }
}

/// The recording kept with answer `message_id`.
pub fn load(store: &Store, message_id: i64) -> AppResult<Recording> {
    let (sidecar, body) = store.recording(message_id)?.ok_or_else(|| {
        AppError::NotFound(format!(
            "answer {message_id} has no recorded stream: it was answered before Runnel kept them, or \
             removed by the retention setting ({} days)",
            keep_days(store).unwrap_or(DEFAULT_KEEP_DAYS)
        ))
    })?;
    let origin = PathBuf::from(format!("recording of answer {message_id}"));
    Ok(sse_file::parse(
        Bytes::from(body),
        sidecar.as_bytes(),
        &origin,
        &Limits::default(),
    )?)
}

/// The rows and summary of answer `message_id`'s recorded stream.
pub fn stream_events(store: &Store, message_id: i64) -> AppResult<StreamEvents> {
    let recording = load(store, message_id)?;
    let message = store.message(message_id)?;
    Ok(rows(&recording, Some(&message)))
}

/// The rows and summary of the `.sse` file at `path` (with its sidecar when there is one). A file
/// not named `.sse`, or one that holds no SSE event, is refused with a sentence saying so.
pub fn open_file(path: &Path) -> AppResult<StreamEvents> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    if path.extension().is_none_or(|extension| extension != "sse") {
        return Err(AppError::InvalidInput(format!(
            "{name} is not an .sse file: open a stream saved by Runnel's Export or by `runnel chat --save-sse`"
        )));
    }
    let file = sse_file::read(path, &Limits::default())?;
    let events = rows(&file.recording, None);
    if events.rows.is_empty() && file.recording.body_len() > 0 {
        return Err(AppError::InvalidInput(format!(
            "{name} holds no SSE events (no `data:` lines): it is not a saved stream"
        )));
    }
    Ok(events)
}

/// Writes answer `message_id`'s recorded stream to `dir` (created if missing) as an `.sse` file
/// and its sidecar, named after `title` (`title-2.sse`, … when taken), never over or through
/// anything already there ([`sse_file::write_numbered`]); returns the file's path.
pub fn export(store: &Store, message_id: i64, title: &str, dir: &Path) -> AppResult<PathBuf> {
    let recording = load(store, message_id)?;
    std::fs::create_dir_all(dir).map_err(|source| SseFileError::Write {
        path: dir.to_owned(),
        source,
    })?;
    Ok(sse_file::write_numbered(
        dir,
        &file_stem(title, message_id),
        &recording,
    )?)
}

/// The downloads folder: `XDG_DOWNLOAD_DIR`, else `~/Downloads` (`None` without a home).
pub fn downloads_dir() -> Option<PathBuf> {
    let from_env = |name| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    from_env("XDG_DOWNLOAD_DIR").or_else(|| from_env("HOME").map(|home| home.join("Downloads")))
}

/// A file name from `title`: its letters, digits, `-` and `_` (other characters become `-`), at
/// most 60 characters; `answer-<id>` when nothing is left.
fn file_stem(title: &str, message_id: i64) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' })
        .take(60)
        .collect();
    let words: Vec<&str> = cleaned.split('-').filter(|word| !word.is_empty()).collect();
    if words.is_empty() {
        format!("answer-{message_id}")
    } else {
        words.join("-")
    }
}

/// Turns an inspector's frames into rows, in order: each SSE event decoded again by the
/// protocol's own decoder (until its terminator or an error), a comment line ([`COMMENT`]) as it
/// is; and gathers what the summary reads off the decoded events.
pub struct RowDecoder {
    decoder: Option<Box<dyn EventDecoder>>,
    ttft_ms: Option<f64>,
    finish_reason: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

impl RowDecoder {
    /// Rows of a stream in `protocol`; `answered`: its response was an event stream (2xx), so
    /// its events are decoded (an error body's are not).
    pub fn new(protocol_id: &str, answered: bool) -> Self {
        Self {
            decoder: protocol(protocol_id)
                .filter(|_| answered)
                .map(|protocol| protocol.decoder()),
            ttft_ms: None,
            finish_reason: None,
            input_tokens: None,
            output_tokens: None,
        }
    }

    /// The row of `frame`, the stream's next. `cut`: it is an event the body cut off, which,
    /// like the live stream, is no error of its own when it fails to decode (the stream is partial).
    pub fn row(&mut self, frame: RawFrame, cut: bool) -> EventRow {
        let mut decoded = Vec::new();
        if let Some(active) = self.decoder.as_mut().filter(|_| frame.event != COMMENT) {
            let sse = SseFrame {
                event: if frame.event == "message" {
                    String::new()
                } else {
                    frame.event.clone()
                },
                data: frame.data.clone(),
                ..SseFrame::default()
            };
            match active.decode(&sse, &mut decoded) {
                Ok(Step::More) => {}
                Ok(Step::Done(finish)) => {
                    decoded.push(finish.into());
                    self.decoder = None;
                }
                Err(_) if cut => {}
                Err(error) => {
                    decoded.push(StreamEvent::Error(error));
                    self.decoder = None;
                }
            }
        }
        for event in &decoded {
            match event {
                event if event.is_content() => {
                    self.ttft_ms.get_or_insert(frame.at_ms);
                }
                StreamEvent::Usage(usage) => {
                    self.input_tokens = usage.input_tokens.or(self.input_tokens);
                    self.output_tokens = usage.output_tokens.or(self.output_tokens);
                }
                StreamEvent::Finish { reason, .. } => self.finish_reason = Some(reason.as_str().to_owned()),
                _ => {}
            }
        }
        EventRow {
            at_ms: frame.at_ms,
            event: frame.event,
            bytes: frame.data.len() as u64,
            data: frame.data,
            decoded,
        }
    }

    /// The protocol's terminator when the stream has not reached it (nor failed) yet.
    fn awaited_terminator(&self) -> Option<&'static str> {
        self.decoder.as_ref().map(|decoder| decoder.terminator())
    }
}

/// The inspector's rows of `recording`, and its summary. With the `answer` it was recorded for,
/// the numbers come from its saved stats, and a stream cut short ends as the answer did (stopped,
/// or with the error saved with it); a file's cut-short stream ends `incomplete`, as `runnel
/// chat` would read it.
pub fn rows(recording: &Recording, answer: Option<&MessageView>) -> StreamEvents {
    let stats = answer.and_then(|answer| answer.stats.as_ref());
    let answered = recording.status.is_some_and(|status| (200..300).contains(&status));
    let mut decoder = RowDecoder::new(&recording.protocol, answered);
    let frames = recording.frames();
    // The last frame was cut off when the body does not end with a blank line.
    let cut = !ends_an_event(&tail(recording));
    let last_index = frames.len().saturating_sub(1);
    let mut rows: Vec<EventRow> = frames
        .into_iter()
        .enumerate()
        .map(|(index, frame)| decoder.row(frame, cut && index == last_index))
        .collect();
    if answered && let Some(terminator) = decoder.awaited_terminator().filter(|_| !recording.truncated) {
        // The body ended before the protocol's terminator: the ending the page got.
        let ending = match answer.map(|answer| answer.state) {
            Some(MessageState::Stopped) => Some(StreamEvent::Stopped),
            Some(MessageState::Error) => None,
            _ => Some(StreamEvent::Error(StreamError::cut_short(terminator, cut))),
        };
        if let (Some(last), Some(ending)) = (rows.last_mut(), ending) {
            last.decoded.push(ending);
        }
    }
    let RowDecoder {
        ttft_ms,
        finish_reason,
        input_tokens,
        output_tokens,
        ..
    } = decoder;
    let last_ms = recording.chunks.last().map(|chunk| chunk.at_ms);
    let recorded_rate = match (ttft_ms, last_ms, output_tokens) {
        (Some(first), Some(last), Some(tokens)) if last > first => Some(tokens as f64 * 1000.0 / (last - first)),
        _ => None,
    };
    let summary = StreamSummary {
        protocol: recording.protocol.clone(),
        model: recording.model.clone(),
        status: recording.status,
        events: rows.len() as u64,
        bytes: recording.body_len() as u64,
        duration_ms: stats.map(|stats| stats.duration_ms).or(last_ms),
        ttfb_ms: recording.chunks.first().map(|chunk| chunk.at_ms),
        ttft_ms: stats.and_then(|stats| stats.ttft_ms).or(ttft_ms),
        tokens_per_sec: stats.and_then(|stats| stats.tokens_per_sec).or(recorded_rate),
        finish_reason: stats.and_then(|stats| stats.finish_reason.clone()).or(finish_reason),
        input_tokens: stats.and_then(|stats| stats.input_tokens).or(input_tokens),
        output_tokens: stats.and_then(|stats| stats.output_tokens).or(output_tokens),
        truncated: recording.truncated,
    };
    StreamEvents { rows, summary }
}

/// The last (up to) four bytes of `recording`'s body.
fn tail(recording: &Recording) -> Vec<u8> {
    let mut tail = Vec::new();
    for chunk in recording.chunks.iter().rev() {
        let wanted = 4 - tail.len();
        let start = chunk.bytes.len().saturating_sub(wanted);
        tail.splice(0..0, chunk.bytes[start..].iter().copied());
        if tail.len() == 4 {
            break;
        }
    }
    tail
}

/// True when `tail` (a body's end) closes an event: a blank line, in any of SSE's line ends.
fn ends_an_event(tail: &[u8]) -> bool {
    tail.is_empty()
        || [&b"\n\n"[..], b"\r\r", b"\r\n\r\n", b"\n\r\n", b"\r\n\n"]
            .iter()
            .any(|end| tail.ends_with(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_title() {
        assert_eq!(file_stem("What is Rust? (2/2)", 7), "What-is-Rust-2-2");
        assert_eq!(file_stem("../../etc", 7), "etc");
        assert_eq!(file_stem("???", 7), "answer-7");
    }

    /// An answer with a recorded stream of `body` in `store`.
    fn recorded_answer(store: &Store, body: &'static [u8]) -> i64 {
        let conversation = store.create_conversation().unwrap();
        let answer = store
            .add_message(conversation.id, "assistant", "", None, MessageState::Done)
            .unwrap();
        let mut recording = Recording::new("openai", None);
        recording.status = Some(200);
        recording.chunks.push(runnel_core::RecordedChunk {
            at_ms: 1.0,
            bytes: Bytes::from_static(body),
        });
        keep(store, answer.id, Some(&recording));
        answer.id
    }

    #[cfg(unix)]
    #[test]
    fn exports_at_once_take_their_own_names_and_never_follow_a_link() {
        let store = Store::in_memory().unwrap();
        let answer = recorded_answer(&store, b"data: [DONE]\n\n");
        let downloads = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = elsewhere.path().join("victim");
        std::os::unix::fs::symlink(&victim, downloads.path().join("Title.sse")).unwrap();
        let paths: Vec<PathBuf> = std::thread::scope(|scope| {
            let exports: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| export(&store, answer, "Title", downloads.path()).unwrap()))
                .collect();
            exports.into_iter().map(|export| export.join().unwrap()).collect()
        });
        let mut names: Vec<_> = paths.iter().map(|path| path.file_name().unwrap().to_owned()).collect();
        names.sort();
        assert_eq!(names, ["Title-2.sse", "Title-3.sse", "Title-4.sse", "Title-5.sse"]);
        for path in &paths {
            assert_eq!(std::fs::read(path).unwrap(), b"data: [DONE]\n\n", "{}", path.display());
            assert!(sse_file::sidecar_path(path).is_file(), "{}", path.display());
        }
        assert!(!victim.exists(), "the link at Title.sse was never followed");
    }

    #[test]
    fn an_event_is_closed_by_a_blank_line_in_any_line_end() {
        let mut recording = Recording::new("openai", None);
        for bytes in [&b"data: x\n"[..], b"\n", b"da"] {
            recording.chunks.push(runnel_core::RecordedChunk {
                at_ms: 0.0,
                bytes: Bytes::copy_from_slice(bytes),
            });
        }
        assert_eq!(tail(&recording), b"\n\nda");
        assert!(!ends_an_event(&tail(&recording)));
        recording.chunks.pop();
        assert!(ends_an_event(&tail(&recording)));
        assert!(ends_an_event(b"a\r\n\r\n") && ends_an_event(b"\r\r") && !ends_an_event(b"x\r\n"));
    }

    #[test]
    fn retention_zero_keeps_nothing_and_deletes_what_was_kept() {
        let store = Store::in_memory().unwrap();
        let conversation = store.create_conversation().unwrap();
        let answer = store
            .add_message(
                conversation.id,
                "assistant",
                "",
                None,
                crate::models::MessageState::Done,
            )
            .unwrap();
        let mut recording = Recording::new("openai", None);
        recording.status = Some(200);
        keep(&store, answer.id, Some(&recording));
        assert!(load(&store, answer.id).is_ok());
        set_keep_days(&store, 0).unwrap();
        assert!(matches!(load(&store, answer.id), Err(AppError::NotFound(_))));
        keep(&store, answer.id, Some(&recording));
        assert!(matches!(load(&store, answer.id), Err(AppError::NotFound(_))));
        assert!(set_keep_days(&store, MAX_KEEP_DAYS + 1).is_err());
    }
}
