//! The page's types (`ui/src/generated/ipc.ts`) are generated from the Rust types that cross IPC
//! (ts-rs). This test generates them in memory and fails when the committed file differs;
//! `scripts/gen-types` rewrites it. A type that starts crossing IPC is added to [`generated`].

use runnel_app::error::UiError;
use runnel_app::models::StartupProblem;
use runnel_app::models::{
    AppInfo, Conversation, ConversationKind, ConversationSummary, EventRow, KeyState, LiveRows, MessageState,
    MessageView, ProviderView, Saved, Settings, Stats, StreamEvents, StreamMessage, StreamSummary, Timeline, Turn,
};
use runnel_core::provider::Field;
use runnel_core::{ErrorKind, FinishReason, RawFrame, StreamError, StreamEvent, TimeoutPhase, Usage};
use ts_rs::{Config, TS};

/// The committed file.
const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/generated/ipc.ts");
/// Set to rewrite [`FILE`] instead of comparing (what `scripts/gen-types` does).
const WRITE: &str = "RUNNEL_WRITE_TYPES";

/// One exported declaration on one line, after its doc comment on one line. The fields' own
/// docs stay in the Rust source: a declaration per line keeps the file short to read and diff.
fn declaration<T: TS>(config: &Config) -> String {
    let docs = one_line(&T::docs().unwrap_or_default());
    format!("{docs}\nexport {}", one_line(&without_docs(&T::decl(config))))
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

/// The whole file: every type that crosses IPC, the core's vocabulary first.
fn generated() -> String {
    // Every integer crossing IPC (ids, unix ms, token counts) is far below 2^53.
    let config = Config::new().with_large_int("number");
    let declarations = [
        declaration::<StreamEvent>(&config),
        declaration::<Usage>(&config),
        declaration::<FinishReason>(&config),
        declaration::<RawFrame>(&config),
        declaration::<StreamError>(&config),
        declaration::<ErrorKind>(&config),
        declaration::<TimeoutPhase>(&config),
        declaration::<StreamMessage>(&config),
        declaration::<Saved>(&config),
        declaration::<UiError>(&config),
        declaration::<MessageState>(&config),
        declaration::<Stats>(&config),
        declaration::<MessageView>(&config),
        declaration::<ConversationKind>(&config),
        declaration::<ConversationSummary>(&config),
        declaration::<Conversation>(&config),
        declaration::<Turn>(&config),
        declaration::<KeyState>(&config),
        declaration::<ProviderView>(&config),
        declaration::<AppInfo>(&config),
        declaration::<StartupProblem>(&config),
        declaration::<Settings>(&config),
        declaration::<StreamEvents>(&config),
        declaration::<EventRow>(&config),
        declaration::<Field>(&config),
        declaration::<StreamSummary>(&config),
        declaration::<Timeline>(&config),
        declaration::<LiveRows>(&config),
    ];
    format!(
        "// Generated from the Rust types by tests/bindings.rs (ts-rs). Do not edit: run scripts/gen-types.\n\n{}\n",
        declarations.join("\n\n")
    )
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
        "ui/src/generated/ipc.ts is stale (the Rust types crossing IPC changed); refresh it with: scripts/gen-types"
    );
}
