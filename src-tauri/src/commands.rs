//! The commands the page may call (docs/IPC.md): validate, call the state, map the error.
//! Arguments are snake_case on the page too. Keychain calls block, so they run in
//! `block_in_place`, off the async workers' hot path.

use runnel_core::Price;
use runnel_core::catalog::DEMO;
use runnel_core::provider::PROTOCOLS;
use tauri::State;
use tauri::ipc::Channel;

use crate::drops::FileDrops;
use crate::error::{AppError, AppResult};
use crate::export::files::ExportedFiles;
use crate::ipc_types::StartupProblem;
use crate::ipc_types::{
    AppInfo, Conversation, ConversationSummary, ExportFormat, ExportedFile, Layout, LiveRows, ProtocolId, ProtocolView,
    ProviderView, Settings, StreamEvents, StreamMessage, Turn,
};
use crate::providers::new_custom;
use crate::row_windows::Window;
use crate::state::AppState;
use crate::{compare, export, layout, recordings, turns};

/// The model used when no other is or can be: the offline demo's.
fn fallback_model() -> String {
    format!("{DEMO}/{}", runnel_core::demo::DEMO_MODEL)
}

/// The model a new conversation starts on: the last one picked while its provider still exists
/// (built in, in the providers file, or a custom endpoint), else the demo's.
fn default_model(state: &AppState) -> AppResult<String> {
    Ok(start_model(state)?.0)
}

/// The model to start on, and the last one picked when it was replaced because its provider
/// no longer exists (removed from the providers file, the file broken, the endpoint removed).
/// A provider that exists but cannot answer now (no key, a local server not yet found) keeps
/// its model: that is for the person to fix, and the answer says so.
fn start_model(state: &AppState) -> AppResult<(String, Option<String>)> {
    let Some(last) = state.store.setting("last_model")? else {
        return Ok((fallback_model(), None));
    };
    let Ok((provider, _)) = turns::split_model(&last) else {
        return Ok((fallback_model(), Some(last)));
    };
    match state.providers.get(&state.store, provider) {
        Ok(_) => Ok((last, None)),
        Err(AppError::NotFound(_)) => Ok((fallback_model(), Some(last))),
        Err(error) => Err(error),
    }
}

fn blocking<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// Facts the page needs at start.
#[tauri::command(rename_all = "snake_case")]
pub async fn app_info(state: State<'_, AppState>) -> AppResult<AppInfo> {
    let start = start_model(&state)?;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: state.data_dir.display().to_string(),
        first_run: state.store.list_conversations(None)?.is_empty(),
        has_key: blocking(|| state.providers.any_key(&state.store))?,
        default_model: start.0,
        gone_model: start.1,
        demo_provider: DEMO.to_owned(),
        startup_problems: state.startup_problems.iter().map(StartupProblem::from).collect(),
    })
}

/// The settings the page reads.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_settings(state: State<'_, AppState>) -> AppResult<Settings> {
    settings(&state)
}

fn settings(state: &AppState) -> AppResult<Settings> {
    Ok(Settings {
        last_model: default_model(state)?,
        recordings_keep_days: recordings::keep_days(&state.store)?,
        layout: layout::read(&state.store)?,
    })
}

/// Keeps the window's panels as the person left them (widths within layout.rs's bounds).
#[tauri::command(rename_all = "snake_case")]
pub async fn set_layout(state: State<'_, AppState>, layout: Layout) -> AppResult<Layout> {
    layout::save(&state.store, &layout)
}

/// Sets how many days answers' recorded streams are kept (0: none); older ones go at once.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_recordings_keep_days(state: State<'_, AppState>, days: u32) -> AppResult<Settings> {
    blocking(|| recordings::set_keep_days(&state.store, days))?;
    settings(&state)
}

/// The model picker's groups (instant: cached or built-in lists).
#[tauri::command(rename_all = "snake_case")]
pub async fn model_catalog(state: State<'_, AppState>) -> AppResult<Vec<ProviderView>> {
    blocking(|| state.providers.catalog(&state.store))
}

