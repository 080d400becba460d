//! What the page may call, as the built app decides it: the app's own context (tauri.conf.json,
//! capabilities/default.json and the permissions build.rs wrote from src-tauri/src/command_list.rs)
//! and its invoke handler, in Tauri's mock runtime. Every command of `PAGE_COMMANDS` passes the
//! ACL and reaches its handler; the benchmark's, and any name outside the list, are refused. No state is managed, so a command
//! that passes stops at its first `State` or argument: nothing runs.

use runnel_app::{BENCH_COMMANDS, PAGE_COMMANDS};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

/// The app's main window in the mock runtime, with the app's own context and handler.
fn main_window() -> WebviewWindow<MockRuntime> {
    let app = mock_builder()
        .invoke_handler(runnel_app::invoke_handler())
        .build(tauri::generate_context!())
        .expect("the app builds");
    WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("the main window")
}

/// What invoking `command` with no arguments from the page's own origin answers: the error's
/// text, or `None` when it succeeded.
fn invoke(window: &WebviewWindow<MockRuntime>, command: &str) -> Option<String> {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_owned(),
    };
    get_ipc_response(window, request).err().map(|error| error.to_string())
}

#[test]
fn the_page_may_call_its_commands_and_nothing_else() {
    let window = main_window();
    for command in PAGE_COMMANDS {
        if let Some(error) = invoke(&window, command) {
            assert!(!error.contains("not allowed"), "{command} is not granted: {error}");
            assert!(!error.contains("not found"), "{command} is not handled: {error}");
        }
    }
    for command in BENCH_COMMANDS.iter().chain(&["not_a_command"]) {
        let error = invoke(&window, command).unwrap_or_else(|| panic!("{command} ran"));
        assert!(
            error.contains("not allowed"),
            "{command} was not refused by the ACL: {error}"
        );
    }
}
