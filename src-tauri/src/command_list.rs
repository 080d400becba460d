// Every command the app handles, named once. This file is a module of the app (lib.rs: the
// invoke handler, `PAGE_COMMANDS`, `BENCH_COMMANDS`) and is also `include!`d by build.rs (the
// permissions, and the `page-commands` set capabilities/default.json grants), so it holds only
// macros and what they expand to: no inner doc comment, no `use`. tests/bindings.rs generates the
// page's `Commands` (ui/src/generated/ipc.ts), which ui/src/ipc.ts is typed against, from these
// functions' signatures; tests/capabilities.rs checks what the built app grants.

/// Calls `$then! { page: [module::command, …], bench: [module::command, …] }` with every command.
/// `page`: the commands of docs/IPC.md, granted by capabilities/default.json (its `page-commands`
/// set) and wrapped by ui/src/ipc.ts. `bench`: handled, but granted only while
/// `RUNNEL_IPC_BENCH=1` (bench.rs). Adding a command: its function
/// (`#[tauri::command(rename_all = "snake_case")]`), a line here, `scripts/gen-types`, and its
/// wrapper in ipc.ts — the tests and the type check name whatever is missing.
macro_rules! app_commands {
    ($then:ident) => {
        $then! {
            page: [
                commands::app_info,
                commands::get_settings,
                commands::set_recordings_keep_days,
                commands::set_layout,
                commands::model_catalog,
                commands::refresh_models,
                commands::list_providers,
                commands::list_protocols,
                commands::set_provider_protocol,
                commands::set_model_price,
                commands::set_api_key,
                commands::delete_api_key,
                commands::test_provider,
                commands::add_custom_provider,
                commands::remove_custom_provider,
                commands::detect_local_servers,
                commands::list_conversations,
                commands::create_conversation,
                commands::get_conversation,
                commands::rename_conversation,
                commands::delete_conversation,
                commands::send_message,
                commands::regenerate,
                commands::edit_message,
                commands::show_version,
                commands::create_compare,
                commands::compare_column,
                commands::retry_column,
                commands::keep_answer,
                commands::stop_stream,
                commands::ack_stream,
                commands::open_link,
                commands::stream_events,
                commands::export_stream,
                commands::inspect_stream,
                commands::stop_inspecting,
                commands::watch_file_drops,
                commands::open_stream_file,
                commands::export_conversation,
                commands::show_exported_file,
                commands::import_conversation,
            ],
            bench: [bench::ipc_bench],
        }
    };
}

/// Defines `PAGE_COMMANDS` and `BENCH_COMMANDS`, the names of `app_commands!`'s two groups.
macro_rules! command_names {
    (page: [$($page_module:ident::$page:ident),* $(,)?], bench: [$($bench_module:ident::$bench:ident),* $(,)?] $(,)?) => {
        /// The page's commands, in the order docs/IPC.md lists them: each granted by
        /// capabilities/default.json and wrapped by ui/src/ipc.ts.
        pub const PAGE_COMMANDS: &[&str] = &[$(stringify!($page)),*];
        /// Commands handled but granted only while the IPC benchmark is on (bench.rs).
        pub const BENCH_COMMANDS: &[&str] = &[$(stringify!($bench)),*];
    };
}

app_commands!(command_names);