async fn live_models(state: &AppState, provider: &str) -> AppResult<ProviderView> {
    let def = state.providers.get(&state.store, provider)?;
    state.providers.fetch_models(&state.engine, &def).await?;
    Ok(blocking(|| state.providers.view(&def)))
}

/// Lists a provider's models live and remembers them.
#[tauri::command(rename_all = "snake_case")]
pub async fn refresh_models(state: State<'_, AppState>, provider: String) -> AppResult<ProviderView> {
    live_models(&state, &provider).await
}

/// Lists a provider's models with its stored key: the Settings "Test" button.
#[tauri::command(rename_all = "snake_case")]
pub async fn test_provider(state: State<'_, AppState>, provider: String) -> AppResult<ProviderView> {
    live_models(&state, &provider).await
}

/// Every provider's Settings row, with key states read afresh from the keychain.
#[tauri::command(rename_all = "snake_case")]
pub async fn list_providers(state: State<'_, AppState>) -> AppResult<Vec<ProviderView>> {
    state.providers.forget_key_states();
    let all = state.providers.all(&state.store)?;
    Ok(blocking(|| all.iter().map(|def| state.providers.view(def)).collect()))
}

/// Stores a provider's key in the OS keychain, bound to its host.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_api_key(state: State<'_, AppState>, provider: String, key: String) -> AppResult<ProviderView> {
    let def = state.providers.get(&state.store, &provider)?;
    blocking(|| {
        state.providers.set_key(&def, &key)?;
        Ok(state.providers.view(&def))
    })
}

/// Deletes a provider's key from the OS keychain.
#[tauri::command(rename_all = "snake_case")]
pub async fn delete_api_key(state: State<'_, AppState>, provider: String) -> AppResult<ProviderView> {
    let def = state.providers.get(&state.store, &provider)?;
    blocking(|| {
        state.providers.delete_key(&def)?;
        Ok(state.providers.view(&def))
    })
}

/// The protocols a custom endpoint may speak: the core's registry, in its order.
#[tauri::command(rename_all = "snake_case")]
pub async fn list_protocols() -> AppResult<Vec<ProtocolView>> {
    Ok(PROTOCOLS.iter().map(|protocol| ProtocolView::of(*protocol)).collect())
}

/// Makes a built-in provider speak one of the protocols it offers (`ProviderView::protocols`):
/// Ollama's own API or its OpenAI-compatible one, OpenAI's Responses or Chat Completions.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_provider_protocol(
    state: State<'_, AppState>,
    provider: String,
    protocol: ProtocolId,
) -> AppResult<ProviderView> {
    let def = state.providers.choose_protocol(&state.store, &provider, &protocol.0)?;
    Ok(blocking(|| state.providers.view(&def)))
}

/// Sets the price of a provider's model (US dollars per million tokens), kept in the settings
/// over the catalog's; `null` goes back to the catalog's. Answers made from now on are costed at
/// it.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_model_price(
    state: State<'_, AppState>,
    provider: String,
    model: String,
    price: Option<Price>,
) -> AppResult<ProviderView> {
    blocking(|| {
        let def = state.providers.set_price(&state.store, &provider, &model, price)?;
        Ok(state.providers.view(&def))
    })
}

/// Adds a custom endpoint speaking one of the core's protocols (`list_protocols`).
#[tauri::command(rename_all = "snake_case")]
pub async fn add_custom_provider(
    state: State<'_, AppState>,
    name: String,
    protocol: ProtocolId,
    base_url: String,
) -> AppResult<ProviderView> {
    let def = new_custom(&state.store, &name, &protocol.0, &base_url)?;
    state.store.add_custom_provider(&def)?;
    Ok(blocking(|| state.providers.view(&def)))
}

/// Removes a custom endpoint and its key.
#[tauri::command(rename_all = "snake_case")]
pub async fn remove_custom_provider(state: State<'_, AppState>, provider: String) -> AppResult<()> {
    let def = state.providers.get(&state.store, &provider)?;
    if !state.store.remove_custom_provider(&def.id)? {
        return Err(AppError::InvalidInput(format!(
            "{} is built in and cannot be removed",
            def.name
        )));
    }
    // The endpoint is gone either way; a keychain that cannot be reached keeps nothing of it.
    let _ = blocking(|| state.providers.delete_key(&def));
    Ok(())
}

