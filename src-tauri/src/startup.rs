//! Start-up problems. The app always opens: a providers file it cannot use, a data folder it
//! cannot write, a database from a newer Runnel or a damaged one each become a [`Problem`] that
//! the page shows in a banner (through `app_info`), and the app goes on with what still works —
//! the built-in providers, or history kept in memory only.

use std::path::{Path, PathBuf};

use runnel_core::Catalog;
use runnel_core::catalog::read_providers_file;

use crate::error::AppResult;
use crate::ipc_types::StartupProblem;
use crate::store::{OpenError, Store};

/// The history database's file name inside the data folder.
pub const DATABASE_FILE: &str = "runnel.sqlite3";

/// Something that went wrong while the app opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// `RUNNEL_PROVIDERS_FILE` could not be read or parsed; only the built-in providers are offered.
    #[error("The providers file {path} could not be used: {reason}{}", at(*line, *column))]
    ProvidersFile {
        /// The file.
        path: PathBuf,
        /// The line of the mistake (1-based), when the file could be read.
        line: Option<usize>,
        /// Its column (1-based).
        column: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// Prices in `RUNNEL_PROVIDERS_FILE` that cannot be used were left out; the rest of the file
    /// is in use.
    #[error("Prices in the providers file {path} were left out: {}", reasons.join("; "))]
    ProviderPrices {
        /// The file.
        path: PathBuf,
        /// Each left out, naming its provider and model, and why.
        reasons: Vec<String>,
    },
    /// History cannot be written where it belongs; it is kept in memory for this session.
    #[error("History cannot be saved in {path}: {reason}.")]
    HistoryUnavailable {
        /// The data folder or the database file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The database was written by a newer Runnel: it was left untouched, history is in memory.
    #[error(
        "The history database {path} was written by a newer Runnel (schema version {found}); this version reads up to {supported}."
    )]
    DatabaseTooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest schema version this build reads.
        supported: i64,
    },
    /// The database was damaged: it was moved aside and a new one started.
    #[error("The history database {path} was damaged ({reason}); it was moved to {moved_to}.")]
    DatabaseCorrupt {
        /// Where it was.
        path: PathBuf,
        /// Where the damaged copy is now.
        moved_to: PathBuf,
        /// What SQLite said.
        reason: String,
    },
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        _ => String::new(),
    }
}

impl Problem {
    /// The stable word the page switches on.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ProvidersFile { .. } => "providers_file",
            Self::ProviderPrices { .. } => "provider_prices",
            Self::HistoryUnavailable { .. } => "history_unavailable",
            Self::DatabaseTooNew { .. } => "database_too_new",
            Self::DatabaseCorrupt { .. } => "database_corrupt",
        }
    }

    /// What the person can do about it, and what works meanwhile.
    pub fn action(&self) -> &'static str {
        match self {
            Self::ProvidersFile { .. } => "Fix the file and restart Runnel. The built-in providers work meanwhile.",
            Self::ProviderPrices { .. } => {
                "Those models show no cost meanwhile (a price can also be set in Settings); everything else in the file is in use. Fix the file and restart Runnel."
            }
            Self::HistoryUnavailable { .. } => {
                "Chat works, but this session's history won't be saved. Check the folder's permissions and free space, then restart Runnel."
            }
            Self::DatabaseTooNew { .. } => {
                "It was left untouched: update Runnel to see that history. Chat works, but this session's history won't be saved."
            }
            Self::DatabaseCorrupt { .. } => {
                "A new, empty history was started. The damaged copy is kept, for recovery tools."
            }
        }
    }

    /// The file or folder concerned.
    pub fn path(&self) -> &Path {
        match self {
            Self::ProvidersFile { path, .. }
            | Self::ProviderPrices { path, .. }
            | Self::HistoryUnavailable { path, .. }
            | Self::DatabaseTooNew { path, .. }
            | Self::DatabaseCorrupt { path, .. } => path,
        }
    }
}

impl From<&Problem> for StartupProblem {
    fn from(problem: &Problem) -> Self {
        let (line, column) = match problem {
            Problem::ProvidersFile { line, column, .. } => (*line, *column),
            _ => (None, None),
        };
        Self {
            kind: problem.kind().to_owned(),
            message: problem.to_string(),
            action: problem.action().to_owned(),
            path: problem.path().display().to_string(),
            line,
            column,
        }
    }
}

/// The built-in providers and those of the providers file at `path` (with the prices it wrote
/// that were left out, if any), or the problem that leaves only the built-ins.
pub fn providers_file(path: &Path) -> Result<(Catalog, Option<Problem>), Problem> {
    let mut catalog = Catalog::builtin();
    read_providers_file(path)
        .and_then(|defs| catalog.extend(defs))
        .map(|()| {
            let reasons = catalog.price_problems();
            let problem = (!reasons.is_empty()).then(|| Problem::ProviderPrices {
                path: path.to_owned(),
                reasons,
            });
            (catalog, problem)
        })
        .map_err(|error| Problem::ProvidersFile {
            path: path.to_owned(),
            line: error.line,
            column: error.column,
            reason: error.reason,
        })
}

