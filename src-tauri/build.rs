//! Builds the web UI (ui/ → ui/dist, which the app embeds) when its sources change, then runs
//! tauri-build with the app's own commands listed, so that capabilities — not luck — decide what
//! the page may call.

use std::path::Path;
use std::process::Command;

/// Every command the page may be granted (capabilities/default.json grants them by name).
const COMMANDS: &[&str] = &[
    "app_info",
    "get_settings",
    "model_catalog",
    "refresh_models",
    "list_providers",
    "set_api_key",
    "delete_api_key",
    "test_provider",
    "add_custom_provider",
    "remove_custom_provider",
    "detect_local_servers",
    "list_conversations",
    "create_conversation",
    "get_conversation",
    "rename_conversation",
    "delete_conversation",
    "send_message",
    "regenerate",
    "edit_message",
    "create_compare",
    "compare_column",
    "retry_column",
    "keep_answer",
    "stop_stream",
    "ack_stream",
    "open_link",
    "set_recordings_keep_days",
    "stream_events",
    "export_stream",
    "open_stream_file",
    "inspect_stream",
    "stop_inspecting",
    "watch_file_drops",
    "ipc_bench",
];

fn main() {
    build_ui();
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}

/// Runs `npm run build` (after `npm ci` when node_modules is missing) unless RUNNEL_SKIP_UI_BUILD
/// is set, e.g. by a script that just built it.
fn build_ui() {
    for input in [
        "ui/src",
        "ui/index.html",
        "ui/vite.config.ts",
        "package.json",
        "package-lock.json",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed=RUNNEL_SKIP_UI_BUILD");
    if std::env::var_os("RUNNEL_SKIP_UI_BUILD").is_some() && Path::new("ui/dist/index.html").exists() {
        return;
    }
    if !Path::new("node_modules").exists() {
        run("npm", &["ci", "--no-audit", "--no-fund"]);
    }
    run("npm", &["run", "build", "--silent"]);
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|error| panic!("cannot run `{program}` to build the UI (is Node.js installed?): {error}"));
    assert!(
        status.success(),
        "`{program} {}` failed while building the UI",
        args.join(" ")
    );
}
