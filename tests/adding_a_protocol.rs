//! docs/adding-a-provider.md's promise, kept: a wire protocol is one file and one registry line.
//!
//! The test copies the workspace's files (what `git ls-files` lists, tracked or new and not
//! ignored) into a scratch folder, drops the toy protocol (`crates/core/tests/provider/toy.rs`,
//! a protocol file as it would sit in `crates/core/src/provider/`) in as
//! `crates/core/src/provider/toy.rs` and adds its one line to the registry in `provider/mod.rs`,
//! and checks that nothing else differs from the workspace. Then it builds the copy (the CLI, and
//! a probe test of the app written into the copy after that check: the probe is the harness's
//! eyes, not part of the change) and sees the toy everywhere a protocol shows:
//! - `runnel models` lists a toy provider's models, read live by the toy's `parse_models`, and
//!   its help names the toy among the protocols `--protocol` takes;
//! - `runnel chat --save-sse` streams a toy answer and records it;
//! - the app's `list_protocols` offers the toy, and `model_catalog` and `refresh_models` (what
//!   the page receives) carry a toy provider from the providers file with its live models;
//! - the app's `open_stream_file` reads the toy's recording into inspector rows carrying the
//!   toy's own `describe` fields.
//!
//! The copy builds in a target folder of its own, `adding-a-protocol/` in the workspace's (a path
//! crate built from another folder cannot share the workspace's). On its first run that folder is
//! seeded from the workspace's already-built registry crates (never Runnel's own crates, which
//! build from the copy), so mostly Runnel's crates compile: about a minute and a half the first
//! time on a 2-core machine, under a minute after that (the folder is kept; `cargo clean` removes
//! it with the rest).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use runnel_testkit::{FakeServer, Reply};

/// The toy protocol's file, as a protocol file in the core is written.
const TOY_FILE: &str = "crates/core/tests/provider/toy.rs";
/// Where a protocol's file goes.
const PROTOCOL_FILE: &str = "crates/core/src/provider/toy.rs";
/// The file with the registry.
const REGISTRY_FILE: &str = "crates/core/src/provider/mod.rs";
/// The registry's opening; its list of `module => Type,` lines ends at the next `}` line.
const REGISTRY_START: &str = "protocols! {\n";
/// The toy's registry line.
const REGISTRY_LINE: &str = "    toy => Toy,\n";
/// The app's probe in the copy (its tests/ folder), and what it checks.
const PROBE_FILE: &str = "tests/toy_probe.rs";
const PROBE: &str = r##"//! Written by tests/adding_a_protocol.rs into a scratch copy of the workspace.
use std::sync::Arc;

use runnel_app::commands;
use runnel_app::row_windows::WINDOW_ROWS;
use runnel_app::state::AppState;
use runnel_core::MemoryStore;
use runnel_core::provider::Field;
use tauri::Manager;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_sees_the_toy_protocol() {
    let protocols = commands::list_protocols().await.unwrap();
    assert!(
        protocols.iter().any(|protocol| protocol.id.0 == "toy" && protocol.name == "Toy"),
        "list_protocols: {:?}",
        protocols.iter().map(|protocol| &protocol.id.0).collect::<Vec<_>>()
    );

    let dir = tempfile::tempdir().unwrap();
    let providers = std::path::PathBuf::from(std::env::var_os("TOY_PROVIDERS_FILE").unwrap());
    let state = AppState::start(dir.path(), Arc::new(MemoryStore::default()), Some(&providers)).unwrap();
    let app = tauri::test::mock_app();
    app.manage(state);

    let catalog = commands::model_catalog(app.state()).await.unwrap();
    let toybox = catalog.iter().find(|view| view.id == "toybox").expect("the toy provider in model_catalog");
    assert_eq!((toybox.protocol.0.as_str(), toybox.available), ("toy", true));
    let live = commands::refresh_models(app.state(), "toybox".into()).await.unwrap();
    assert_eq!(live.models, ["toy-1", "toy-2"], "the toy's model list, read live");

    let file = std::env::var("TOY_SSE_FILE").unwrap();
    let events = commands::open_stream_file(app.state(), file, 0, WINDOW_ROWS, String::new()).await.unwrap();
    let fields: Vec<Vec<Field>> = events.rows.iter().map(|row| row.fields.clone()).collect();
    assert_eq!(
        fields,
        [
            vec![Field::new("text", "Hello, ")],
            vec![Field::new("text", "toy")],
            vec![Field::new("end", "done")],
        ],
        "the inspector's rows carry the toy's own fields"
    );
}
"##;
/// The toy answer the fake server streams.
const TOY_ANSWER: &str = "data: {\"text\":\"Hello, \"}\n\ndata: {\"text\":\"toy\"}\n\ndata: {\"end\":\"done\"}\n\n";