/// Looks for the catalog's local servers at their base URLs.
#[tauri::command(rename_all = "snake_case")]
pub async fn detect_local_servers(state: State<'_, AppState>) -> AppResult<Vec<ProviderView>> {
    let found = state.providers.detect_local(&state.store).await?;
    let all = state.providers.all(&state.store)?;
    Ok(blocking(|| {
        all.iter()
            .filter(|def| found.contains(&def.id))
            .map(|def| state.providers.view(def))
            .collect()
    }))
}

/// Conversations, newest first, optionally filtered by title and content.
#[tauri::command(rename_all = "snake_case")]
pub async fn list_conversations(
    state: State<'_, AppState>,
    query: Option<String>,
) -> AppResult<Vec<ConversationSummary>> {
    state.store.list_conversations(query.as_deref())
}

/// Starts a new conversation.
#[tauri::command(rename_all = "snake_case")]
pub async fn create_conversation(state: State<'_, AppState>) -> AppResult<ConversationSummary> {
    state.store.create_conversation()
}

/// One conversation with its messages.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_conversation(state: State<'_, AppState>, id: i64) -> AppResult<Conversation> {
    state.store.conversation(id)
}

/// Renames a conversation.
#[tauri::command(rename_all = "snake_case")]
pub async fn rename_conversation(state: State<'_, AppState>, id: i64, title: String) -> AppResult<ConversationSummary> {
    let title = title.trim();
    if title.is_empty() {
        return Err(AppError::InvalidInput("a title cannot be empty".into()));
    }
    state.store.rename_conversation(id, title)
}

/// Deletes a conversation.
#[tauri::command(rename_all = "snake_case")]
pub async fn delete_conversation(state: State<'_, AppState>, id: i64) -> AppResult<()> {
    state.store.delete_conversation(id)
}

/// Sends a message and streams the answer over `on_event`.
#[tauri::command(rename_all = "snake_case")]
pub async fn send_message(
    state: State<'_, AppState>,
    conversation_id: i64,
    text: String,
    model: String,
    on_event: Channel<StreamMessage>,
) -> AppResult<Turn> {
    turns::send(&state, conversation_id, &text, &model, on_event).await
}

/// Answers the last message again, as a new version of its turn (Regenerate, Retry, another model).
#[tauri::command(rename_all = "snake_case")]
pub async fn regenerate(
    state: State<'_, AppState>,
    conversation_id: i64,
    model: String,
    on_event: Channel<StreamMessage>,
) -> AppResult<Turn> {
    turns::regenerate(&state, conversation_id, &model, on_event).await
}

/// Edits a user message, as a new version of its turn, and answers it.
#[tauri::command(rename_all = "snake_case")]
pub async fn edit_message(
    state: State<'_, AppState>,
    conversation_id: i64,
    message_id: i64,
    text: String,
    model: String,
    on_event: Channel<StreamMessage>,
) -> AppResult<Turn> {
    turns::edit(&state, conversation_id, message_id, &text, &model, on_event).await
}

/// Shows another version of a turn (`Versions::answers`); returns the conversation as shown now.
#[tauri::command(rename_all = "snake_case")]
pub async fn show_version(
    state: State<'_, AppState>,
    conversation_id: i64,
    message_id: i64,
) -> AppResult<Conversation> {
    turns::show_version(&state, conversation_id, message_id)
}

/// Starts a compare run of `prompt` for 2–4 `models`; the page then starts each column with
/// `compare_column`.
#[tauri::command(rename_all = "snake_case")]
pub async fn create_compare(
    state: State<'_, AppState>,
    prompt: String,
    models: Vec<String>,
) -> AppResult<ConversationSummary> {
    compare::create(&state, &prompt, &models)
}

