//! The page's types (`ui/src/generated/ipc.ts`) are generated from the Rust types that cross IPC
//! (ts-rs), and its `Commands` — every command's arguments and result, which `ui/src/ipc.ts` is
//! typed against — from the commands' own signatures (`signatures`), in the order
//! `PAGE_COMMANDS` (src-tauri/src/command_list.rs) lists them. This test generates the file in
//! memory and fails when the committed one differs; `scripts/gen-types` rewrites it. A type that
//! starts crossing IPC is added to [`generated`].

mod signatures;

use std::collections::BTreeSet;
use std::path::Path;

use runnel_app::error::UiError;
use runnel_app::ipc_types::StartupProblem;
use runnel_app::ipc_types::{
    AppInfo, Conversation, ConversationKind, ConversationSummary, EventRow, ExportFormat, ExportedFile, KeyState,
    Layout, LiveRows, MessageState, MessageView, ModelPrice, ProtocolId, ProtocolView, ProviderView, Saved, Settings,
    Stats, StreamEvents, StreamMessage, StreamSummary, Timeline, Turn, Versions,
};
use runnel_app::{BENCH_COMMANDS, PAGE_COMMANDS, compare, layout};
use runnel_core::provider::Field;
use runnel_core::{ErrorKind, FinishReason, Price, RawFrame, Role, StreamError, StreamEvent, TimeoutPhase, Usage};
use ts_rs::{Config, TS};

/// The committed file.
const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/generated/ipc.ts");
/// Set to rewrite [`FILE`] instead of comparing (what `scripts/gen-types` does).
const WRITE: &str = "RUNNEL_WRITE_TYPES";

/// One exported declaration on one line, after its doc comment on one line, with the name it
/// declares. The fields' own docs stay in the Rust source: a declaration per line keeps the file
/// short to read and diff.
fn declaration<T: TS>(config: &Config) -> (String, String) {
    let docs = one_line(&T::docs().unwrap_or_default());
    let text = format!("{docs}\nexport {}", one_line(&without_docs(&T::decl(config))));
    (T::ident(config), text)
}

/// `text` without its `/** … */` comments.
fn without_docs(text: &str) -> String {
    let mut rest = text;
    let mut kept = String::new();
    while let Some(start) = rest.find("/**") {
        kept.push_str(&rest[..start]);
        let end = rest[start..].find("*/").map_or(rest.len(), |end| start + end + 2);
        rest = &rest[end..];
    }
    kept.push_str(rest);
    kept
}

/// `text` with every run of whitespace (and a doc comment's leading `*`s) made one space.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| *word != "*")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The whole file: every type that crosses IPC, the core's vocabulary first, then the bounds the
/// page shows before Rust checks them, then `Commands`.
fn generated() -> String {
    // Every integer crossing IPC (ids, unix ms, token counts) is far below 2^53.
    let config = Config::new().with_large_int("number");
    let declarations = [
        declaration::<StreamEvent>(&config),
        declaration::<Usage>(&config),
        declaration::<Price>(&config),
        declaration::<FinishReason>(&config),
        declaration::<RawFrame>(&config),
        declaration::<StreamError>(&config),
        declaration::<ErrorKind>(&config),
        declaration::<TimeoutPhase>(&config),
        declaration::<Role>(&config),
        declaration::<StreamMessage>(&config),
        declaration::<Saved>(&config),
        declaration::<UiError>(&config),
        declaration::<MessageState>(&config),
        declaration::<Stats>(&config),
        declaration::<MessageView>(&config),
        declaration::<Versions>(&config),
        declaration::<ConversationKind>(&config),
        declaration::<ConversationSummary>(&config),
        declaration::<Conversation>(&config),
        declaration::<Turn>(&config),
        declaration::<KeyState>(&config),
        declaration::<ProtocolId>(&config),
        declaration::<ProviderView>(&config),
        declaration::<ModelPrice>(&config),
        declaration::<ProtocolView>(&config),
        declaration::<AppInfo>(&config),
        declaration::<StartupProblem>(&config),
        declaration::<Settings>(&config),
        declaration::<Layout>(&config),
        declaration::<StreamEvents>(&config),
        declaration::<EventRow>(&config),
        declaration::<Field>(&config),
        declaration::<StreamSummary>(&config),
        declaration::<Timeline>(&config),
        declaration::<LiveRows>(&config),
        declaration::<ExportFormat>(&config),
        declaration::<ExportedFile>(&config),
    ];
    let declared: BTreeSet<String> = declarations.iter().map(|(name, _)| name.clone()).collect();
    let texts: Vec<&str> = declarations.iter().map(|(_, text)| text.as_str()).collect();
    format!(
        "// Generated from the Rust types and commands by tests/bindings.rs (ts-rs). Do not edit: run scripts/gen-types.\n\
         import type {{ Channel }} from \"@tauri-apps/api/core\";\n\n{}\n\n{}\n\n{}\n",
        texts.join("\n\n"),
        bounds(),
        commands(&declared)
    )
}