/// The workspace.
fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace's files, relative: tracked, or new and not ignored (what a commit of them would
/// hold); symbolic links (`node_modules`, when it is one) and files deleted since are left out.
fn workspace_files() -> Vec<PathBuf> {
    let output = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(workspace())
        .output()
        .expect("git lists the workspace's files");
    assert!(
        output.status.success(),
        "git ls-files: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files: Vec<PathBuf> = output
        .stdout
        .split(|&byte| byte == 0)
        .filter(|name| !name.is_empty())
        .map(|name| PathBuf::from(String::from_utf8(name.to_vec()).unwrap()))
        .filter(|file| fs::symlink_metadata(workspace().join(file)).is_ok_and(|meta| meta.is_file()))
        .collect();
    files.sort();
    files.dedup();
    files
}

/// Every file under `root`, relative, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                found.push(path.strip_prefix(root).unwrap().to_owned());
            }
        }
    }
    found.sort();
    found
}

/// `registry` with `line` added at the end of the registry's list.
fn register(registry: &str, line: &str) -> String {
    let start = registry.find(REGISTRY_START).expect("provider/mod.rs has the registry") + REGISTRY_START.len();
    let end = start + registry[start..].find("}\n").expect("the registry's list ends");
    format!("{}{line}{}", &registry[..end], &registry[end..])
}

/// Copies the workspace's files into `scratch` and adds a protocol there: the toy's file in
/// `provider/` and its line in the registry.
fn copy_and_add_the_toy(scratch: &Path) {
    for file in workspace_files() {
        let to = scratch.join(&file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(workspace().join(&file), &to).unwrap();
    }
    fs::copy(workspace().join(TOY_FILE), scratch.join(PROTOCOL_FILE)).unwrap();
    let registry = fs::read_to_string(scratch.join(REGISTRY_FILE)).unwrap();
    fs::write(scratch.join(REGISTRY_FILE), register(&registry, REGISTRY_LINE)).unwrap();
}

/// How the copy differs from the workspace: each file added, changed or removed, and for the
/// registry, the lines added to it.
fn differences(scratch: &Path) -> Vec<String> {
    let ours = workspace_files();
    let theirs = files_under(scratch);
    let mut found = Vec::new();
    for file in &theirs {
        let Ok(before) = fs::read(workspace().join(file)) else {
            found.push(format!("added {}", file.display()));
            continue;
        };
        let after = fs::read(scratch.join(file)).unwrap();
        if before == after {
            continue;
        }
        let (before, after) = (String::from_utf8_lossy(&before), String::from_utf8_lossy(&after));
        let added: Vec<&str> = after
            .lines()
            .filter(|line| !before.lines().any(|old| old == *line))
            .collect();
        let removed = before.lines().count() + added.len() != after.lines().count();
        found.push(format!(
            "changed {}: added {added:?}{}",
            file.display(),
            if removed { " and more" } else { "" }
        ));
    }
    for file in ours.iter().filter(|file| !theirs.contains(file)) {
        found.push(format!("removed {}", file.display()));
    }
    found
}

/// The workspace's target folder (this test runs from its `debug/deps/`).
fn workspace_target() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .expect("the test runs from TARGET/debug/deps")
        .to_owned()
}

