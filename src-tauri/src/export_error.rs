//! Why a conversation export or import failed: the errors of `export/`, apart from it so that
//! `error.rs` can carry them without naming the module that names it (docs/EXPORT.md).

use std::io;
use std::path::PathBuf;

/// Why an export could not be written or its folder shown.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The folder or the file could not be made or written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Every name tried was taken.
    #[error("{} already holds {tried} files named “{stem}”: none is free", dir.display())]
    NoFreeName {
        /// The folder.
        dir: PathBuf,
        /// The name tried, before its number.
        stem: String,
        /// How many names were tried.
        tried: usize,
    },
    /// The page named an export this run did not write (or forgot).
    #[error("no file exported now has id {0}")]
    Unknown(u64),
    /// The file manager could not be started.
    #[error("cannot open the folder {}: {source}", path.display())]
    Open {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// Why a file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Larger than [`MAX_BYTES`].
    #[error("the file is {bytes} bytes, more than the {} MiB a conversation export may be", limit >> 20)]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The most bytes imported.
        limit: usize,
    },
    /// Not JSON at all.
    #[error("the file is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a Runnel conversation export.
    #[error("the file is not a Runnel conversation export: its format is {found}, not \"{expected}\"")]
    WrongFormat {
        /// The format it names (as JSON), or `missing`.
        found: String,
        /// The format of Runnel's exports.
        expected: &'static str,
    },
    /// Written by a newer Runnel.
    #[error("the file was written by a newer Runnel (schema version {found}; this one reads version {supported})")]
    TooNew {
        /// Its version.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// A version that never existed (or none).
    #[error(
        "the file's schema version is {found}, not a version of this format (this Runnel reads version {supported})"
    )]
    BadVersion {
        /// Its `version` (as JSON), or `missing`.
        found: String,
        /// The version this build reads.
        supported: u32,
    },
    /// A field missing or of the wrong type.
    #[error("the file does not follow the conversation schema: {0}")]
    Schema(String),
    /// The conversation it describes cannot be: each problem, for a person.
    #[error("the conversation cannot be restored: {}", .0.join("; "))]
    Invalid(Vec<String>),
}