/// The numbers the page needs before it asks Rust, which checks them (compare.rs).
fn bounds() -> String {
    format!(
        "/** The fewest and most models a compare run takes (compare.rs checks them). */\n\
         export const COMPARE_MODELS = {{ min: {}, max: {} }} as const;\n\n\
         /** The panels' widths in CSS pixels a splitter may set (layout.rs checks them). */\n\
         export const PANEL_WIDTHS = {{ sidebar: {{ min: {}, max: {} }}, inspector: {{ min: {}, max: {} }} }} as const;",
        compare::MIN_MODELS,
        compare::MAX_MODELS,
        layout::SIDEBAR_WIDTH.start(),
        layout::SIDEBAR_WIDTH.end(),
        layout::INSPECTOR_WIDTH.start(),
        layout::INSPECTOR_WIDTH.end(),
    )
}

/// The app's sources, where the commands are.
fn sources() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/src")
}

/// `Commands`: for each of `PAGE_COMMANDS`, in order, the arguments `invoke` takes and what it
/// resolves to, read from its function; `declared` are the generated types' names.
fn commands(declared: &BTreeSet<String>) -> String {
    let found = signatures::commands(&sources());
    let typescript = |ty| signatures::typescript(ty, declared).unwrap_or_else(|error| panic!("{error}"));
    let entries: Vec<String> = PAGE_COMMANDS
        .iter()
        .map(|name| {
            let command = found
                .get(*name)
                .unwrap_or_else(|| panic!("command_list.rs lists `{name}`, but no #[tauri::command] fn is named so"));
            let args: Vec<String> = command
                .args
                .iter()
                .map(|(arg, ty)| format!("{arg}: {}", typescript(ty)))
                .collect();
            let args = if args.is_empty() {
                "Record<string, never>".to_owned()
            } else {
                format!("{{ {} }}", args.join(", "))
            };
            format!(
                "  {name}: {{ args: {args}, returns: {} }},",
                typescript(&command.returns)
            )
        })
        .collect();
    format!(
        "/** Every command of the page (src-tauri/src/command_list.rs): the arguments `invoke` takes, by their snake_case names, and what it resolves to; each rejects with a `UiError`. */\n\
         export type Commands = {{\n{}\n}};",
        entries.join("\n")
    )
}

#[test]
fn every_command_function_is_listed_once() {
    let found: BTreeSet<String> = signatures::commands(&sources()).into_keys().collect();
    let listed: Vec<&str> = PAGE_COMMANDS.iter().chain(BENCH_COMMANDS).copied().collect();
    let unique: BTreeSet<String> = listed.iter().map(|name| (*name).to_owned()).collect();
    assert_eq!(unique.len(), listed.len(), "command_list.rs names a command twice");
    let unlisted: Vec<&String> = found.difference(&unique).collect();
    let gone: Vec<&String> = unique.difference(&found).collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "src-tauri/src/command_list.rs does not list the #[tauri::command] functions {unlisted:?}, \
         and lists {gone:?}, which are none"
    );
}

#[test]
fn the_generated_typescript_matches_the_rust_types() {
    let fresh = generated();
    if std::env::var_os(WRITE).is_some() {
        std::fs::write(FILE, &fresh).expect("writing the generated types");
        return;
    }
    let committed = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/generated/ipc.ts is stale (the Rust types or commands crossing IPC changed); refresh it with: scripts/gen-types"
    );
}