/// Whether a build product belongs to one of Runnel's own crates (they build from the copy).
fn runnels_own(name: &str) -> bool {
    let name = name.strip_prefix("lib").unwrap_or(name);
    name.starts_with("runnel")
}

/// Seeds the copy's target folder `target` with hard links to the registry crates the workspace
/// has built (same metadata hashes: they do not depend on the workspace's folder), so the copy
/// compiles only Runnel's crates. A build that does not find them builds them itself.
fn seed(target: &Path) {
    let (from, to) = (workspace_target().join("debug"), target.join("debug"));
    if to.exists() || !from.exists() {
        return;
    }
    for folder in ["deps", "build", ".fingerprint"] {
        let Ok(entries) = fs::read_dir(from.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            if !runnels_own(&entry.file_name().to_string_lossy()) {
                let _ = link_tree(&entry.path(), &to.join(folder).join(entry.file_name()));
            }
        }
    }
}

/// Puts the file or folder tree `from` at `to`: compiled code (libraries, executables) as hard
/// links, since compilers and linkers replace such a file rather than write into it; everything
/// else (dep-info, fingerprints, build scripts' output, which a build may rewrite in place with
/// paths of its own) as copies with the same times, so the copy's builds never touch the
/// workspace's files.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::symlink_metadata(from)?;
    if meta.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            link_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        return Ok(());
    }
    fs::create_dir_all(to.parent().unwrap())?;
    let name = from.file_name().unwrap_or_default().to_string_lossy();
    let compiled = [".rlib", ".rmeta", ".so", ".a"].iter().any(|end| name.ends_with(end))
        || meta.permissions().mode() & 0o111 != 0;
    if compiled && fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to)?;
    // With its times: cargo judges freshness by them.
    let times = fs::FileTimes::new()
        .set_accessed(meta.accessed()?)
        .set_modified(meta.modified()?);
    fs::File::options().write(true).open(to)?.set_times(times)
}

/// Builds the copy's CLI and the app's probe; returns the CLI's and the probe's executables.
fn build(scratch: &Path, target: &Path) -> (PathBuf, PathBuf) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = std::time::Instant::now();
    let output = Command::new(cargo)
        .args([
            "build",
            "--locked",
            "--offline",
            "--message-format=json-render-diagnostics",
        ])
        // The whole workspace's features, as `cargo test --workspace` unifies them, so that the
        // registry crates match the workspace's builds; only the CLI and the probe are built.
        .args(["--workspace", "--bin", "runnel", "--test", "toy_probe"])
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", target)
        .env("RUNNEL_SKIP_UI_BUILD", "1")
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success(), "the copy with the toy does not build");
    println!("the copy built in {:.0?}", started.elapsed());
    let (mut cli, mut probe) = (None, None);
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let message: serde_json::Value = serde_json::from_str(line).unwrap();
        let (Some(name), Some(executable)) = (message["target"]["name"].as_str(), message["executable"].as_str())
        else {
            continue;
        };
        match name {
            "runnel" => cli = Some(PathBuf::from(executable)),
            "toy_probe" => probe = Some(PathBuf::from(executable)),
            _ => {}
        }
    }
    (cli.expect("the CLI was built"), probe.expect("the probe was built"))
}

/// Runs `command` to its end; its stdout, after checking it succeeded.
fn run(command: &mut Command) -> String {
    let Output { status, stdout, stderr } = command.stdin(Stdio::null()).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr));
    assert!(status.success(), "{command:?} failed: {stdout}\n{stderr}");
    stdout.into_owned()
}

