//! The app's state, shared by every command: history, providers, running streams, the engine,
//! and what went wrong while it opened.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use runnel_core::{Catalog, Engine, KeyStore, Timeouts};

use crate::error::AppResult;
use crate::providers::Providers;
use crate::recordings;
use crate::row_windows::RowCache;
use crate::startup::{self, Problem};
use crate::store::Store;
use crate::streams::Streams;

/// Everything the commands work with.
pub struct AppState {
    /// Conversations, messages, settings (in memory when the data folder cannot be used).
    pub store: Arc<Store>,
    /// Providers, keys, model lists.
    pub providers: Providers,
    /// Streams running now.
    pub streams: Arc<Streams>,
    /// The recorded streams the inspector decoded last, whose rows the page asks for a window at
    /// a time.
    pub inspected: RowCache,
    /// The HTTP engine.
    pub engine: Engine,
    /// Where history and logs live.
    pub data_dir: PathBuf,
    /// Where `export_stream` writes (`recordings::downloads_dir`); `None` without a home folder.
    pub downloads_dir: Option<PathBuf>,
    /// What went wrong at start-up, for the page's banner.
    pub startup_problems: Vec<Problem>,
}

impl AppState {
    /// The state at start-up: the providers file at `providers_file` (if any) and the history in
    /// `data_dir`. Neither can keep the app from opening: what fails is in `startup_problems`.
    pub fn start(data_dir: &Path, keys: Arc<dyn KeyStore>, providers_file: Option<&Path>) -> AppResult<Self> {
        let (catalog, problem) = match providers_file.map(startup::providers_file) {
            Some(Ok((catalog, problem))) => (catalog, problem),
            Some(Err(problem)) => {
                tracing::error!(%problem, "only the built-in providers are offered");
                (Catalog::builtin(), Some(problem))
            }
            None => (Catalog::builtin(), None),
        };
        let mut state = Self::open(data_dir, keys, catalog)?;
        state.startup_problems.splice(0..0, problem);
        Ok(state)
    }

    /// Opens the history in `data_dir` (see [`startup::open_store`]), marking answers a previous
    /// run left streaming as interrupted, and sets up `catalog`'s providers with `keys`.
    pub fn open(data_dir: &Path, keys: Arc<dyn KeyStore>, catalog: Catalog) -> AppResult<Self> {
        let (store, problem) = startup::open_store(data_dir)?;
        match recordings::prune(&store) {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "recorded streams past their retention deleted"),
            Err(error) => tracing::warn!(%error, "could not delete old recorded streams"),
        }
        Ok(Self {
            store: Arc::new(store),
            providers: Providers::new(keys, catalog),
            streams: Arc::new(Streams::default()),
            inspected: RowCache::default(),
            engine: Engine::new(Timeouts::default())?,
            data_dir: data_dir.to_owned(),
            downloads_dir: recordings::downloads_dir(),
            startup_problems: problem.into_iter().collect(),
        })
    }
}
