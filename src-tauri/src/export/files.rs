//! Export files in the downloads folder: written under the first free name made from the
//! conversation's title (`Title.md`, `Title (2).md`, …), each created new, so nothing there is
//! overwritten and a symbolic link is never followed; and the folder of a file written here shown
//! in the system's file manager, by the id this side gave it, never by a path from the page.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use crate::export_error::ExportError;

/// The most names tried (`Title.md` … `Title (1000).md`).
pub const NAMES_TRIED: usize = 1_000;
/// The most characters of a title a file name keeps.
pub const STEM_CHARS: usize = 80;
/// The most exported files whose folder can be shown (the oldest are forgotten).
pub const REMEMBERED: usize = 64;

/// Writes `bytes` to a new file in `dir` (created if missing) named after `title` with
/// `extension`: the first free name of `Title.ext`, `Title (2).ext`, …; returns its path. A
/// half-written file is removed.
pub fn write_new(dir: &Path, title: &str, extension: &str, bytes: &[u8]) -> Result<PathBuf, ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let stem = file_stem(title);
    for number in 1..=NAMES_TRIED {
        let path = match number {
            1 => dir.join(format!("{stem}.{extension}")),
            number => dir.join(format!("{stem} ({number}).{extension}")),
        };
        let file = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            opened => opened.map_err(|source| ExportError::Write {
                path: path.clone(),
                source,
            })?,
        };
        return fill(file, &path, bytes).map(|()| path);
    }
    Err(ExportError::NoFreeName {
        dir: dir.to_owned(),
        stem,
        tried: NAMES_TRIED,
    })
}

/// Writes `bytes` to the new `file` at `path` and syncs it; removes it on a failure.
fn fill(mut file: File, path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|source| {
        let _ = std::fs::remove_file(path);
        ExportError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

/// A file name from `title`: without path separators, characters file systems refuse
/// (`<>:"/\|?*`) and control characters, spaces collapsed, no leading or trailing dot or space, at
/// most [`STEM_CHARS`] characters; `Conversation` when nothing is left.
pub fn file_stem(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if c.is_control() || "<>:\"/\\|?*".contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let stem: String = words.join(" ").chars().take(STEM_CHARS).collect();
    let stem = stem.trim_matches(|c: char| c == '.' || c == ' ');
    if stem.is_empty() {
        "Conversation".to_owned()
    } else {
        stem.to_owned()
    }
}

/// The files exported in this run, by the id the page names them with ("Show in folder").
#[derive(Default)]
pub struct ExportedFiles(Mutex<Exported>);

#[derive(Default)]
struct Exported {
    next: u64,
    files: std::collections::VecDeque<(u64, PathBuf)>,
}

impl ExportedFiles {
    /// Remembers `path`, written by an export; returns its id.
    pub fn remember(&self, path: PathBuf) -> u64 {
        let mut exported = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        exported.next += 1;
        let id = exported.next;
        if exported.files.len() == REMEMBERED {
            exported.files.pop_front();
        }
        exported.files.push_back((id, path));
        id
    }

    /// The folder holding the exported file `id`.
    pub fn folder(&self, id: u64) -> Result<PathBuf, ExportError> {
        let exported = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        exported
            .files
            .iter()
            .find(|(known, _)| *known == id)
            .and_then(|(_, path)| path.parent())
            .map(Path::to_owned)
            .ok_or(ExportError::Unknown(id))
    }

    /// Opens the folder holding the exported file `id` in the system's file manager.
    pub fn show(&self, id: u64) -> Result<(), ExportError> {
        let folder = self.folder(id)?;
        open::that_detached(&folder).map_err(|source| ExportError::Open { path: folder, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized_and_bounded() {
        assert_eq!(file_stem("What is Rust?"), "What is Rust");
        assert_eq!(file_stem("../../etc/passwd"), "etc passwd");
        assert_eq!(file_stem("  a\tb\nc  "), "a b c");
        assert_eq!(file_stem("..."), "Conversation");
        assert_eq!(file_stem("<>:\"/\\|?*"), "Conversation");
        assert_eq!(file_stem(&"é".repeat(200)).chars().count(), STEM_CHARS);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_gets_the_first_free_name_and_nothing_is_overwritten_or_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = elsewhere.path().join("victim");
        std::fs::write(dir.path().join("Title.md"), "mine").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("Title (2).md")).unwrap();
        let first = write_new(dir.path(), "Title", "md", b"one").unwrap();
        let second = write_new(dir.path(), "Title", "md", b"two").unwrap();
        assert_eq!(first, dir.path().join("Title (3).md"));
        assert_eq!(second, dir.path().join("Title (4).md"));
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        assert_eq!(std::fs::read_to_string(dir.path().join("Title.md")).unwrap(), "mine");
        assert!(!victim.exists(), "the link was never followed");
        let nested = write_new(&dir.path().join("new/folder"), "x", "json", b"{}").unwrap();
        assert!(nested.is_file());
    }

    #[test]
    fn only_a_file_exported_here_has_a_folder_to_show() {
        let files = ExportedFiles::default();
        let id = files.remember(PathBuf::from("/downloads/Title.md"));
        assert_eq!(files.folder(id).unwrap(), PathBuf::from("/downloads"));
        assert!(matches!(files.folder(id + 1), Err(ExportError::Unknown(_))));
        for n in 0..REMEMBERED {
            files.remember(PathBuf::from(format!("/d/{n}.md")));
        }
        assert!(files.folder(id).is_err(), "the oldest is forgotten");
    }
}