/// Adds `model`'s column to compare run `compare_id` and streams its answer over `on_event`.
#[tauri::command(rename_all = "snake_case")]
pub async fn compare_column(
    state: State<'_, AppState>,
    compare_id: i64,
    model: String,
    on_event: Channel<StreamMessage>,
) -> AppResult<Turn> {
    compare::column(&state, compare_id, &model, on_event)
}

/// Answers an ended column of a compare run again, in place (its Retry).
#[tauri::command(rename_all = "snake_case")]
pub async fn retry_column(
    state: State<'_, AppState>,
    compare_id: i64,
    message_id: i64,
    on_event: Channel<StreamMessage>,
) -> AppResult<Turn> {
    compare::retry(&state, compare_id, message_id, on_event)
}

/// Continues with one column's answer: a new chat with the prompt and that answer.
#[tauri::command(rename_all = "snake_case")]
pub async fn keep_answer(
    state: State<'_, AppState>,
    compare_id: i64,
    message_id: i64,
) -> AppResult<ConversationSummary> {
    compare::keep(&state, compare_id, message_id)
}

/// Stops a stream; its connection closes at once and the answer is saved as stopped.
#[tauri::command(rename_all = "snake_case")]
pub async fn stop_stream(state: State<'_, AppState>, stream_id: u64) -> AppResult<()> {
    state.streams.stop(stream_id);
    Ok(())
}

/// Sends a running stream's inspector rows over `on_rows`, in batches: every event from the
/// first, then each as it arrives, until the stream ends (rows up to the inspector's bound, then
/// the count of events past it). `false` when the stream is not running (the page then reads
/// `stream_events`).
#[tauri::command(rename_all = "snake_case")]
pub async fn inspect_stream(state: State<'_, AppState>, stream_id: u64, on_rows: Channel<LiveRows>) -> AppResult<bool> {
    Ok(state.streams.inspect(stream_id, on_rows))
}

/// Stops sending a running stream's inspector rows (the inspector closed or moved on).
#[tauri::command(rename_all = "snake_case")]
pub async fn stop_inspecting(state: State<'_, AppState>, stream_id: u64) -> AppResult<()> {
    state.streams.stop_inspecting(stream_id);
    Ok(())
}

/// The page painted a stream's messages up to `seq`.
#[tauri::command(rename_all = "snake_case")]
pub async fn ack_stream(state: State<'_, AppState>, stream_id: u64, seq: u64) -> AppResult<()> {
    state.streams.ack(stream_id, seq);
    Ok(())
}

/// A window of an answer's recorded stream for the inspector: `count` rows (at most
/// `row_windows::WINDOW_ROWS`) from `start` among those passing `filter`, how many there are,
/// and the stream's summary and timeline.
#[tauri::command(rename_all = "snake_case")]
pub async fn stream_events(
    state: State<'_, AppState>,
    message_id: i64,
    start: u64,
    count: u64,
    filter: String,
) -> AppResult<StreamEvents> {
    let window = Window { start, count, filter };
    blocking(|| recordings::stream_events(&state.store, &state.inspected, message_id, &window))
}

/// Writes an answer's recorded stream to the downloads folder as an `.sse` file and its sidecar;
/// returns the file's path.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_stream(state: State<'_, AppState>, message_id: i64) -> AppResult<String> {
    let dir = downloads(&state)?;
    let message = state.store.message(message_id)?;
    let title = state.store.summary(message.conversation_id)?.title;
    let path = blocking(|| recordings::export(&state.store, message_id, &title, &dir))?;
    Ok(path.display().to_string())
}

/// Opens an `.sse` file (and its sidecar, when there is one) into the inspector: a window of its
/// rows, as `stream_events` gives an answer's.
#[tauri::command(rename_all = "snake_case")]
pub async fn open_stream_file(
    state: State<'_, AppState>,
    path: String,
    start: u64,
    count: u64,
    filter: String,
) -> AppResult<StreamEvents> {
    if path.trim().is_empty() {
        return Err(AppError::InvalidInput("no file was given".into()));
    }
    let window = Window { start, count, filter };
    blocking(|| recordings::open_file(&state.inspected, std::path::Path::new(&path), &window))
}

