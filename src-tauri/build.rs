//! Builds the web UI (ui/ → ui/dist, which the app embeds) when its sources change, then runs
//! tauri-build with the app's own commands listed (src-tauri/src/command_list.rs), so that
//! capabilities — not luck — decide what the page may call; capabilities/default.json grants the
//! page's commands as one permission set written here from that list.

use std::path::Path;
use std::process::Command;

// `app_commands!`, `PAGE_COMMANDS` and `BENCH_COMMANDS`: the one list of the app's commands.
include!("src/command_list.rs");

/// The permission set of every page command, which capabilities/default.json grants.
const PAGE_SET: &str = "page-commands";

fn main() {
    build_ui();
    println!("cargo:rerun-if-changed=src-tauri/src/command_list.rs");
    let commands: &'static [&'static str] = Vec::leak([PAGE_COMMANDS, BENCH_COMMANDS].concat());
    let manifest = tauri_build::AppManifest::new()
        .commands(commands)
        .permissions_path_pattern(page_permission_set());
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}

/// Writes the permission set `PAGE_SET` (`allow-…` of every page command) under `OUT_DIR`, and
/// returns the pattern that finds it: the capability grants the set, so the list above is the
/// only place a page command is named.
fn page_permission_set() -> &'static str {
    let dir = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("permissions");
    std::fs::create_dir_all(&dir).expect("creating OUT_DIR/permissions");
    let allowed: Vec<String> = PAGE_COMMANDS
        .iter()
        .map(|command| format!("\"allow-{}\"", command.replace('_', "-")))
        .collect();
    let set = format!(
        "[[set]]\nidentifier = \"{PAGE_SET}\"\ndescription = \"Every command of the page (src-tauri/src/command_list.rs).\"\npermissions = [{}]\n",
        allowed.join(", ")
    );
    let file = dir.join(format!("{PAGE_SET}.toml"));
    if std::fs::read_to_string(&file).ok().as_deref() != Some(set.as_str()) {
        std::fs::write(&file, set).expect("writing the page's permission set");
    }
    String::leak(dir.join("*.toml").display().to_string())
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
