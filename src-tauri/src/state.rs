//! The app's state, shared by every command: history, providers, running streams, the engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use runnel_core::{Engine, KeyStore, Timeouts};

use crate::error::AppResult;
use crate::providers::{FileProvider, Providers};
use crate::store::Store;
use crate::streams::Streams;

/// The history database's file name inside the data folder.
pub const DATABASE_FILE: &str = "runnel.sqlite3";

/// Everything the commands work with.
pub struct AppState {
    /// Conversations, messages, settings.
    pub store: Arc<Store>,
    /// Providers, keys, model lists.
    pub providers: Providers,
    /// Streams running now.
    pub streams: Arc<Streams>,
    /// The HTTP engine.
    pub engine: Engine,
    /// Where history and logs live.
    pub data_dir: PathBuf,
}

impl AppState {
    /// Opens the history in `data_dir` (created if needed), marks answers a previous run left
    /// streaming as interrupted, and sets up providers with `keys` and `file` entries.
    pub fn open(data_dir: &Path, keys: Arc<dyn KeyStore>, file: Vec<FileProvider>) -> AppResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|error| {
            crate::error::AppError::Config(format!("cannot create the data folder {}: {error}", data_dir.display()))
        })?;
        let store = Store::open(&data_dir.join(DATABASE_FILE))?;
        let interrupted = store.recover_interrupted()?;
        if interrupted > 0 {
            tracing::info!(interrupted, "marked answers interrupted by the last exit");
        }
        Ok(Self {
            store: Arc::new(store),
            providers: Providers::new(keys, file),
            streams: Arc::new(Streams::default()),
            engine: Engine::new(Timeouts::default())?,
            data_dir: data_dir.to_owned(),
        })
    }
}