/// Hands the paths of files dropped onto the window to `on_drop` from now on (the page opens an
/// `.sse` file among them into the inspector).
#[tauri::command(rename_all = "snake_case")]
pub async fn watch_file_drops(drops: State<'_, FileDrops>, on_drop: Channel<Vec<String>>) -> AppResult<()> {
    drops.watch(on_drop);
    Ok(())
}

/// The downloads folder exports (of streams and of conversations) go to.
fn downloads(state: &AppState) -> AppResult<std::path::PathBuf> {
    state
        .downloads_dir
        .clone()
        .ok_or_else(|| AppError::Config("there is no downloads folder: set XDG_DOWNLOAD_DIR or HOME".into()))
}

/// Writes a conversation to the downloads folder as Markdown or JSON (docs/EXPORT.md), under a
/// free name from its title; returns the file's path and the id that shows its folder.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_conversation(
    state: State<'_, AppState>,
    exported: State<'_, ExportedFiles>,
    id: i64,
    format: ExportFormat,
) -> AppResult<ExportedFile> {
    let dir = downloads(&state)?;
    let path = blocking(|| export::export(&state.store, id, format, &dir))?;
    Ok(ExportedFile {
        path: path.display().to_string(),
        id: exported.remember(path),
    })
}

/// Opens the folder of a file `export_conversation` wrote (by its id) in the file manager.
#[tauri::command(rename_all = "snake_case")]
pub async fn show_exported_file(exported: State<'_, ExportedFiles>, id: u64) -> AppResult<()> {
    Ok(exported.show(id)?)
}

/// Restores a conversation from an exported JSON file's `text` as a new conversation.
#[tauri::command(rename_all = "snake_case")]
pub async fn import_conversation(state: State<'_, AppState>, text: String) -> AppResult<ConversationSummary> {
    blocking(|| export::import(&state.store, &text))
}

/// Opens a link from an answer in the system browser (http, https and mailto only).
#[tauri::command(rename_all = "snake_case")]
pub async fn open_link(url: String) -> AppResult<()> {
    let url = openable_url(&url)?;
    open::that_detached(&url).map_err(|error| AppError::Config(format!("cannot open the browser: {error}")))
}

/// What `open_link` hands to the system: an http(s) URL as it is, a mailto: URL with its address
/// only — a query (`?attach=…`, `?body=…`) could attach local files or write the message.
fn openable_url(url: &str) -> AppResult<String> {
    let lower = url.to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme));
    if !allowed || url.chars().any(char::is_control) {
        return Err(AppError::InvalidInput("only http, https and mailto links open".into()));
    }
    if !lower.starts_with("mailto:") {
        return Ok(url.to_owned());
    }
    let address = &lower["mailto:".len()..];
    let end = ["?", "#", "%3f", "%23"]
        .iter()
        .filter_map(|cut| address.find(cut))
        .min()
        .unwrap_or(address.len());
    Ok(format!("mailto:{}", &url["mailto:".len()..][..end]))
}

#[cfg(test)]
mod tests {
    use super::openable_url;

    #[test]
    fn a_mailto_link_opens_its_address_only() {
        let opened = |url: &str| openable_url(url).ok();
        assert_eq!(
            opened("mailto:me@example.com").as_deref(),
            Some("mailto:me@example.com")
        );
        for url in [
            "mailto:me@example.com?attach=/home/u/.ssh/id_rsa",
            "MAILTO:me@example.com?subject=s&body=b&attach=~/.gnupg",
            "mailto:me@example.com%3Fattach=/etc/passwd",
            "mailto:me@example.com#x",
        ] {
            assert_eq!(opened(url).as_deref(), Some("mailto:me@example.com"), "{url}");
        }
        assert_eq!(
            opened("https://example.com/a?b=1#c").as_deref(),
            Some("https://example.com/a?b=1#c")
        );
        assert_eq!(opened("file:///etc/passwd"), None);
        assert_eq!(opened("javascript:alert(1)"), None);
        assert_eq!(opened("https://example.com/\nx"), None);
    }
}