/// The history in `data_dir`, with answers a previous run left streaming marked interrupted.
/// Whatever fails, a store comes back: a damaged database is moved aside and started afresh; a
/// newer one, or a folder that cannot be written, leaves history in memory. The problem says so.
/// Fails only when not even an in-memory database can be opened.
pub fn open_store(data_dir: &Path) -> AppResult<(Store, Option<Problem>)> {
    match open_on_disk(data_dir) {
        Ok(opened) => Ok(opened),
        Err(problem) => {
            tracing::error!(%problem, "history is kept in memory only");
            Ok((Store::in_memory()?, Some(problem)))
        }
    }
}

fn open_on_disk(data_dir: &Path) -> Result<(Store, Option<Problem>), Problem> {
    let unavailable = |path: &Path, reason: String| Problem::HistoryUnavailable {
        path: path.to_owned(),
        reason,
    };
    std::fs::create_dir_all(data_dir).map_err(|error| unavailable(data_dir, error.to_string()))?;
    check_writable(data_dir).map_err(|error| unavailable(data_dir, error.to_string()))?;
    let path = data_dir.join(DATABASE_FILE);
    let (store, problem) = match Store::open(&path) {
        Ok(store) => (store, None),
        Err(OpenError::TooNew { found, supported }) => {
            return Err(Problem::DatabaseTooNew { path, found, supported });
        }
        Err(error) if error.is_corrupt() => {
            let moved_to = move_aside(&path).map_err(|error| unavailable(&path, error.to_string()))?;
            tracing::warn!(%error, moved_to = %moved_to.display(), "the history database was damaged");
            let store = Store::open(&path).map_err(|error| unavailable(&path, error.to_string()))?;
            let problem = Problem::DatabaseCorrupt {
                path: path.clone(),
                moved_to,
                reason: error.to_string(),
            };
            (store, Some(problem))
        }
        Err(error) => return Err(unavailable(&path, error.to_string())),
    };
    match store.recover_interrupted() {
        Ok(0) => {}
        Ok(interrupted) => tracing::info!(interrupted, "marked answers interrupted by the last exit"),
        Err(error) => return Err(unavailable(&path, error.to_string())),
    }
    Ok((store, problem))
}

/// Creates and removes a file in `dir`: a folder SQLite could read but not write fails here,
/// before anything is opened.
fn check_writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".runnel-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

/// Renames a damaged database (and its WAL files) to `<name>.corrupt-<unix ms>`; returns the new
/// path of the database.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let suffix = format!("corrupt-{}", crate::store::now_ms());
    let renamed = |path: &Path, extra: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(extra);
        name.push(".");
        name.push(&suffix);
        PathBuf::from(name)
    };
    let moved_to = renamed(path, "");
    std::fs::rename(path, &moved_to)?;
    for extra in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(extra);
        let side = PathBuf::from(side);
        if side.exists() {
            std::fs::rename(&side, renamed(path, extra))?;
        }
    }
    Ok(moved_to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_providers_file_mistake_names_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.json");
        std::fs::write(
            &path,
            "[\n  {\"id\": \"x\", \"base_url\": \"http://h\", \"protocol\": \"gopher\"}\n]",
        )
        .unwrap();
        let problem = providers_file(&path).unwrap_err();
        let Problem::ProvidersFile {
            line, column, reason, ..
        } = &problem
        else {
            panic!("{problem:?}")
        };
        assert_eq!((*line, reason.contains("unknown protocol `gopher`")), (Some(2), true));
        assert!(column.is_some_and(|column| column > 40), "{column:?}");
        let view = StartupProblem::from(&problem);
        assert_eq!(view.kind, "providers_file");
        assert!(view.message.contains("line 2, column"), "{}", view.message);
    }

    #[test]
    fn a_price_that_cannot_be_used_is_named_and_the_rest_of_the_file_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.json");
        std::fs::write(
            &path,
            r#"[{"id": "x", "base_url": "http://h/v1", "prices": {"m": {"input": "free", "output": 1}, "n": {"input": 1, "output": 2}}}]"#,
        )
        .unwrap();
        let (catalog, problem) = providers_file(&path).unwrap();
        assert!(catalog.get("x").unwrap().price("n").is_some());
        let view = StartupProblem::from(&problem.unwrap());
        assert_eq!(view.kind, "provider_prices");
        assert!(
            view.message
                .contains("`x`: the price of `m`: invalid type: string \"free\""),
            "{}",
            view.message
        );
        std::fs::write(&path, r#"[{"id": "x", "base_url": "http://h/v1"}]"#).unwrap();
        assert_eq!(providers_file(&path).unwrap().1, None);
    }

    #[test]
    fn wal_files_move_aside_with_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        std::fs::write(&path, "x").unwrap();
        std::fs::write(dir.path().join(format!("{DATABASE_FILE}-wal")), "w").unwrap();
        let moved = move_aside(&path).unwrap();
        assert!(!path.exists() && moved.exists());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .any(|name| name.starts_with(&format!("{DATABASE_FILE}-wal.corrupt-"))),
            "{names:?}"
        );
    }
}
