//! Runnel's desktop app: a Tauri v2 window on Runnel's streaming core.
//!
//! # Layout
//! Every module of `src-tauri/src`, with its job:
//! - `main.rs`: the binary; calls [`run`].
//! - [`commands`]: the thin commands the page calls (docs/IPC.md): validate, call the state, map
//!   the error.
//! - `command_list` (command_list.rs): every command named once, for the invoke handler, build.rs's
//!   permissions and capability set, and the page's generated `Commands`.
//! - [`turns`]: a conversation turn: save, convert the history, stream the answer (send,
//!   regenerate, edit).
//! - [`compare`]: compare runs: one prompt, 2–4 models, a column (an answer) each.
//! - [`streams`]: running streams by id: forwarding to the page, checkpoints, stop, acks; at the
//!   core's ending event, the save, then the ending sent last.
//! - [`outbox`]: one stream's messages to the page: `seq`, the ack window, coalescing; the ending
//!   with what was saved, last.
//! - [`ending`]: saving an ended answer (what its ending carries as `saved`); the lone ending of
//!   an answer whose stream never started.
//! - [`checkpoint`]: saving a streaming answer's text while it arrives, off the deltas' path.
//! - [`providers`]: the catalog (built-ins, providers file) and custom endpoints (`custom`),
//!   where keys come from (`keys`), each provider's models and local servers (`models`), and what
//!   the page shows of a provider (`views`).
//! - [`recordings`]: each answer's recorded stream: kept, pruned, the inspector's rows, export.
//! - [`rows`]: the inspector's rows of a recorded stream (bounded), with its summary.
//! - [`row_windows`]: the windows of rows the page asks for, from a small cache of decoded
//!   streams; the filter.
//! - [`timeline`]: the numbers of the inspector's chart (rows per slice of time).
//! - [`inspector`]: a running answer's rows, live, over a channel of the inspector's own.
//! - [`drops`]: files dropped onto the window, handed to the page as paths.
//! - [`export`]: a conversation exported as Markdown or JSON (docs/EXPORT.md) and imported back.
//! - [`export_error`]: why an export or an import failed.
//! - [`store`]: SQLite history with migrations.
//! - [`versions`]: answer versions: the path of a conversation's tree that is shown, and the
//!   versions of a turn.
//! - [`startup`]: start-up problems (the page's banner); the app opens whatever fails.
//! - [`data_dir`]: the data folder, one canonical path whatever its spelling.
//! - [`layout`]: the sidebar's and the inspector's widths and the sidebar's state, kept.
//! - [`lifecycle`]: one instance per data folder; quitting saves running answers.
//! - [`window_state`]: the window's size, position and maximized state across restarts (the
//!   window-state plugin, its file in the data folder), brought back on screen if it would open
//!   off every one.
//! - [`state`]: the state every command shares (history, providers, running streams, engine).
//! - [`ipc_types`]: the serde types that cross IPC, from which ui/src/generated/ipc.ts is generated.
//! - [`error`]: the serializable error the page sees (`UiError`) and commands return.
//! - [`bench`]: the IPC measurement, off unless `RUNNEL_IPC_BENCH=1`.
//!
//! Environment: `RUNNEL_DATA_DIR` (history and log folder, default the OS app-data folder),
//! `RUNNEL_PROVIDERS_FILE` (extra endpoints, see the README), `RUNNEL_LOG` (log filter),
//! `RUNNEL_KEYCHAIN_SERVICE` (keychain service name), and the SDKs' key and base-URL env vars.

#[macro_use]
mod command_list;

pub mod bench;
pub mod checkpoint;
pub mod commands;
pub mod compare;
pub mod data_dir;
#[cfg(target_os = "linux")]
pub mod drawing;
pub mod drops;
pub mod ending;
pub mod error;
pub mod export;
pub mod export_error;
pub mod inspector;
pub mod ipc_types;
pub mod layout;
pub mod lifecycle;
pub mod outbox;
pub mod providers;
pub mod recordings;
pub mod row_windows;
pub mod rows;
pub mod startup;
pub mod state;
pub mod store;
pub mod streams;
pub mod timeline;
pub mod turns;
pub mod versions;
pub mod window_state;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use runnel_core::KeychainStore;
use tauri::Manager;
use tracing_subscriber::fmt::writer::MakeWriterExt;