#[test]
fn the_registry_line_is_added_at_the_end_of_the_list() {
    let registry = "x\nprotocols! {\n    a => A,\n}\ny\n";
    assert_eq!(
        register(registry, "    b => B,\n"),
        "x\nprotocols! {\n    a => A,\n    b => B,\n}\ny\n"
    );
    let real = fs::read_to_string(workspace().join(REGISTRY_FILE)).unwrap();
    assert!(
        !real.contains(REGISTRY_LINE),
        "the toy is not registered in the workspace itself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_is_one_file_and_one_registry_line() {
    let scratch = tempfile::tempdir().unwrap();
    copy_and_add_the_toy(scratch.path());
    assert_eq!(
        differences(scratch.path()),
        [
            format!("changed {REGISTRY_FILE}: added [{:?}]", REGISTRY_LINE.trim_end()),
            format!("added {PROTOCOL_FILE}"),
        ],
        "adding a protocol is one file and one registry line"
    );

    fs::write(scratch.path().join(PROBE_FILE), PROBE).unwrap();
    let ui = workspace().join("ui/dist");
    assert!(
        ui.join("index.html").exists(),
        "the app embeds ui/dist: run `npm run build` first"
    );
    link_tree(&ui, &scratch.path().join("ui/dist")).unwrap();
    let target = workspace_target().join("adding-a-protocol");
    seed(&target);
    let (cli, probe) = tokio::task::spawn_blocking({
        let (scratch, target) = (scratch.path().to_owned(), target.clone());
        move || build(&scratch, &target)
    })
    .await
    .unwrap();

    let server = FakeServer::start().await;
    server.route("/toy/models", Reply::json(200, r#"["toy-2","toy-1"]"#));
    server.route("/toy/chat", Reply::sse(TOY_ANSWER));
    let files = tempfile::tempdir().unwrap();
    let providers = files.path().join("providers.json");
    let entry = serde_json::json!([{
        "id": "toybox",
        "name": "Toy box",
        "protocol": "toy",
        "base_url": server.url(),
        "keyless": true,
        "models": ["toy-1"],
    }]);
    fs::write(&providers, entry.to_string()).unwrap();
    let sse = files.path().join("toy.sse");
    let runnel = |args: &[&str]| {
        let mut command = Command::new(&cli);
        for var in runnel_testkit::user_env() {
            command.env_remove(var);
        }
        command
            .env("RUNNEL_PROVIDERS_FILE", &providers)
            .env(
                "RUNNEL_KEYCHAIN_SERVICE",
                format!("runnel-toy-test-{}", std::process::id()),
            )
            .args(args);
        command
    };

    let out = tokio::task::spawn_blocking({
        let mut models = runnel(&["models", "toybox"]);
        move || run(&mut models)
    })
    .await
    .unwrap();
    assert!(
        out.lines().any(|line| line == "toybox/toy-2"),
        "`runnel models` lists the toy's live models: {out}"
    );
    let help = tokio::task::spawn_blocking({
        let mut help = runnel(&["models", "--help"]);
        move || run(&mut help)
    })
    .await
    .unwrap();
    assert!(
        help.contains(" or toy") && help.contains("openai (the default), anthropic, "),
        "`runnel models --help` names the toy among the protocols: {help}"
    );
    let mut chat = runnel(&["chat", "-m", "toybox", "--save-sse"]);
    chat.arg(&sse).arg("hi");
    let out = tokio::task::spawn_blocking(move || run(&mut chat)).await.unwrap();
    assert_eq!(out, "Hello, toy\n", "`runnel chat` streams a toy answer");

    let mut probe = Command::new(probe);
    probe
        .env("TOY_PROVIDERS_FILE", &providers)
        .env("TOY_SSE_FILE", &sse)
        .args(["--test-threads", "1"]);
    let out = tokio::task::spawn_blocking(move || run(&mut probe)).await.unwrap();
    assert!(out.contains("test result: ok. 1 passed"), "{out}");
}
