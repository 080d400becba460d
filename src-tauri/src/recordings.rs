//! Every answer's stream as it came off the wire, kept with the answer for the inspector: saved
//! when the answer ends (the `.sse` file's two parts, sidecar and body, in the `recordings` table;
//! deleting the answer deletes it), kept `recordings_keep_days` days, shown as the inspector's
//! rows, and exported as an `.sse` file to the downloads folder.
//!
//! The rows (`rows.rs`) are the recording's SSE events each decoded again by the protocol's own
//! decoder, so they show what the page received; the page gets them a window at a time, from the
//! decoded streams `row_windows.rs` keeps. An `.sse` file opened from disk gives the same rows.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use runnel_core::sse_file::{self, SseFileError};
use runnel_core::{Limits, Recording};

use crate::error::{AppError, AppResult};
use crate::models::StreamEvents;
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
        Ok(rows::decode(
            &recording,
            Some(&message),
            Limits::default().inspector_rows,
        ))
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
        let decoded = rows::decode(&file.recording, None, limits.inspector_rows);
        if decoded.rows.is_empty() && file.recording.body_len() > 0 {
            return Err(AppError::InvalidInput(format!(
                "{name} holds no SSE events (no `data:` lines): it is not a saved stream"
            )));
        }
        Ok(decoded)
    })
}

/// Writes answer `message_id`'s recorded stream to `dir` (created if missing) as an `.sse` file
/// and its sidecar, named after `title`, never over an existing file; returns the file's path.
pub fn export(store: &Store, message_id: i64, title: &str, dir: &Path) -> AppResult<PathBuf> {
    let recording = load(store, message_id)?;
    std::fs::create_dir_all(dir).map_err(|source| SseFileError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let path = free_path(dir, &file_stem(title, message_id));
    sse_file::write(&path, &recording)?;
    Ok(path)
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

/// `dir/stem.sse`, or `dir/stem-2.sse`, … : the first whose file and sidecar both do not exist.
fn free_path(dir: &Path, stem: &str) -> PathBuf {
    (1u32..)
        .map(|n| match n {
            1 => dir.join(format!("{stem}.sse")),
            n => dir.join(format!("{stem}-{n}.sse")),
        })
        .find(|path| !path.exists() && !sse_file::sidecar_path(path).exists())
        .expect("some numbered name is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_title_and_never_overwrite() {
        assert_eq!(file_stem("What is Rust? (2/2)", 7), "What-is-Rust-2-2");
        assert_eq!(file_stem("../../etc", 7), "etc");
        assert_eq!(file_stem("???", 7), "answer-7");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_path(dir.path(), "a"), dir.path().join("a.sse"));
        std::fs::write(dir.path().join("a.sse.json"), "").unwrap();
        assert_eq!(free_path(dir.path(), "a"), dir.path().join("a-2.sse"));
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
