//! Every answer's stream as it came off the wire, kept with the answer for the inspector: saved
//! when the answer ends (the `.sse` file's two parts, sidecar and body, in the `recordings` table;
//! deleting the answer deletes it), kept `recordings_keep_days` days, shown as the inspector's
//! rows, and exported as an `.sse` file to the downloads folder.
//!
//! The rows (`rows.rs`) are the recording's SSE events read again by the core, as the stream read
//! them, so they show what the page received; the page gets them a window at a time, from the
//! decoded streams `row_windows.rs` keeps. An `.sse` file opened from disk gives the same rows.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use runnel_core::sse_file::{self, SseFileError};
use runnel_core::{Limits, Recording};

use crate::error::{AppError, AppResult};
use crate::ipc_types::StreamEvents;
use crate::row_windows::{RowCache, Source, Window};
use crate::rows;
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
    let (sidecar, body) = store.recording(message_id)?.ok_or_else(|| missing(store, message_id))?;
    let origin = PathBuf::from(format!("recording of answer {message_id}"));
    Ok(sse_file::parse(
        Bytes::from(body),
        sidecar.as_bytes(),
        &origin,
        &Limits::default(),
    )?)
}

/// Why answer `message_id` has no recording.
fn missing(store: &Store, message_id: i64) -> AppError {
    AppError::NotFound(format!(
        "answer {message_id} has no recorded stream: it was answered before Runnel kept them, or \
         removed by the retention setting ({} days)",
        keep_days(store).unwrap_or(DEFAULT_KEEP_DAYS)
    ))
}

/// `window` of the inspector's rows of answer `message_id`'s recorded stream, with its summary,
/// decoded once and kept in `cache`.
pub fn stream_events(store: &Store, cache: &RowCache, message_id: i64, window: &Window) -> AppResult<StreamEvents> {
    let (saved_at, bytes) = store
        .recording_stamp(message_id)?
        .ok_or_else(|| missing(store, message_id))?;
    let source = Source::Answer {
        message_id,
        saved_at,
        bytes,
    };
    cache.window(source, window, || {
        let recording = load(store, message_id)?;
        let message = store.message(message_id)?;
        rows::decode(&recording, Some(&message), &Limits::default())
    })
}

/// `window` of the inspector's rows of the `.sse` file at `path` (with its sidecar when there is
/// one), with its summary, decoded once and kept in `cache` while the file stays as it is. A file
/// not named `.sse`, or one that holds no SSE event, is refused with a sentence saying so.
pub fn open_file(cache: &RowCache, path: &Path, window: &Window) -> AppResult<StreamEvents> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    if path.extension().is_none_or(|extension| extension != "sse") {
        return Err(AppError::InvalidInput(format!(
            "{name} is not an .sse file: open a stream saved by Runnel's Export or by `runnel chat --save-sse`"
        )));
    }
    let source = Source::file(path, &sse_file::sidecar_path(path));
    cache.window(source, window, || {
        let limits = Limits::default();
        let file = sse_file::read(path, &limits)?;
        let decoded = rows::decode(&file.recording, None, &limits)?;
        if decoded.rows.is_empty() && file.recording.body_len() > 0 {
            return Err(AppError::InvalidInput(format!(
                "{name} holds no SSE events (no `data:` lines): it is not a saved stream"
            )));
        }
        Ok(decoded)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_title() {
        assert_eq!(file_stem("What is Rust? (2/2)", 7), "What-is-Rust-2-2");
        assert_eq!(file_stem("../../etc", 7), "etc");
        assert_eq!(file_stem("???", 7), "answer-7");
    }

    /// An answer with a recorded stream of `chunks` kept in `store`.
    fn recorded_answer(store: &Store, chunks: &[&'static [u8]]) -> i64 {
        let conversation = store.create_conversation().unwrap();
        let answer = store
            .add_message(
                conversation.id,
                runnel_core::Role::Assistant,
                "",
                None,
                crate::ipc_types::MessageState::Done,
            )
            .unwrap();
        let mut recording = Recording::new("openai", None);
        recording.status = Some(200);
        recording.chunks = chunks
            .iter()
            .map(|bytes| runnel_core::RecordedChunk {
                at_ms: 1.0,
                bytes: Bytes::from_static(bytes),
            })
            .collect();
        keep(store, answer.id, Some(&recording));
        answer.id
    }

    #[cfg(unix)]
    #[test]
    fn exports_at_once_take_their_own_names_and_never_follow_a_link() {
        let store = Store::in_memory().unwrap();
        let answer = recorded_answer(&store, &[b"data: [DONE]\n\n"]);
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
    fn retention_zero_keeps_nothing_and_deletes_what_was_kept() {
        let store = Store::in_memory().unwrap();
        let kept = recorded_answer(&store, &[]);
        assert!(load(&store, kept).is_ok());
        set_keep_days(&store, 0).unwrap();
        assert!(matches!(load(&store, kept), Err(AppError::NotFound(_))));
        let answered_since = recorded_answer(&store, &[]);
        assert!(matches!(load(&store, answered_since), Err(AppError::NotFound(_))));
        assert!(set_keep_days(&store, MAX_KEEP_DAYS + 1).is_err());
    }
}
