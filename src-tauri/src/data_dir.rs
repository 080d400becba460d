//! The data folder (history database, log): `RUNNEL_DATA_DIR`, else the OS app-data folder, as
//! one canonical path. `/d`, `/d/`, `/d/.` and a symbolic link to `/d` are one folder, so they
//! must be one path: the single-instance key (`lifecycle.rs`) and the database are both taken
//! from it, and two spellings never give two apps on one database.

use std::path::{Path, PathBuf};

/// There is no folder to keep the history in.
#[derive(Debug, thiserror::Error)]
#[error("there is no data folder: set RUNNEL_DATA_DIR, or HOME for the default one")]
pub struct NoDataDir;

/// The data folder as named: `RUNNEL_DATA_DIR` when set, else the OS app-data folder of the app
/// `identifier` (the OS data folder joined with it, which is what Tauri's `app_data_dir` gives).
pub fn named(identifier: &str) -> Result<PathBuf, NoDataDir> {
    std::env::var_os("RUNNEL_DATA_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|dir| dir.join(identifier)))
        .ok_or(NoDataDir)
}

/// `dir`, created if missing, as its canonical path (links resolved; no `.`, `..` or trailing
/// slash). A folder that cannot be created or resolved keeps its absolute spelling, with `.` and
/// trailing slashes dropped: the app then opens without history and says why (`startup.rs`).
pub fn canonical(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::canonicalize(dir))
        .unwrap_or_else(|_| {
            std::path::absolute(dir)
                .unwrap_or_else(|_| dir.to_owned())
                .components()
                .collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn every_spelling_of_a_folder_is_one_path() {
        let root = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(root.path()).unwrap();
        let dir = root.join("d");
        let link = root.join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert_eq!(canonical(&dir), dir, "a missing folder is created");
        assert!(dir.is_dir());
        for spelling in [
            format!("{}/", dir.display()),
            format!("{}//.", dir.display()),
            format!("{}/../d/", dir.display()),
            link.display().to_string(),
            format!("{}/", link.display()),
        ] {
            assert_eq!(canonical(Path::new(&spelling)), dir, "{spelling}");
        }
    }

    #[test]
    fn a_folder_that_cannot_be_made_keeps_a_normalized_spelling() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("file");
        std::fs::write(&file, "").unwrap();
        let under_a_file = file.join("data");
        assert_eq!(canonical(&file.join("./data/")), under_a_file);
    }
}