pub use crate::command_list::{BENCH_COMMANDS, PAGE_COMMANDS};
use crate::state::AppState;

/// `tauri::generate_handler!` of every command of `app_commands!` (command_list.rs).
macro_rules! generate_handler {
    (page: [$($page_module:ident::$page:ident),* $(,)?], bench: [$($bench_module:ident::$bench:ident),* $(,)?] $(,)?) => {
        tauri::generate_handler![$($page_module::$page,)* $($bench_module::$bench),*]
    };
}

/// The app's invoke handler: every command of command_list.rs, and no other.
pub fn invoke_handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    app_commands!(generate_handler)
}

/// The log file's name inside the data folder.
pub const LOG_FILE: &str = "runnel.log";

/// Logs to stderr and to `runnel.log` in the data folder, filtered by `RUNNEL_LOG` (default
/// `info`). Keys are never logged: they only exist as `ApiKey`s and sensitive header values.
fn init_logging(data_dir: &std::path::Path) {
    let filter = std::env::var("RUNNEL_LOG").unwrap_or_else(|_| "info".into());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join(LOG_FILE));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(false);
    let _ = match file {
        Ok(file) => builder
            .with_writer(std::io::stderr.and(std::sync::Mutex::new(file)))
            .try_init(),
        Err(_) => builder.with_writer(std::io::stderr).try_init(),
    };
}

/// Opens the state on the data folder `dir` (canonical, created when it could be: `data_dir`). A
/// providers file or a data folder that cannot be used does not stop the app: the window opens
/// and shows the problem (`startup`).
fn setup(
    app: &mut tauri::App,
    dir: &Path,
    saved_window: Option<Option<window_state::Rect>>,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(window) = app.get_webview_window(window_state::MAIN_WINDOW) {
        if let Some(saved) = saved_window {
            window_state::restore(&window, saved);
        }
        #[cfg(target_os = "linux")]
        drawing::apply(&window, drawing::for_this_machine());
    }
    let providers_file = std::env::var_os("RUNNEL_PROVIDERS_FILE").map(PathBuf::from);
    let state = AppState::start(dir, Arc::new(KeychainStore::from_env()), providers_file.as_deref())?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %dir.display(), "Runnel started");
    app.manage(state);
    #[cfg(unix)]
    lifecycle::quit_on_signals(app.handle());
    bench::grant_if_enabled(app)?;
    // The catalog's local servers join the model picker when they answer.
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        let state = handle.state::<AppState>();
        match state.providers.detect_local(&state.store).await {
            Ok(found) if !found.is_empty() => tracing::info!(?found, "local model servers detected"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "looking for local model servers failed"),
        }
    });
    Ok(())
}

/// Runs the app until it quits.
pub fn run() {
    let context = tauri::generate_context!();
    let dir = match data_dir::named(&context.config().identifier) {
        Ok(dir) => data_dir::canonical(&dir),
        Err(error) => {
            eprintln!("error: Runnel could not run: {error}");
            std::process::exit(1);
        }
    };
    #[cfg(target_os = "linux")]
    lifecycle::hand_over_to_running_instance(&dir);
    // The log lives in the data folder when it exists; stderr gets it either way.
    init_logging(&dir);
    // First: a second instance must exit before anything else is set up.
    let mut builder = tauri::Builder::default().plugin(lifecycle::single_instance(&dir));
    // The window's saved place, when its state is kept (`None`: it is not kept at all).
    let mut saved_window = None;
    if let Some((plugin, saved)) = window_state::plugin(&dir) {
        builder = builder.plugin(plugin);
        saved_window = Some(saved);
    }
    builder
        .setup(move |app| setup(app, &dir, saved_window))
        .manage(drops::FileDrops::default())
        .manage(export::files::ExportedFiles::default())
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                window.state::<drops::FileDrops>().dropped(paths);
            }
        })
        .invoke_handler(invoke_handler())
        .build(context)
        .unwrap_or_else(|error| {
            eprintln!("error: Runnel could not run: {error}");
            std::process::exit(1);
        })
        .run(lifecycle::on_run_event);
}
