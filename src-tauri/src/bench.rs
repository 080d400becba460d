//! IPC measurement, for choosing between `Channel` and events by the numbers (docs/PERFORMANCE.md).
//! Off unless the app starts with `RUNNEL_IPC_BENCH=1`; then a capability of its own grants the
//! page this command and event listening, which the default capability does not.

use std::time::Instant;

use serde::Serialize;
use tauri::ipc::{CapabilityBuilder, Channel};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::error::{AppError, AppResult};

/// The env var that turns the benchmark on.
pub const BENCH_ENV: &str = "RUNNEL_IPC_BENCH";
/// The event name used in `event` mode.
pub const BENCH_EVENT: &str = "runnel://ipc-bench";

/// A stream-like message of the benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct BenchMessage {
    seq: u32,
    text: String,
}

fn enabled() -> bool {
    std::env::var(BENCH_ENV).is_ok_and(|value| value == "1")
}

/// Grants the benchmark's permissions to the main window when the benchmark is on.
pub fn grant_if_enabled(app: &tauri::App) -> tauri::Result<()> {
    if enabled() {
        let capability = CapabilityBuilder::new("ipc-bench")
            .window("main")
            .permission("allow-ipc-bench")
            .permission("core:event:allow-listen")
            .permission("core:event:allow-unlisten");
        app.add_capability(capability)?;
    }
    Ok(())
}

/// Sends `count` messages of `size` text bytes as fast as possible, through `on_event`
/// (`mode` "channel") or as events (`mode` "event"); returns the milliseconds Rust spent sending.
#[tauri::command(rename_all = "snake_case")]
pub async fn ipc_bench<R: Runtime>(
    app: AppHandle<R>,
    mode: String,
    count: u32,
    size: u32,
    on_event: Channel<BenchMessage>,
) -> AppResult<f64> {
    if !enabled() {
        return Err(AppError::InvalidInput(format!(
            "the IPC benchmark is off ({BENCH_ENV}=1 turns it on)"
        )));
    }
    let text = "x".repeat(size as usize);
    let started = Instant::now();
    for seq in 1..=count {
        let message = BenchMessage {
            seq,
            text: text.clone(),
        };
        let sent = match mode.as_str() {
            "channel" => on_event.send(message),
            "event" => app.emit(BENCH_EVENT, message),
            other => {
                return Err(AppError::InvalidInput(format!(
                    "unknown mode `{other}` (channel or event)"
                )));
            }
        };
        sent.map_err(|error| AppError::Config(format!("sending failed: {error}")))?;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}
