//! The app's commands in Rust, without a window: real state (SQLite in a temp folder, an
//! in-memory key store), real streams against fake providers on 127.0.0.1, and a real
//! `tauri::ipc::Channel` whose messages are collected.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use runnel_app::commands;
use runnel_app::ipc_types::{
    Conversation, ConversationKind, KeyState, LiveRows, MessageState, MessageView, ProtocolId, StreamEvents, Turn,
};
use runnel_app::row_windows::WINDOW_ROWS;
use runnel_app::state::AppState;
use runnel_core::catalog::Origin;
use runnel_core::provider::PROTOCOLS;
use runnel_core::{Catalog, KeyStore, MemoryStore, ProviderDef, Role};
use runnel_testkit::{Chunking, FakeServer, Reply, fixture, openai_stream, slow_openai_reply, sse_events};
use serde_json::Value;
use tauri::Manager;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::test::MockRuntime;

const KEY: &str = "sk-app-test-DO-NOT-LEAK-19";
/// The text `openai_text.sse` streams.
const FIXTURE_TEXT: &str = "Hello! Café au lait, 日本語 and a crab 🦀.\nDone \"quoted\".";

struct Harness {
    app: tauri::App<MockRuntime>,
    keys: Arc<MemoryStore>,
    dir: tempfile::TempDir,
}

/// The two fake providers as providers-file entries.
fn fake_providers(openai: &FakeServer, anthropic: &FakeServer) -> Catalog {
    let fake_openai = ProviderDef {
        models: vec!["gpt-fake".into()],
        ..ProviderDef::new(
            Origin::File,
            "fake-openai",
            "Fake OpenAI",
            "openai",
            &format!("{}/v1", openai.url()),
        )
    };
    let fake_anthropic = ProviderDef {
        models: vec!["claude-fake".into()],
        key_required: true,
        ..ProviderDef::new(
            Origin::File,
            "fake-anthropic",
            "Fake Anthropic",
            "anthropic",
            &anthropic.url(),
        )
    };
    let mut catalog = Catalog::builtin();
    catalog.extend(vec![fake_openai, fake_anthropic]).unwrap();
    catalog
}

impl Harness {
    /// An app with two fake providers: `fake-openai` (OpenAI-style) and `fake-anthropic`.
    fn new(openai: &FakeServer, anthropic: &FakeServer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_owned();
        Self::with_state(dir, |keys| {
            AppState::open(&data_dir, keys, fake_providers(openai, anthropic)).unwrap()
        })
    }

    /// An app whose state `open` makes (with the harness's key store), kept with `dir`.
    fn with_state(dir: tempfile::TempDir, open: impl FnOnce(Arc<dyn KeyStore>) -> AppState) -> Self {
        let keys = Arc::new(MemoryStore::default());
        let state = open(keys.clone() as Arc<dyn KeyStore>);
        let app = tauri::test::mock_app();
        app.manage(state);
        Self { app, keys, dir }
    }

    /// The history database file.
    fn database(&self) -> std::path::PathBuf {
        self.dir.path().join(runnel_app::startup::DATABASE_FILE)
    }

    fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    /// Sends `text` to `model` in a conversation; returns the turn and the channel's messages.
    async fn send(&self, conversation_id: i64, text: &str, model: &str) -> (Turn, Received) {
        let (channel, received) = collecting_channel();
        let turn = commands::send_message(self.state(), conversation_id, text.into(), model.into(), channel)
            .await
            .unwrap();
        (turn, received)
    }

    /// Regenerates the last answer with `model`.
    async fn regenerate(&self, conversation_id: i64, model: &str) -> (Turn, Received) {
        let (channel, received) = collecting_channel();
        let turn = commands::regenerate(self.state(), conversation_id, model.into(), channel)
            .await
            .unwrap();
        (turn, received)
    }
}

/// The messages a collecting channel received, as JSON.
type Received = Arc<Mutex<Vec<Value>>>;

/// A channel whose messages (as JSON) are collected.
fn collecting_channel<T: tauri::ipc::IpcResponse>() -> (Channel<T>, Received) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    let channel = Channel::new(move |body: InvokeResponseBody| {
        let json = match body {
            InvokeResponseBody::Json(json) => json,
            InvokeResponseBody::Raw(bytes) => String::from_utf8(bytes).unwrap(),
        };
        sink.lock().unwrap().push(serde_json::from_str(&json).unwrap());
        Ok(())
    });
    (channel, received)
}

/// Waits (up to 60 s: a locked database makes each write wait 5 s) for the ending (the message
/// carrying `saved`) and returns every message received.
async fn until_end(received: &Received) -> Vec<Value> {
    for _ in 0..6000 {
        if received.lock().unwrap().last().is_some_and(is_ending) {
            return received.lock().unwrap().clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no ending: {:?}", received.lock().unwrap());
}

/// The stream's last message: a core ending event with what was saved.
fn is_ending(message: &Value) -> bool {
    let ending = ["finish", "error", "stopped"].contains(&message["type"].as_str().unwrap_or_default());
    assert_eq!(
        ending,
        message.get("saved").is_some(),
        "`saved` comes with the ending only: {message}"
    );
    ending
}

fn text_of(messages: &[Value]) -> String {
    messages
        .iter()
        .filter(|m| m["type"] == "text")
        .map(|m| m["text"].as_str().unwrap())
        .collect()
}

async fn servers() -> (FakeServer, FakeServer) {
    (FakeServer::start().await, FakeServer::start().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_message_streams_over_the_channel_and_is_saved() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(Reply::sse(fixture("openai_text.sse")).chunking(Chunking::Fixed(30)));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness
        .send(conversation.id, "  Hello there  ", "fake-openai/gpt-fake")
        .await;
    assert_eq!(turn.user.content, "Hello there");
    assert_eq!(turn.assistant.state, MessageState::Streaming);
    assert_eq!(turn.assistant.model.as_deref(), Some("fake-openai/gpt-fake"));
    let messages = until_end(&received).await;
    assert_eq!(messages[0]["type"], "start");
    let seqs: Vec<u64> = messages.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|pair| pair[1] == pair[0] + 1), "{seqs:?}");
    let expected = "Hello! Café au lait, 日本語 and a crab 🦀.\nDone \"quoted\".";
    assert_eq!(text_of(&messages), expected);
    let ending = messages.last().unwrap();
    assert_eq!(
        (ending["type"].as_str(), ending["reason"].as_str()),
        (Some("finish"), Some("stop"))
    );
    let end = &ending["saved"];
    assert_eq!(end["state"], "done");
    assert_eq!(end["id"], turn.assistant.id);
    assert_eq!(end["stats"]["finish_reason"], "stop");
    assert_eq!(end["stats"]["output_tokens"], 14);
    // Every message carries the answer's numbers so far: the first token's time from the first
    // text on (the page's sign that the answer has content), the final numbers on the ending.
    assert!(messages.iter().all(|m| m["stats"].is_object()), "{messages:?}");
    let first_text = messages.iter().position(|m| m["type"] == "text").unwrap();
    assert!(messages[first_text..].iter().all(|m| m["stats"]["ttft_ms"].is_number()));
    assert_eq!(ending["stats"], end["stats"]);

    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(saved.title, "Hello there");
    assert_eq!(saved.messages[1].content, expected);
    assert_eq!(saved.messages[1].state, MessageState::Done);
    assert_eq!(
        commands::get_settings(harness.state()).await.unwrap().last_model,
        "fake-openai/gpt-fake"
    );
    assert_eq!(openai.requests()[0].json()["model"], "gpt-fake");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_keeps_the_partial_answer_saved_as_stopped_and_closes_the_connection() {
    let (openai, _anthropic, harness, conversation_id, turn, received) = slow_answer_under_way().await;
    commands::stop_stream(harness.state(), turn.stream_id).await.unwrap();
    assert!(
        openai
            .connection(0)
            .wait_closed_by_client(Duration::from_secs(5))
            .await
            .is_some()
    );
    let messages = until_end(&received).await;
    let ending = messages.last().unwrap();
    assert_eq!(ending["type"], "stopped");
    let end = &ending["saved"];
    assert_eq!(end["state"], "stopped");
    assert!(end.get("content").is_none(), "the ending leaves the text to the deltas");
    let partial = text_of(&messages);
    assert!(partial.starts_with("tok0 tok1") && partial.len() < 20_000 * 5);
    let saved = commands::get_conversation(harness.state(), conversation_id)
        .await
        .unwrap();
    assert_eq!(
        (saved.messages[1].state, saved.messages[1].content.as_str()),
        (MessageState::Stopped, partial.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_to_an_anthropic_model_sends_it_the_history() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(Reply::sse(fixture("openai_text.sse")));
    anthropic.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let harness = Harness::new(&openai, &anthropic);
    let view = commands::set_api_key(harness.state(), "fake-anthropic".into(), KEY.into())
        .await
        .unwrap();
    assert_eq!(view.key, KeyState::Keychain);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (_, received) = harness
        .send(conversation.id, "first question", "fake-openai/gpt-fake")
        .await;
    until_end(&received).await;
    let (_, received) = harness
        .send(conversation.id, "second question", "fake-anthropic/claude-fake")
        .await;
    let messages = until_end(&received).await;
    assert_eq!(messages.last().unwrap()["saved"]["state"], "done");
    let request = &anthropic.requests()[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    let body = request.json();
    let turns: Vec<(String, String)> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(turns[0], ("user".into(), "first question".into()));
    assert_eq!(turns[1].0, "assistant");
    assert!(turns[1].1.starts_with("Hello! Café au lait"));
    assert_eq!(turns[2], ("user".into(), "second question".into()));
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    let models: Vec<_> = saved.messages.iter().filter_map(|m| m.model.clone()).collect();
    assert_eq!(models, ["fake-openai/gpt-fake", "fake-anthropic/claude-fake"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_stored_never_returned_and_deleted() {
    let (openai, anthropic) = servers().await;
    let harness = Harness::new(&openai, &anthropic);
    commands::set_api_key(harness.state(), "fake-anthropic".into(), format!(" {KEY}\n"))
        .await
        .unwrap();
    let stored = harness.keys.get("fake-anthropic").unwrap().unwrap();
    assert_eq!(stored.key.expose(), KEY);
    assert_eq!(stored.origin, anthropic.url());
    let providers = commands::list_providers(harness.state()).await.unwrap();
    assert!(!serde_json::to_string(&providers).unwrap().contains(KEY));
    let row = providers.iter().find(|p| p.id == "fake-anthropic").unwrap();
    assert_eq!((row.key, row.takes_key), (KeyState::Keychain, true));
    let error = commands::set_api_key(harness.state(), "fake-anthropic".into(), "   ".into())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "invalid_input");
    // A key stored behind the app's back (the CLI shares the keychain) shows up in Settings.
    harness.keys.delete("fake-anthropic").unwrap();
    let providers = commands::list_providers(harness.state()).await.unwrap();
    assert_eq!(
        providers.iter().find(|p| p.id == "fake-anthropic").unwrap().key,
        KeyState::None
    );
    commands::set_api_key(harness.state(), "fake-anthropic".into(), KEY.into())
        .await
        .unwrap();
    let view = commands::delete_api_key(harness.state(), "fake-anthropic".into())
        .await
        .unwrap();
    assert_eq!(view.key, KeyState::None);
    assert!(harness.keys.get("fake-anthropic").unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_fails_the_answer_inline_and_retry_works_once_it_is_set() {
    let (openai, anthropic) = servers().await;
    anthropic.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "hi", "fake-anthropic/claude-fake").await;
    assert_eq!(turn.assistant.state, MessageState::Error);
    assert_eq!(turn.assistant.error.as_ref().unwrap().kind, "config");
    assert!(
        turn.assistant
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("no API key for Fake Anthropic")
    );
    let lone = until_end(&received).await;
    assert_eq!(lone.len(), 1);
    assert_eq!(
        (lone[0]["seq"].as_u64(), lone[0]["type"].as_str()),
        (Some(1), Some("error"))
    );
    assert_eq!(lone[0]["saved"]["error"]["kind"], "config");
    assert_eq!(lone[0]["saved"]["error"]["retryable"], false, "a key must be set first");
    assert!(anthropic.requests().is_empty());

    commands::set_api_key(harness.state(), "fake-anthropic".into(), KEY.into())
        .await
        .unwrap();
    let (_, received) = harness.regenerate(conversation.id, "fake-anthropic/claude-fake").await;
    let messages = until_end(&received).await;
    assert_eq!(messages.last().unwrap()["saved"]["state"], "done");
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(saved.messages.len(), 2, "the failed answer was replaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_end_the_answer_with_a_typed_error_and_the_text_so_far() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(
        Reply::json(429, std::str::from_utf8(&fixture("openai_error_429.json")).unwrap()).header("retry-after", "20"),
    );
    openai.enqueue(Reply::sse(fixture("openai_error_midstream.sse")));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (_, received) = harness.send(conversation.id, "hi", "fake-openai/gpt-fake").await;
    let ending = until_end(&received).await.last().unwrap().clone();
    assert_eq!(
        (ending["type"].as_str(), ending["kind"].as_str()),
        (Some("error"), Some("rate_limited")),
        "the core's error event"
    );
    let end = ending["saved"].clone();
    assert_eq!(
        (end["state"].as_str(), end["error"]["kind"].as_str()),
        (Some("error"), Some("rate_limited"))
    );
    assert_eq!(end["error"]["retry_after"], 20.0);
    assert_eq!(end["error"]["status"], 429);
    assert_eq!(end["error"]["retryable"], true);

    let (_, received) = harness.regenerate(conversation.id, "fake-openai/gpt-fake").await;
    let messages = until_end(&received).await;
    let end = messages.last().unwrap()["saved"].clone();
    assert_eq!(
        (end["state"].as_str(), text_of(&messages).as_str()),
        (Some("error"), "Partial answer before")
    );
    assert_eq!(end["error"]["kind"], "server");
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(saved.messages[1].content, "Partial answer before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_never_acks_gets_a_burst_coalesced_from_the_first_read_on_within_the_message_limit() {
    let (openai, anthropic) = servers().await;
    // Written at once: every read holds many deltas.
    openai.enqueue(Reply::sse(openai_stream(5_000)));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (_, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    let messages = until_end(&received).await;
    assert_eq!(text_of(&messages), runnel_testkit::openai_text_of(5_000));
    let texts = messages.iter().filter(|m| m["type"] == "text").count();
    assert!(texts < 500, "5,000 deltas were coalesced into {texts} messages");
    // Sent a delta each, the first window's 16 messages would hold 16 deltas.
    let single_deltas = messages
        .iter()
        .filter(|m| m["type"] == "text")
        .filter(|m| m["text"].as_str().unwrap().matches("tok").count() == 1)
        .count();
    assert!(single_deltas < 4, "{single_deltas} messages held a single delta");
    assert!(
        messages
            .iter()
            .all(|m| serde_json::to_string(m).unwrap().len() <= runnel_app::outbox::MAX_MESSAGE_BYTES)
    );
}

/// Resident memory of process `pid`, in bytes (Linux).
fn resident_bytes(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<usize>().ok()? * 1024)
}

/// What the flood test prints when the server can write no more, and when it held that for 2 s.
const FLOOD_HELD: &str = "flood: held";
const FLOOD_STILL: &str = "flood: still";

/// A page that never acknowledges, a server sending text then an endless flood of usage reports:
/// once the outbox and the stream's channel are full the server can write no more; Stop still
/// ends the answer with its text saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run in a process of its own by the test below, which measures its memory (scripts/test runs it here too)"]
async fn a_flood_of_events_without_text_to_a_page_that_never_acks() {
    let (openai, anthropic) = servers().await;
    let before = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Before\"}}]}\n\n";
    let usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n";
    openai.enqueue(Reply::sse(before).end(runnel_testkit::End::Endless(usage.repeat(100).into_bytes())));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    openai.wait_requests(1, Duration::from_secs(10)).await;
    let connection = openai.connection(0);
    let written = connection
        .wait_stalled(Duration::from_millis(500), Duration::from_secs(20))
        .await
        .expect("the server was still writing after 20 s");
    assert!(written < 64 << 20, "{written} bytes were read ahead of the page");
    println!("{FLOOD_STILL}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(connection.bytes_written(), written, "nothing more was read in 2 s");
    println!("{FLOOD_HELD}");
    let sent = received.lock().unwrap().len();
    assert!(sent <= 16, "{sent} messages went out unacknowledged");

    commands::stop_stream(harness.state(), turn.stream_id).await.unwrap();
    assert!(connection.wait_closed_by_client(Duration::from_secs(5)).await.is_some());
    let messages = until_end(&received).await;
    assert_eq!(messages.last().unwrap()["saved"]["state"], "stopped");
    assert_eq!(text_of(&messages), "Before");
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(saved.messages[1].content, "Before");
}

#[test]
fn a_flood_of_events_without_text_keeps_the_apps_memory_under_256_mib_and_flat() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_flood_of_events_without_text_to_a_page_that_never_acks",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sampler = {
        let peak = peak.clone();
        std::thread::spawn(move || {
            while let Some(bytes) = resident_bytes(pid) {
                peak.fetch_max(bytes, std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let (mut at_still, mut at_held) = (None, None);
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.ends_with(FLOOD_STILL) {
            at_still = resident_bytes(pid);
        } else if line.ends_with(FLOOD_HELD) {
            at_held = resident_bytes(pid);
        }
    }
    assert!(
        child.wait().unwrap().success(),
        "the flood test failed in its own process"
    );
    sampler.join().unwrap();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    assert!(peak < 256 << 20, "peak memory {} MiB", peak >> 20);
    let (still, held) = (at_still.unwrap(), at_held.unwrap());
    assert!(
        held <= still + (4 << 20),
        "memory grew from {} to {} MiB while the flood was held",
        still >> 20,
        held >> 20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_echoed_in_an_error_body_is_masked_before_the_recording_is_stored_or_exported() {
    let (openai, anthropic) = servers().await;
    let body =
        format!(r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key: {KEY}"}}}}"#);
    anthropic.enqueue(Reply::json(401, &body));
    let downloads = tempfile::tempdir().unwrap();
    let harness = harness_in(tempfile::tempdir().unwrap(), &openai, &anthropic, downloads.path());
    commands::set_api_key(harness.state(), "fake-anthropic".into(), KEY.into())
        .await
        .unwrap();
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "hi", "fake-anthropic/claude-fake").await;
    let messages = until_end(&received).await;
    assert_eq!(messages.last().unwrap()["saved"]["error"]["kind"], "authentication");
    assert_eq!(
        anthropic.requests()[0].header("x-api-key"),
        Some(KEY),
        "the key was sent, and echoed back"
    );

    // Nothing written to disk holds it: the database (and its write-ahead log)…
    let database = harness.database();
    let mut files = vec![database.clone()];
    files.push(database.with_extension("sqlite3-wal"));
    for file in files.iter().filter(|file| file.exists()) {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|window| window == KEY.as_bytes()),
            "{} holds the key",
            file.display()
        );
        assert!(
            !bytes.windows(12).any(|window| window == &KEY.as_bytes()[4..16]),
            "{}",
            file.display()
        );
    }
    // … nor the export, whose offsets still hold: the key's run is as many `*`s.
    let answer = turn.assistant.id;
    let masked = "*".repeat(KEY.len());
    let path = commands::export_stream(harness.state(), answer).await.unwrap();
    let exported = std::fs::read_to_string(&path).unwrap();
    assert_eq!(exported.len(), body.len());
    assert_eq!(exported, body.replace(KEY, &masked));
    let sidecar = std::fs::read_to_string(format!("{path}.json")).unwrap();
    assert!(sidecar.contains("\"key_runs_masked\": 1"), "{sidecar}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_acks_gets_every_delta_alone() {
    let (openai, anthropic) = servers().await;
    // Writes 25 ms apart (a delta every one or two): Rust coalesces only once `outbox::WINDOW`
    // (16) messages are unacknowledged, over 400 ms behind, which this loop acking every
    // millisecond never is even on a loaded machine (with writes 3 ms apart, 48 ms behind
    // happened under CI's load).
    openai.enqueue(
        Reply::sse(openai_stream(40))
            .chunking(Chunking::Fixed(150))
            .delay(Duration::from_millis(25)),
    );
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    // Acknowledge everything as it arrives, as a page painting every frame would.
    let state = harness.state();
    loop {
        let last = received.lock().unwrap().last().cloned();
        if let Some(last) = last {
            if is_ending(&last) {
                break;
            }
            commands::ack_stream(state.clone(), turn.stream_id, last["seq"].as_u64().unwrap())
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.iter().filter(|m| m["type"] == "text").count(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_answer_is_checkpointed_before_it_ends() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(slow_openai_reply());
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, _) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(saved.messages[1].state, MessageState::Streaming);
    assert!(
        saved.messages[1].content.starts_with("tok0 tok1"),
        "checkpointed: {:?}",
        &saved.messages[1].content
    );
    commands::stop_stream(harness.state(), turn.stream_id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_created_renamed_searched_edited_and_deleted() {
    let (openai, anthropic) = servers().await;
    openai.route("/v1/chat/completions", Reply::sse(fixture("openai_text.sse")));
    let harness = Harness::new(&openai, &anthropic);
    let state = || harness.state();
    let info = commands::app_info(state()).await.unwrap();
    assert!(info.first_run);
    assert_eq!(info.default_model, "demo/runnel-demo");
    let first = commands::create_conversation(state()).await.unwrap();
    let second = commands::create_conversation(state()).await.unwrap();
    commands::rename_conversation(state(), first.id, "Rust lifetimes".into())
        .await
        .unwrap();
    assert!(
        commands::rename_conversation(state(), first.id, "  ".into())
            .await
            .is_err()
    );
    let (channel, received) = collecting_channel();
    let turn = commands::send_message(
        state(),
        second.id,
        "tell me about crabs".into(),
        "fake-openai/gpt-fake".into(),
        channel,
    )
    .await
    .unwrap();
    until_end(&received).await;
    let found = commands::list_conversations(state(), Some("crab".into()))
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        [second.id],
        "content matches"
    );
    let found = commands::list_conversations(state(), Some("lifetimes".into()))
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        [first.id],
        "titles match"
    );

    let (channel, received) = collecting_channel();
    commands::edit_message(
        state(),
        second.id,
        turn.user.id,
        "tell me about lobsters".into(),
        "fake-openai/gpt-fake".into(),
        channel,
    )
    .await
    .unwrap();
    until_end(&received).await;
    let edited = commands::get_conversation(state(), second.id).await.unwrap();
    assert_eq!(edited.messages.len(), 2);
    assert_eq!(edited.messages[0].content, "tell me about lobsters");
    assert_eq!(openai.requests()[1].json()["messages"].as_array().unwrap().len(), 1);

    commands::delete_conversation(state(), first.id).await.unwrap();
    assert_eq!(
        commands::get_conversation(state(), first.id).await.unwrap_err().kind(),
        "not_found"
    );
    assert!(!commands::app_info(state()).await.unwrap().first_run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_endpoints_and_the_model_catalog() {
    let (openai, anthropic) = servers().await;
    openai.route(
        "/v1/models",
        Reply::json(200, std::str::from_utf8(&fixture("openai_models.json")).unwrap()),
    );
    let harness = Harness::new(&openai, &anthropic);
    // The protocols offered are the core's registry, in its order; no other id is taken.
    let protocols = commands::list_protocols().await.unwrap();
    let ids: Vec<&str> = protocols.iter().map(|protocol| protocol.id.0.as_str()).collect();
    let registry: Vec<&str> = PROTOCOLS.iter().map(|protocol| protocol.id()).collect();
    assert_eq!(ids, registry);
    let unknown = commands::add_custom_provider(
        harness.state(),
        "Box".into(),
        ProtocolId("not-a-protocol".into()),
        format!("{}/v1", openai.url()),
    )
    .await;
    assert!(
        matches!(unknown, Err(runnel_app::error::AppError::InvalidInput(_))),
        "{unknown:?}"
    );
    let speaks_openai = protocols.iter().find(|protocol| protocol.id.0 == "openai").unwrap();
    let added = commands::add_custom_provider(
        harness.state(),
        "Box".into(),
        speaks_openai.id.clone(),
        format!("{}/v1", openai.url()),
    )
    .await
    .unwrap();
    assert_eq!((added.id.as_str(), added.custom), ("custom-box", true));
    let listed = commands::test_provider(harness.state(), "custom-box".into())
        .await
        .unwrap();
    assert!(!listed.models.is_empty());
    let catalog = commands::model_catalog(harness.state()).await.unwrap();
    let group = catalog.iter().find(|group| group.id == "custom-box").unwrap();
    assert_eq!(group.models, listed.models, "live models are remembered");
    let anthropic_group = catalog.iter().find(|group| group.id == "fake-anthropic").unwrap();
    assert!(!anthropic_group.available && anthropic_group.hint.is_some());
    assert!(
        commands::remove_custom_provider(harness.state(), "fake-openai".into())
            .await
            .is_err()
    );
    commands::remove_custom_provider(harness.state(), "custom-box".into())
        .await
        .unwrap();
    let catalog = commands::model_catalog(harness.state()).await.unwrap();
    assert!(catalog.iter().all(|group| group.id != "custom-box"));
    assert!(commands::open_link("javascript:alert(1)".into()).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_server_that_answers_is_offered_and_a_file_entry_shows_up_everywhere() {
    let (openai, anthropic) = servers().await;
    let models = std::str::from_utf8(&fixture("openai_models.json")).unwrap().to_owned();
    openai.route("/v1/models", Reply::json(200, &models));
    // vLLM as built in, but running where the fake server listens (as VLLM_BASE_URL would say).
    let mut catalog = fake_providers(&openai, &anthropic);
    let vllm = Catalog::builtin().get("vllm").unwrap().clone();
    catalog.push(ProviderDef {
        base_url: format!("{}/v1", openai.url()),
        ..vllm
    });
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let harness = Harness::with_state(dir, |keys| AppState::open(&data_dir, keys, catalog).unwrap());
    let offered = |catalog: &[runnel_app::ipc_types::ProviderView]| {
        catalog.iter().map(|group| group.id.clone()).collect::<Vec<_>>()
    };
    let before = commands::model_catalog(harness.state()).await.unwrap();
    assert!(
        !offered(&before).contains(&"vllm".to_owned()),
        "not offered before it answered"
    );

    // A key stored for vLLM where it runs: detection must not send it (nobody chose vLLM yet).
    let stored = runnel_core::StoredKey::for_url(runnel_core::ApiKey::new(KEY), &openai.url()).unwrap();
    harness.keys.set("vllm", &stored).unwrap();

    let found = commands::detect_local_servers(harness.state()).await.unwrap();
    assert_eq!(found.iter().map(|view| view.id.as_str()).collect::<Vec<_>>(), ["vllm"]);
    let probes = openai.requests();
    assert!(!probes.is_empty());
    assert!(
        probes.iter().all(|probe| probe.header("authorization").is_none()),
        "detection probes carry no key"
    );
    // Asking for vLLM's list (the person chose it) sends its key.
    commands::refresh_models(harness.state(), "vllm".into()).await.unwrap();
    assert_eq!(
        openai.requests().last().unwrap().header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let after = commands::model_catalog(harness.state()).await.unwrap();
    let vllm = after.iter().find(|group| group.id == "vllm").expect("vLLM is offered");
    assert!(vllm.available && vllm.local && vllm.models.len() > 1, "{vllm:?}");

    // The providers file's entry is in the picker and in Settings, with its own models.
    let file_group = after.iter().find(|group| group.id == "fake-openai").unwrap();
    assert_eq!(
        (file_group.models.as_slice(), file_group.local),
        (&["gpt-fake".to_owned()][..], false)
    );
    let settings = commands::list_providers(harness.state()).await.unwrap();
    let row = settings.iter().find(|row| row.id == "fake-openai").unwrap();
    assert_eq!((row.name.as_str(), row.custom), ("Fake OpenAI", false));
    assert!(settings.iter().any(|row| row.id == "vllm") && settings.iter().all(|row| row.id != "custom"));
}

/// An app whose `fake-openai` is answering "go" slowly in a new conversation, once 30 bytes of
/// text arrived: what Stop, quitting and the inspector act on.
async fn slow_answer_under_way() -> (FakeServer, FakeServer, Harness, i64, Turn, Received) {
    let (openai, anthropic) = servers().await;
    openai.enqueue(slow_openai_reply());
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    until_text(&received, 30).await;
    (openai, anthropic, harness, conversation.id, turn, received)
}

/// Waits until the channel has received at least `n` bytes of answer text.
async fn until_text(received: &Received, n: usize) {
    for _ in 0..1000 {
        if text_of(&received.lock().unwrap()).len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("less than {n} bytes of text arrived: {:?}", received.lock().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_answer_reaches_the_page_before_it_is_saved() {
    let (openai, anthropic) = servers().await;
    // Without the usage chunk: the text is the last event before the ending.
    let stream = String::from_utf8(openai_stream(300)).unwrap();
    let stream: String = stream
        .split_inclusive("\n\n")
        .filter(|event| !event.contains("prompt_tokens"))
        .collect();
    openai.enqueue(
        Reply::sse(stream)
            .chunking(Chunking::Fixed(200))
            .delay(Duration::from_millis(5)),
    );
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    // The page never acks: from the 8th message on, the text waits in Rust.
    let (_, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    until_text(&received, 20).await;
    // The database is locked: the save (and any checkpoint) waits for SQLite's 5 s busy timeout.
    let blocker = rusqlite::Connection::open(harness.database()).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let full = runnel_testkit::openai_text_of(300);
    for _ in 0..400 {
        if text_of(&received.lock().unwrap()) == full {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let messages = received.lock().unwrap().clone();
    assert_eq!(text_of(&messages), full, "the whole text, before the save");
    assert!(!messages.iter().any(is_ending), "the save is still waiting");
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    assert!(is_ending(until_end(&received).await.last().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_save_still_ends_the_answer_and_the_conversation_goes_on() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(
        Reply::sse(openai_stream(300))
            .chunking(Chunking::Fixed(200))
            .delay(Duration::from_millis(5)),
    );
    openai.enqueue(Reply::sse(fixture("openai_text.sse")));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (_, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    until_text(&received, 20).await;
    // Another writer holds the database: every write of the app fails as "database is locked".
    let blocker = rusqlite::Connection::open(harness.database()).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let messages = until_end(&received).await;
    assert_eq!(
        text_of(&messages),
        runnel_testkit::openai_text_of(300),
        "every delta reached the page"
    );
    let ending = messages.last().unwrap();
    assert_eq!(ending["type"], "finish", "the stream itself finished");
    let end = &ending["saved"];
    assert_eq!(
        (end["state"].as_str(), end["error"]["kind"].as_str()),
        (Some("error"), Some("storage"))
    );
    let reason = end["error"]["message"].as_str().unwrap();
    assert!(
        reason.contains("could not be saved") && reason.contains("locked"),
        "{reason}"
    );
    assert!(end["stats"].is_object(), "the numbers still come: {end}");
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);

    let (_, received) = harness.send(conversation.id, "again", "fake-openai/gpt-fake").await;
    assert_eq!(until_end(&received).await.last().unwrap()["saved"]["state"], "done");
}

/// The shown messages' texts.
fn texts(conversation: &Conversation) -> Vec<&str> {
    conversation.messages.iter().map(|m| m.content.as_str()).collect()
}

/// Answer `n` shown: its version's index and the ids of its turn's versions.
fn versions_of(conversation: &Conversation, n: usize) -> (u32, Vec<i64>) {
    let versions = conversation.messages[n]
        .versions
        .clone()
        .expect("an answer has versions");
    (versions.index, versions.answers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerate_keeps_the_previous_answer_as_a_version_and_the_conversation_goes_on_from_the_one_shown() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(Reply::sse(fixture("openai_text.sse")));
    openai.enqueue(Reply::json(
        503,
        r#"{"error": {"message": "overloaded", "type": "server_error"}}"#,
    ));
    openai.enqueue(Reply::sse(openai_stream(3)));
    openai.enqueue(Reply::sse(openai_stream(2)));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (sent, received) = harness.send(conversation.id, "hi", "fake-openai/gpt-fake").await;
    let first = text_of(&until_end(&received).await);
    assert!(sent.deleted.is_empty(), "a sent message deletes nothing");
    assert_eq!(sent.assistant.versions.as_ref().unwrap().answers, [sent.assistant.id]);

    // A regenerate that fails before any text is a version of its own, shown with its error.
    let (failed, received) = harness.regenerate(conversation.id, "fake-openai/gpt-fake").await;
    assert_eq!(until_end(&received).await.last().unwrap()["saved"]["state"], "error");
    assert!(failed.deleted.is_empty());
    let ids = vec![sent.assistant.id, failed.assistant.id];
    assert_eq!(failed.assistant.versions.as_ref().unwrap().answers, ids);
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(
        (texts(&saved), saved.messages[1].state),
        (vec!["hi", ""], MessageState::Error)
    );
    assert_eq!(versions_of(&saved, 1), (2, ids));

    // Answered again, the empty version goes (nothing to keep); the first stays.
    let (turn, received) = harness.regenerate(conversation.id, "fake-openai/gpt-fake").await;
    assert_eq!(
        turn.deleted,
        [failed.assistant.id],
        "the answer without text went at once"
    );
    let second = text_of(&until_end(&received).await);
    let ids = vec![sent.assistant.id, turn.assistant.id];
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(texts(&saved), ["hi", second.as_str()]);
    assert_eq!(versions_of(&saved, 1), (2, ids.clone()));
    let history = openai.requests()[2].json()["messages"].clone();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");

    // Back to the first version: the next message's history carries it.
    let shown = commands::show_version(harness.state(), conversation.id, sent.assistant.id)
        .await
        .unwrap();
    assert_eq!(texts(&shown), ["hi", first.as_str()]);
    assert_eq!(versions_of(&shown, 1), (1, ids.clone()));
    assert_eq!(shown.messages[1].stats, sent_stats(&harness, sent.assistant.id));
    let (next, received) = harness.send(conversation.id, "and?", "fake-openai/gpt-fake").await;
    let third = text_of(&until_end(&received).await);
    assert_eq!(
        openai.requests()[3].json()["messages"],
        serde_json::json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "and?"}
        ])
    );

    // After a restart the versions are there, the one shown still shown.
    let reopened = AppState::open(
        harness.dir.path(),
        harness.keys.clone(),
        fake_providers(&openai, &anthropic),
    )
    .unwrap();
    let restored = reopened.store.conversation(conversation.id).unwrap();
    assert_eq!(texts(&restored), ["hi", first.as_str(), "and?", third.as_str()]);
    assert_eq!(versions_of(&restored, 1), (1, ids));
    assert_eq!(versions_of(&restored, 3), (1, vec![next.assistant.id]));
    // The second version keeps its own text, model and recording.
    let other = reopened.store.message(turn.assistant.id).unwrap();
    assert_eq!(
        (other.content.as_str(), other.model.as_deref()),
        (second.as_str(), Some("fake-openai/gpt-fake"))
    );
    assert!(reopened.store.recording(turn.assistant.id).unwrap().is_some());
    assert!(
        commands::show_version(harness.state(), conversation.id, 9999)
            .await
            .is_err(),
        "an unknown version is refused"
    );
}

/// The numbers saved under answer `id`.
fn sent_stats(harness: &Harness, id: i64) -> Option<runnel_app::ipc_types::Stats> {
    harness.state().store.message(id).unwrap().stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_a_version_of_its_turn_and_the_edited_turn_stays_a_click_away() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(Reply::sse(fixture("openai_text.sse")));
    openai.enqueue(Reply::json(500, r#"{"error": {"message": "boom"}}"#));
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "crabs?", "fake-openai/gpt-fake").await;
    let first = text_of(&until_end(&received).await);
    let (channel, received) = collecting_channel();
    let edit = commands::edit_message(
        harness.state(),
        conversation.id,
        turn.user.id,
        "lobsters?".into(),
        "fake-openai/gpt-fake".into(),
        channel,
    )
    .await
    .unwrap();
    assert!(edit.deleted.is_empty());
    assert_eq!(until_end(&received).await.last().unwrap()["saved"]["state"], "error");
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    let shown: Vec<_> = saved.messages.iter().map(|m| (m.role, m.content.as_str())).collect();
    assert_eq!(shown, [(Role::User, "lobsters?"), (Role::Assistant, "")]);
    let ids = vec![turn.assistant.id, edit.assistant.id];
    assert_eq!(versions_of(&saved, 1), (2, ids.clone()));
    assert_eq!(
        openai.requests()[1].json()["messages"],
        serde_json::json!([{"role": "user", "content": "lobsters?"}]),
        "the edit is sent without the turn it edits"
    );
    let back = commands::show_version(harness.state(), conversation.id, turn.assistant.id)
        .await
        .unwrap();
    assert_eq!(texts(&back), ["crabs?", first.as_str()]);
    assert_eq!(versions_of(&back, 1), (1, ids));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_everything_for_quitting_saves_running_answers_as_stopped() {
    let (_openai, _anthropic, harness, conversation_id, _, received) = slow_answer_under_way().await;
    let streams = harness.state().streams.clone();
    assert!(streams.stop_all_and_wait(Duration::from_secs(20)).await);
    assert_eq!(streams.count(), 0);
    let saved = commands::get_conversation(harness.state(), conversation_id)
        .await
        .unwrap();
    assert_eq!(saved.messages[1].state, MessageState::Stopped);
    let shown = text_of(&received.lock().unwrap());
    assert!(
        saved.messages[1].content.starts_with(&shown),
        "all the text shown was saved"
    );
}

/// An app opened by `AppState::start` on `dir` with the providers file at `providers`.
fn started(dir: tempfile::TempDir, providers: Option<&std::path::Path>) -> Harness {
    let data_dir = dir.path().to_owned();
    Harness::with_state(dir, |keys| AppState::start(&data_dir, keys, providers).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_model_whose_provider_is_gone_gives_way_to_the_demo_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("providers.json");
    std::fs::write(
        &file,
        r#"[{"id": "mine", "name": "Mine", "protocol": "openai", "base_url": "http://127.0.0.1:9/v1", "models": ["m1"], "key_required": false}]"#,
    )
    .unwrap();
    let harness = started(tempfile::tempdir().unwrap(), Some(&file));
    let start_on = |last: &str| {
        harness.state().store.set_setting("last_model", last).unwrap();
        async {
            let info = commands::app_info(harness.state()).await.unwrap();
            let settings = commands::get_settings(harness.state()).await.unwrap();
            assert_eq!(settings.last_model, info.default_model);
            (info.default_model, info.gone_model)
        }
    };
    // Its provider exists (the providers file's; a built-in without a key; a local server not
    // found yet): it stays.
    for kept in [
        "mine/m1",
        "anthropic/claude-x",
        "ollama/llama3.2",
        "mine/a-model-not-on-its-list",
    ] {
        assert_eq!(start_on(kept).await, (kept.to_owned(), None));
    }
    // Its provider is gone, or it is no model name at all.
    for gone in ["removed/gpt-x", "nonsense", "mine/"] {
        assert_eq!(
            start_on(gone).await,
            ("demo/runnel-demo".to_owned(), Some(gone.to_owned()))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_providers_file_opens_with_the_built_ins_and_says_where_it_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("providers.json");
    std::fs::write(
        &file,
        "[\n  {\"id\": \"mine\",\n   \"base_url\": \"http://127.0.0.1:9/v1\",,\n  }\n]\n",
    )
    .unwrap();
    let harness = started(tempfile::tempdir().unwrap(), Some(&file));
    let info = commands::app_info(harness.state()).await.unwrap();
    let [problem] = info.startup_problems.as_slice() else {
        panic!("{:?}", info.startup_problems)
    };
    assert_eq!(problem.kind, "providers_file");
    let column = problem.column.expect("a column");
    assert_eq!(problem.line, Some(3), "{problem:?}");
    assert!(
        problem.message.contains(&file.display().to_string()),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains(&format!("line 3, column {column}")),
        "{}",
        problem.message
    );
    let catalog = commands::model_catalog(harness.state()).await.unwrap();
    assert!(catalog.iter().any(|group| group.id == "demo" && group.available));
    assert!(catalog.iter().any(|group| group.id == "openai"));
    // The built-in demo still answers.
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (_, received) = harness.send(conversation.id, "hello", "demo/runnel-demo").await;
    assert_eq!(until_end(&received).await.last().unwrap()["saved"]["state"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(runnel_app::startup::DATABASE_FILE);
    let newer = rusqlite::Connection::open(&path).unwrap();
    newer
        .execute_batch("CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = 99;")
        .unwrap();
    drop(newer);
    let before = std::fs::read(&path).unwrap();
    let harness = started(dir, None);
    let info = commands::app_info(harness.state()).await.unwrap();
    let [problem] = info.startup_problems.as_slice() else {
        panic!("{:?}", info.startup_problems)
    };
    assert_eq!(problem.kind, "database_too_new");
    assert!(
        problem.message.contains("99") && problem.message.contains("up to 4"),
        "{}",
        problem.message
    );
    assert!(problem.action.contains("won't be saved"), "{}", problem.action);
    // Chat still works, in memory.
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    assert_eq!(
        commands::list_conversations(harness.state(), None).await.unwrap()[0].id,
        conversation.id
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "the newer database is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_database_is_moved_aside_and_a_fresh_one_started() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(runnel_app::startup::DATABASE_FILE);
    let garbage = "this is not a database, just words. ".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    let harness = started(dir, None);
    let info = commands::app_info(harness.state()).await.unwrap();
    let [problem] = info.startup_problems.as_slice() else {
        panic!("{:?}", info.startup_problems)
    };
    assert_eq!(problem.kind, "database_corrupt");
    let moved = std::fs::read_dir(harness.dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().contains(".corrupt-"))
        .expect("the damaged copy");
    assert!(
        problem.message.contains(&moved.display().to_string()),
        "{}",
        problem.message
    );
    assert_eq!(
        std::fs::read_to_string(&moved).unwrap(),
        garbage,
        "the copy is kept as it was"
    );
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let reopened = runnel_app::store::Store::open(&path).expect("a fresh database on disk");
    assert_eq!(reopened.summary(conversation.id).unwrap().id, conversation.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_folder_that_cannot_be_written_keeps_history_in_memory() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(Reply::sse(fixture("openai_text.sse")));
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: nothing can be created in it (even as root).
    let data_dir = dir.path().join("data");
    std::fs::write(&data_dir, "a file").unwrap();
    let harness = Harness::with_state(dir, |keys| {
        AppState::open(&data_dir, keys, fake_providers(&openai, &anthropic)).unwrap()
    });
    let info = commands::app_info(harness.state()).await.unwrap();
    let [problem] = info.startup_problems.as_slice() else {
        panic!("{:?}", info.startup_problems)
    };
    assert_eq!(
        (problem.kind.as_str(), problem.path.as_str()),
        ("history_unavailable", data_dir.to_str().unwrap())
    );
    assert!(problem.action.contains("won't be saved"), "{}", problem.action);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (_, received) = harness.send(conversation.id, "hi", "fake-openai/gpt-fake").await;
    assert_eq!(until_end(&received).await.last().unwrap()["saved"]["state"], "done");
}

/// Four OpenAI-style fake providers for comparing: `fast`, `failing` (429), `slow` and `dropped`
/// (its stream is cut), one model each.
fn compare_providers(fast: &FakeServer, failing: &FakeServer, slow: &FakeServer, dropped: &FakeServer) -> Catalog {
    let def = |id: &str, server: &FakeServer| ProviderDef {
        models: vec!["m".into()],
        ..ProviderDef::new(Origin::File, id, id, "openai", &format!("{}/v1", server.url()))
    };
    let mut catalog = Catalog::builtin();
    catalog
        .extend(vec![
            def("fast", fast),
            def("failing", failing),
            def("slow", slow),
            def("dropped", dropped),
        ])
        .unwrap();
    catalog
}

/// Starts a column of compare run `run` for `model`; returns its turn and its channel's messages.
async fn column(harness: &Harness, run: i64, model: &str) -> (Turn, Received) {
    let (channel, received) = collecting_channel();
    let turn = commands::compare_column(harness.state(), run, model.into(), channel)
        .await
        .unwrap();
    (turn, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compare_run_streams_each_column_apart_and_one_answer_is_continued() {
    let (fast, failing, slow, dropped) = (
        FakeServer::start().await,
        FakeServer::start().await,
        FakeServer::start().await,
        FakeServer::start().await,
    );
    fast.enqueue(Reply::sse(fixture("openai_text.sse")).chunking(Chunking::Fixed(17)));
    failing.enqueue(
        Reply::json(429, std::str::from_utf8(&fixture("openai_error_429.json")).unwrap()).header("retry-after", "20"),
    );
    slow.enqueue(slow_openai_reply());
    dropped.enqueue(Reply::sse(openai_stream(40)).end(runnel_testkit::End::DropAfter(2000)));
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let catalog = || compare_providers(&fast, &failing, &slow, &dropped);
    let harness = Harness::with_state(dir, |keys| AppState::open(&data_dir, keys, catalog()).unwrap());
    let models = ["fast/m", "failing/m", "slow/m", "dropped/m"]
        .map(String::from)
        .to_vec();

    for wrong in [vec![models[0].clone()], vec![models[0].clone(), models[0].clone()]] {
        let error = commands::create_compare(harness.state(), "hi".into(), wrong)
            .await
            .unwrap_err();
        assert!(
            matches!(error, runnel_app::error::AppError::InvalidInput(_)),
            "{error:?}"
        );
    }
    let run = commands::create_compare(harness.state(), "  Compare this  ".into(), models.clone())
        .await
        .unwrap();
    assert_eq!(run.kind, ConversationKind::Compare);
    assert_eq!(run.title, "Compare this");
    let mut columns = Vec::new();
    for model in &models {
        columns.push(column(&harness, run.id, model).await);
    }
    let (slow_turn, slow_received) = &columns[2];
    until_text(slow_received, 30).await;
    let fast_messages = until_end(&columns[0].1).await;
    let failing_messages = until_end(&columns[1].1).await;
    let dropped_messages = until_end(&columns[3].1).await;
    assert!(
        slow_received.lock().unwrap().last().is_none_or(|m| !is_ending(m)),
        "the slow column still streams while the others ended"
    );
    commands::stop_stream(harness.state(), slow_turn.stream_id)
        .await
        .unwrap();
    let slow_messages = until_end(slow_received).await;

    assert_eq!(text_of(&fast_messages), FIXTURE_TEXT);
    assert_eq!(fast_messages.last().unwrap()["saved"]["state"], "done");
    let failed = &failing_messages.last().unwrap()["saved"];
    assert_eq!(
        (failed["state"].as_str(), failed["error"]["kind"].as_str()),
        (Some("error"), Some("rate_limited"))
    );
    assert_eq!(failed["error"]["status"], 429);
    assert_eq!(slow_messages.last().unwrap()["saved"]["state"], "stopped");
    let cut = &dropped_messages.last().unwrap()["saved"];
    assert_eq!(
        (cut["state"].as_str(), cut["error"]["kind"].as_str()),
        (Some("error"), Some("network")),
        "a dropped stream fails its column alone"
    );
    assert!(
        text_of(&dropped_messages).starts_with("tok0 "),
        "the cut column keeps its text"
    );
    for (_, received) in &columns {
        let seqs: Vec<u64> = received
            .lock()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
            "each column its own seq: {seqs:?}"
        );
    }
    for server in [&fast, &failing, &slow, &dropped] {
        assert_eq!(
            server.requests()[0].json()["messages"],
            serde_json::json!([{"role": "user", "content": "Compare this"}])
        );
    }

    // A fifth column is refused; a run takes no turns.
    assert!(
        commands::compare_column(harness.state(), run.id, "fast/m".into(), collecting_channel().0)
            .await
            .is_err()
    );
    let (channel, _) = collecting_channel();
    assert!(
        commands::send_message(harness.state(), run.id, "more".into(), "fast/m".into(), channel)
            .await
            .is_err()
    );

    // Retry answers the failed column again, in its place.
    failing.enqueue(Reply::sse(fixture("openai_text.sse")));
    let failed_id = columns[1].0.assistant.id;
    let (channel, received) = collecting_channel();
    let retried = commands::retry_column(harness.state(), run.id, failed_id, channel)
        .await
        .unwrap();
    assert_eq!(retried.assistant.id, failed_id);
    let retried_messages = until_end(&received).await;
    assert_eq!(retried_messages.last().unwrap()["saved"]["state"], "done");

    let saved = commands::get_conversation(harness.state(), run.id).await.unwrap();
    assert_eq!(saved.kind, ConversationKind::Compare);
    let shown: Vec<(Option<&str>, MessageState)> = saved.messages[1..]
        .iter()
        .map(|m| (m.model.as_deref(), m.state))
        .collect();
    assert_eq!(
        shown,
        vec![
            (Some("fast/m"), MessageState::Done),
            (Some("failing/m"), MessageState::Done),
            (Some("slow/m"), MessageState::Stopped),
            (Some("dropped/m"), MessageState::Error)
        ]
    );
    assert_eq!(saved.messages[1].content, FIXTURE_TEXT);
    assert!(saved.messages[1].stats.as_ref().unwrap().ttft_ms.is_some());
    // One stream, one set of numbers: each column's saved stats (the compare table's, and those
    // under the answer) are those its last message carried live, and its inspector summary's.
    let columns_messages = [&fast_messages, &retried_messages, &slow_messages, &dropped_messages];
    for (answer, messages) in saved.messages[1..].iter().zip(columns_messages) {
        let stats = answer.stats.as_ref().expect("an ended column has numbers");
        let numbers = serde_json::to_value(stats).unwrap();
        let ending = messages.last().unwrap();
        assert_eq!(
            (&ending["saved"]["stats"], &ending["stats"]),
            (&numbers, &numbers),
            "{:?}",
            answer.model
        );
        let inspected = events_of(harness.state(), answer.id).await.unwrap();
        assert_eq!(&inspected.summary.stats, stats, "{:?}", answer.model);
    }
    assert_eq!(saved.messages[3].content, text_of(&slow_messages));

    // Continue with the slow model's stopped answer: a new chat whose history has it.
    let kept = commands::keep_answer(harness.state(), run.id, slow_turn.assistant.id)
        .await
        .unwrap();
    assert_eq!(
        (kept.kind, kept.last_model.as_deref()),
        (ConversationKind::Chat, Some("slow/m"))
    );
    let chat = commands::get_conversation(harness.state(), kept.id).await.unwrap();
    assert_eq!(chat.messages.len(), 2);
    assert_eq!(chat.messages[1].content, saved.messages[3].content);
    // The other columns with something in them are the turn's other versions, in column order,
    // each with its model, state, numbers and recording; the one continued with is shown.
    let others: Vec<&MessageView> = saved.messages[1..]
        .iter()
        .filter(|c| c.id != slow_turn.assistant.id && !c.content.trim().is_empty())
        .collect();
    let (index, versions) = versions_of(&chat, 1);
    assert_eq!((index as usize, versions.len()), (others.len() + 1, others.len() + 1));
    for (version, column) in versions.iter().zip(&others) {
        let shown = commands::show_version(harness.state(), kept.id, *version)
            .await
            .unwrap();
        let copy = &shown.messages[1];
        assert_eq!(
            (&copy.content, &copy.model, copy.state, &copy.stats),
            (&column.content, &column.model, column.state, &column.stats)
        );
        let recorded = |id| harness.state().store.recording(id).unwrap();
        assert_eq!(recorded(copy.id), recorded(column.id));
    }
    let chat = commands::show_version(harness.state(), kept.id, *versions.last().unwrap())
        .await
        .unwrap();
    assert_eq!(chat.messages[1].content, saved.messages[3].content);
    slow.enqueue(Reply::sse(fixture("openai_text.sse")));
    let (_, received) = harness.send(kept.id, "And then?", "slow/m").await;
    until_end(&received).await;
    assert_eq!(
        slow.requests()[1].json()["messages"],
        serde_json::json!([
            {"role": "user", "content": "Compare this"},
            {"role": "assistant", "content": saved.messages[3].content},
            {"role": "user", "content": "And then?"}
        ])
    );
    let listed = commands::list_conversations(harness.state(), None).await.unwrap();
    let kinds: Vec<ConversationKind> = listed.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![ConversationKind::Chat, ConversationKind::Compare]);
    assert_eq!(
        commands::get_conversation(harness.state(), run.id).await.unwrap(),
        saved,
        "the run stays as it was"
    );

    // After a restart the run reopens with its columns' texts, states and numbers.
    let reopened = AppState::open(harness.dir.path(), harness.keys.clone(), catalog()).unwrap();
    assert_eq!(reopened.store.conversation(run.id).unwrap(), saved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_columns_at_500_deltas_a_second_each_reach_a_page_that_keeps_up_one_delta_a_message() {
    const DELTAS: usize = 1_000;
    let servers = [
        FakeServer::start().await,
        FakeServer::start().await,
        FakeServer::start().await,
        FakeServer::start().await,
    ];
    // One ~260-byte event every 2 ms: about 500 deltas a second from each provider.
    let event = openai_stream(DELTAS).len() / (DELTAS + 4);
    for server in &servers {
        server.enqueue(
            Reply::sse(openai_stream(DELTAS))
                .chunking(Chunking::Fixed(event))
                .delay(Duration::from_millis(2)),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let [a, b, c, d] = &servers;
    let harness = Harness::with_state(dir, |keys| {
        AppState::open(&data_dir, keys, compare_providers(a, b, c, d)).unwrap()
    });
    let models = ["fast/m", "failing/m", "slow/m", "dropped/m"]
        .map(String::from)
        .to_vec();
    let run = commands::create_compare(harness.state(), "Race".into(), models.clone())
        .await
        .unwrap();
    let mut columns = Vec::new();
    for model in &models {
        columns.push(column(&harness, run.id, model).await);
    }
    // Acknowledge every column's messages as they arrive, as a page painting every frame would.
    let state = harness.state();
    let mut ended = [false; 4];
    while !ended.iter().all(|e| *e) {
        for (index, (turn, received)) in columns.iter().enumerate() {
            let last = received.lock().unwrap().last().cloned();
            match last {
                Some(last) if is_ending(&last) => ended[index] = true,
                Some(last) => commands::ack_stream(state.clone(), turn.stream_id, last["seq"].as_u64().unwrap())
                    .await
                    .unwrap(),
                None => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for (turn, received) in &columns {
        let messages = received.lock().unwrap().clone();
        assert_eq!(
            text_of(&messages),
            runnel_testkit::openai_text_of(DELTAS),
            "{}",
            turn.assistant.model.as_deref().unwrap_or_default()
        );
        assert_eq!(messages.last().unwrap()["saved"]["state"], "done");
        let texts = messages.iter().filter(|m| m["type"] == "text").count();
        // A backlog would show as coalesced messages; a page that keeps up gets (almost) every delta alone.
        assert!(
            texts >= DELTAS * 9 / 10,
            "{DELTAS} deltas reached the page in {texts} messages: a backlog built up"
        );
    }
}

/// The rows' (event name, data), in order.
fn row_events(events: &runnel_app::ipc_types::StreamEvents) -> Vec<(String, String)> {
    events
        .rows
        .iter()
        .map(|row| (row.event.clone(), row.data.clone()))
        .collect()
}

/// The text the rows' decoded events carry.
fn decoded_text(events: &runnel_app::ipc_types::StreamEvents) -> String {
    events
        .rows
        .iter()
        .flat_map(|row| &row.decoded)
        .filter_map(|event| match event {
            runnel_core::StreamEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The first `WINDOW_ROWS` rows of answer `id`'s recorded stream (all of a small one's).
async fn events_of(state: tauri::State<'_, AppState>, id: i64) -> Result<StreamEvents, runnel_app::error::AppError> {
    commands::stream_events(state, id, 0, WINDOW_ROWS, String::new()).await
}

/// Every row of answer `id`'s recorded stream, read a window at a time.
async fn paged_events(harness: &Harness, id: i64) -> StreamEvents {
    let mut events = events_of(harness.state(), id).await.unwrap();
    while (events.rows.len() as u64) < events.total {
        let start = events.rows.len() as u64;
        let next = commands::stream_events(harness.state(), id, start, WINDOW_ROWS, String::new())
            .await
            .unwrap();
        assert!(next.start == start && !next.rows.is_empty(), "{start}");
        events.rows.extend(next.rows);
    }
    events
}

/// The first `WINDOW_ROWS` rows of the `.sse` file at `path` (all of a small one's).
async fn file_events(
    state: tauri::State<'_, AppState>,
    path: &str,
) -> Result<StreamEvents, runnel_app::error::AppError> {
    commands::open_stream_file(state, path.to_owned(), 0, WINDOW_ROWS, String::new()).await
}

/// An app on the data folder `dir` with the fake providers, exporting to `downloads`.
fn harness_in(
    dir: tempfile::TempDir,
    openai: &FakeServer,
    anthropic: &FakeServer,
    downloads: &std::path::Path,
) -> Harness {
    let data_dir = dir.path().to_owned();
    Harness::with_state(dir, |keys| {
        let mut state = AppState::open(&data_dir, keys, fake_providers(openai, anthropic)).unwrap();
        state.downloads_dir = Some(downloads.to_owned());
        state
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_shows_the_events_the_server_wrote_live_after_a_restart_and_from_an_export() {
    let (openai, anthropic) = servers().await;
    let cases = [
        (
            "fake-openai/gpt-fake",
            "openai_text.sse",
            Chunking::Random { seed: 7, max: 9 },
        ),
        ("fake-anthropic/claude-fake", "anthropic_text.sse", Chunking::EveryByte),
        (
            "fake-openai/gpt-fake",
            "openai_crlf.sse",
            Chunking::Sizes(vec![1, 2, 300]),
        ),
    ];
    for (_, name, chunking) in &cases {
        let server = if name.starts_with("openai") {
            &openai
        } else {
            &anthropic
        };
        server.enqueue(Reply::sse(fixture(name)).chunking(chunking.clone()));
    }
    let downloads = tempfile::tempdir().unwrap();
    let export_dir = downloads.path().join("Downloads");
    let harness = harness_in(tempfile::tempdir().unwrap(), &openai, &anthropic, &export_dir);
    commands::set_api_key(harness.state(), "fake-anthropic".into(), KEY.into())
        .await
        .unwrap();
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let mut seen = Vec::new();
    for (model, name, _) in &cases {
        let (turn, received) = harness.send(conversation.id, "What is Rust?", model).await;
        let messages = until_end(&received).await;
        let ending = messages.last().unwrap();
        assert_eq!(ending["saved"]["state"], "done", "{name}: {ending}");
        let events = events_of(harness.state(), turn.assistant.id).await.unwrap();
        let written = fixture(name);
        assert_eq!(
            row_events(&events),
            sse_events(&written),
            "{name}: the rows are the server's events"
        );
        assert_eq!(
            decoded_text(&events),
            text_of(&messages),
            "{name}: decoded as the page got it"
        );
        let last = events.rows.last().unwrap();
        assert!(
            last.decoded
                .iter()
                .any(|event| matches!(event, runnel_core::StreamEvent::Finish { .. })),
            "{name}: the last row ends the stream: {last:?}"
        );
        assert!(
            events.rows.windows(2).all(|pair| pair[0].at_ms <= pair[1].at_ms),
            "{name}"
        );
        let summary = &events.summary;
        assert_eq!(summary.events as usize, events.rows.len());
        assert_eq!((events.total as usize, events.more), (events.rows.len(), 0));
        assert_eq!(summary.bytes as usize, written.len());
        assert_eq!(summary.status, Some(200));
        // The inspector's numbers are the answer's: those saved under it, and those its last
        // message carried.
        let numbers = serde_json::to_value(&summary.stats).unwrap();
        assert_eq!(
            (&numbers, &numbers),
            (&ending["saved"]["stats"], &ending["stats"]),
            "{name}"
        );
        assert!(
            summary.ttfb_ms.unwrap() <= summary.stats.ttft_ms.unwrap(),
            "{summary:?}"
        );

        let path = commands::export_stream(harness.state(), turn.assistant.id)
            .await
            .unwrap();
        assert!(path.starts_with(export_dir.to_str().unwrap()), "{path}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            written,
            "{name}: the export is byte-exact"
        );
        let opened = file_events(harness.state(), &path).await.unwrap();
        assert_eq!(opened.rows, events.rows, "{name}: the export opens as the same rows");
        // A file has no saved numbers: the core counts them from the recording, by the same
        // rules (its times are the reads' arrivals, not the stream consumer's).
        let (counted, saved) = (&opened.summary.stats, &summary.stats);
        assert_eq!(
            (
                counted.output_tokens,
                counted.tokens_estimated,
                counted.input_tokens,
                &counted.finish_reason
            ),
            (
                saved.output_tokens,
                saved.tokens_estimated,
                saved.input_tokens,
                &saved.finish_reason
            ),
            "{name}"
        );
        seen.push((turn.assistant.id, events, path));
    }
    let paths: std::collections::HashSet<_> = seen.iter().map(|(_, _, path)| path).collect();
    assert_eq!(
        paths.len(),
        cases.len(),
        "an export never overwrites another: {paths:?}"
    );
    assert!(
        seen[0].2.ends_with("What-is-Rust.sse"),
        "named after the conversation: {}",
        seen[0].2
    );

    let Harness { app, dir, .. } = harness;
    drop(app);
    let reopened = harness_in(dir, &openai, &anthropic, &export_dir);
    for (id, events, _) in &seen {
        let again = events_of(reopened.state(), *id).await.unwrap();
        assert_eq!(&again, events, "the same rows after a restart");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_follow_their_retention_and_their_answers() {
    let (openai, anthropic) = servers().await;
    for _ in 0..3 {
        openai.enqueue(Reply::sse(fixture("openai_text.sse")).chunking(Chunking::Fixed(11)));
    }
    let harness = Harness::new(&openai, &anthropic);
    let recordings = |harness: &Harness| -> i64 {
        let db = rusqlite::Connection::open(harness.database()).unwrap();
        db.query_row("SELECT count(*) FROM recordings", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(
        commands::get_settings(harness.state())
            .await
            .unwrap()
            .recordings_keep_days,
        30
    );
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (first, received) = harness.send(conversation.id, "one", "fake-openai/gpt-fake").await;
    until_end(&received).await;
    assert!(events_of(harness.state(), first.assistant.id).await.is_ok());
    commands::delete_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(
        recordings(&harness),
        0,
        "deleting the conversation deletes its recordings"
    );

    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (second, received) = harness.send(conversation.id, "two", "fake-openai/gpt-fake").await;
    until_end(&received).await;
    assert_eq!(recordings(&harness), 1);
    let settings = commands::set_recordings_keep_days(harness.state(), 0).await.unwrap();
    assert_eq!(settings.recordings_keep_days, 0);
    assert_eq!(recordings(&harness), 0, "0 days deletes those kept");
    let (third, received) = harness.send(conversation.id, "three", "fake-openai/gpt-fake").await;
    until_end(&received).await;
    for id in [second.assistant.id, third.assistant.id] {
        let error = events_of(harness.state(), id).await.unwrap_err();
        assert_eq!(runnel_app::error::UiError::from(&error).kind, "not_found", "{error}");
        let error = commands::export_stream(harness.state(), id).await.unwrap_err();
        assert_eq!(error.kind(), "not_found");
    }
    assert_eq!(recordings(&harness), 0, "0 days keeps none");
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(saved.messages.last().unwrap().content, FIXTURE_TEXT);
    let too_long = commands::set_recordings_keep_days(harness.state(), 100_000)
        .await
        .unwrap_err();
    assert_eq!(too_long.kind(), "invalid_input");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_whose_recording_cannot_be_saved_is_saved() {
    let (openai, anthropic) = servers().await;
    openai.enqueue(Reply::sse(fixture("openai_text.sse")).chunking(Chunking::Fixed(13)));
    let harness = Harness::new(&openai, &anthropic);
    // Every recording's write fails: its table is gone.
    rusqlite::Connection::open(harness.database())
        .unwrap()
        .execute_batch("DROP TABLE recordings")
        .unwrap();
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "hi", "fake-openai/gpt-fake").await;
    let messages = until_end(&received).await;
    assert_eq!(messages.last().unwrap()["saved"]["state"], "done");
    assert_eq!(text_of(&messages), FIXTURE_TEXT);
    let saved = commands::get_conversation(harness.state(), conversation.id)
        .await
        .unwrap();
    assert_eq!(
        (saved.messages[1].content.as_str(), saved.messages[1].state),
        (FIXTURE_TEXT, MessageState::Done)
    );
    assert!(events_of(harness.state(), turn.assistant.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_file_that_cannot_be_read_says_why() {
    let (openai, anthropic) = servers().await;
    let harness = Harness::new(&openai, &anthropic);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.sse");
    let error = file_events(harness.state(), &missing.display().to_string())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "file");
    assert!(error.to_string().contains("absent.sse"), "{error}");
    let bad = dir.path().join("bad.sse");
    std::fs::write(&bad, fixture("openai_text.sse")).unwrap();
    std::fs::write(runnel_core::sse_file::sidecar_path(&bad), "{\"format\":\"har\"}").unwrap();
    let error = file_events(harness.state(), &bad.display().to_string())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("bad.sse.json is not a valid sidecar"),
        "{error}"
    );
    let error = file_events(harness.state(), " ").await.unwrap_err();
    assert_eq!(error.kind(), "invalid_input");
    // Without a sidecar: the body, untimed, read in the protocol it decodes as.
    let plain = dir.path().join("plain.sse");
    std::fs::write(&plain, fixture("anthropic_text.sse")).unwrap();
    let opened = file_events(harness.state(), &plain.display().to_string())
        .await
        .unwrap();
    assert_eq!(opened.summary.protocol.0, "anthropic");
    assert_eq!(row_events(&opened), sse_events(&fixture("anthropic_text.sse")));
}

/// The rows an inspector's channel received (batches of them), as (event name, data), in order.
fn rows_of(batches: &Received) -> Vec<(String, String)> {
    let batches = batches.lock().unwrap();
    let rows = batches.iter().flat_map(|batch| batch["rows"].as_array().unwrap());
    rows.map(|row| {
        (
            row["event"].as_str().unwrap().to_owned(),
            row["data"].as_str().unwrap().to_owned(),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_opened_mid_stream_gets_every_event_from_the_first_once_in_order() {
    let (_openai, _anthropic, harness, _conversation_id, turn, received) = slow_answer_under_way().await;
    let (channel, batches) = collecting_channel::<LiveRows>();
    assert!(
        commands::inspect_stream(harness.state(), turn.stream_id, channel)
            .await
            .unwrap()
    );
    let written = sse_events(&runnel_testkit::openai_stream(20_000));
    for _ in 0..500 {
        if rows_of(&batches).len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    commands::stop_stream(harness.state(), turn.stream_id).await.unwrap();
    let messages = until_end(&received).await;
    assert!(
        messages.iter().all(|message| message["type"] != "raw"),
        "the answer's own channel carries nothing more"
    );
    // The tap ends with the recording, before the ending: the last rows are out soon after.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let live = rows_of(&batches);
    assert!(live.len() >= 100, "{}", live.len());
    let (last, whole) = live.split_last().unwrap();
    assert_eq!(
        whole,
        &written[..whole.len()],
        "the server's events from the first, in order, none missing, none twice"
    );
    let next = &written[whole.len()];
    assert!(
        last.0 == next.0 && next.1.starts_with(&last.1),
        "the last is the event the stop cut off, or all of it: {last:?}"
    );
    let events = paged_events(&harness, turn.assistant.id).await;
    assert_eq!(row_events(&events), live, "the same rows as the answer's in history");
    assert_eq!(
        events.rows.last().unwrap().decoded.last(),
        Some(&runnel_core::StreamEvent::Stopped),
        "a stopped answer's rows end as it did"
    );
    let (channel, _) = collecting_channel::<LiveRows>();
    assert!(
        !commands::inspect_stream(harness.state(), turn.stream_id, channel)
            .await
            .unwrap(),
        "it has ended"
    );
}

/// `body` (an OpenAI stream) with a `: keep-alive` comment block before every 10th event.
fn with_comments(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let mut out = String::new();
    for (n, event) in text.split_terminator("\n\n").enumerate() {
        if n % 10 == 0 {
            out += ": keep-alive\n\n";
        }
        out += event;
        out += "\n\n";
    }
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answers_rows_come_a_window_at_a_time_filtered_or_not_as_the_whole_streams_rows() {
    let (openai, anthropic) = servers().await;
    let body = with_comments(&openai_stream(400));
    openai.enqueue(Reply::sse(body.clone()).chunking(Chunking::Random { seed: 3, max: 700 }));
    let downloads = tempfile::tempdir().unwrap();
    let harness = harness_in(tempfile::tempdir().unwrap(), &openai, &anthropic, downloads.path());
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    until_end(&received).await;
    let id = turn.assistant.id;
    let whole = events_of(harness.state(), id).await.unwrap();
    assert_eq!(
        row_events(&whole),
        sse_events(&body),
        "one window holds a small stream whole"
    );
    let n = whole.rows.len() as u64;
    assert_eq!((whole.start, whole.total, whole.more), (0, n, 0));
    for (start, count) in [(0, 1), (1, 7), (97, 100), (n - 3, 10), (n, 5), (n + 10, 5), (5, 0)] {
        let window = commands::stream_events(harness.state(), id, start, count, String::new())
            .await
            .unwrap();
        let wanted = start.min(n) as usize..(start + count).min(n) as usize;
        assert_eq!(window.rows, whole.rows[wanted], "rows {start}, {count} of them");
        assert_eq!((window.start, window.total, window.more), (start, n, 0));
        assert_eq!((&window.summary, &window.timeline), (&whole.summary, &whole.timeline));
    }

    // Filtered, the windows page over the rows that pass, and `total` counts them.
    let comments: Vec<_> = whole.rows.iter().filter(|row| row.event.is_empty()).cloned().collect();
    assert!(comments.len() > 10);
    let first = commands::stream_events(harness.state(), id, 0, 3, "COMMENT".into())
        .await
        .unwrap();
    assert_eq!(
        (first.total as usize, first.rows.as_slice()),
        (comments.len(), &comments[..3])
    );
    let rest = commands::stream_events(harness.state(), id, 3, 10_000, " comment ".into())
        .await
        .unwrap();
    assert_eq!(rest.rows, comments[3..]);
    let tok = commands::stream_events(harness.state(), id, 0, 100, "message TOK12".into())
        .await
        .unwrap();
    let data: Vec<bool> = tok.rows.iter().map(|row| row.data.contains("tok12")).collect();
    assert_eq!((tok.total, data), (11, vec![true; 11]), "tok12 and tok120–tok129");

    // The stream as an `.sse` file pages the same.
    let path = commands::export_stream(harness.state(), id).await.unwrap();
    let window = commands::open_stream_file(harness.state(), path, 50, 20, String::new())
        .await
        .unwrap();
    assert_eq!(
        (window.start, window.total, window.rows.as_slice()),
        (50, n, &whole.rows[50..70])
    );
}

/// This process's resident memory, bytes.
fn own_resident_bytes() -> u64 {
    resident_bytes(std::process::id()).expect("this process's status") as u64
}

/// The most resident memory the process had while it was watched, sampled every 2 ms by a thread.
/// Past `ABORT_ABOVE` more than at the start it aborts the process: a runaway test must not take
/// the machine (shared with other builds) down with it.
struct PeakMemory {
    baseline: u64,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl PeakMemory {
    const ABORT_ABOVE: u64 = 1 << 30;

    fn watch() -> Self {
        let baseline = own_resident_bytes();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = baseline;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(own_resident_bytes());
                if peak - baseline > Self::ABORT_ABOVE {
                    eprintln!("resident memory grew by {} MiB: aborting", (peak - baseline) >> 20);
                    std::process::abort();
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        });
        Self { baseline, stop, thread }
    }

    /// The growth at the peak, and now, in bytes.
    fn stop(self) -> (u64, u64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let peak = self.thread.join().unwrap();
        (peak - self.baseline, own_resident_bytes().saturating_sub(self.baseline))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_body_of_empty_comments_opens_as_the_bounds_rows_and_a_count_decoded_once_in_bounded_memory() {
    let limits = runnel_core::Limits::default();
    let lines = limits.recording_bytes as u64 / 2;
    let bound = limits.inspector_rows as u64;
    let (openai, anthropic) = servers().await;
    let harness = Harness::new(&openai, &anthropic);
    // An answer whose server sent 64 MiB of `:\n` in reads of 64 KiB, kept as every answer's
    // recording is; and an `.sse` file of its first 2 MiB (a million lines: its rows are bounded
    // the same, and framing it costs less than the whole in a test build).
    let body = bytes::Bytes::from(b":\n".repeat(lines as usize));
    let recording = |bytes: usize| {
        let mut recording = runnel_core::Recording::new("openai", Some("gpt-fake".into()));
        recording.status = Some(200);
        recording.content_type = Some("text/event-stream".into());
        recording.chunks = (0..bytes)
            .step_by(64 << 10)
            .map(|start| runnel_core::RecordedChunk {
                at_ms: (start >> 16) as f64,
                bytes: body.slice(start..(start + (64 << 10)).min(bytes)),
            })
            .collect();
        recording
    };
    let store = &harness.state().store;
    let conversation = store.create_conversation().unwrap();
    let answer = store
        .add_message(conversation.id, Role::Assistant, "", None, MessageState::Error)
        .unwrap();
    runnel_app::recordings::keep(store, answer.id, Some(&recording(body.len())));
    let file = harness.dir.path().join("comments.sse");
    let file_lines = 1 << 20;
    runnel_core::sse_file::write(&file, &recording(2 * file_lines)).unwrap();
    drop(body);

    let memory = PeakMemory::watch();
    let started = std::time::Instant::now();
    let first = commands::stream_events(harness.state(), answer.id, 0, 100, String::new())
        .await
        .unwrap();
    let decoding = started.elapsed();
    assert_eq!(first.rows.len(), 100);
    assert!(first.rows.iter().all(|row| row.event.is_empty() && row.data.is_empty()));
    assert_eq!(
        (first.total, first.more),
        (bound, lines - bound),
        "the bound's rows, and the count of the events past it"
    );
    assert_eq!((first.summary.events, first.summary.bytes), (lines, lines * 2));

    // Later windows read the stream decoded once: no window decodes it again.
    let started = std::time::Instant::now();
    let last = commands::stream_events(harness.state(), answer.id, bound - 50, 100, String::new())
        .await
        .unwrap();
    assert_eq!(
        (last.start, last.rows.len(), last.more),
        (bound - 50, 50, lines - bound)
    );
    let middle = commands::stream_events(harness.state(), answer.id, bound / 2, u64::MAX, String::new())
        .await
        .unwrap();
    assert_eq!(middle.rows.len() as u64, WINDOW_ROWS, "a window is capped");
    let paging = started.elapsed();

    let started = std::time::Instant::now();
    let opened = commands::open_stream_file(harness.state(), file.display().to_string(), 0, 100, String::new())
        .await
        .unwrap();
    let opening = started.elapsed();
    assert_eq!(
        (opened.rows.len(), opened.total, opened.more),
        (100, bound, file_lines as u64 - bound)
    );
    let (peak, kept) = memory.stop();
    println!(
        "64 MiB of `:\\n`: first window {decoding:.2?}, two more {paging:.2?}, a 2 MiB .sse file {opening:.2?}; \
         resident memory +{} MiB at the peak, +{} MiB after",
        peak >> 20,
        kept >> 20
    );
    assert!(peak < 256 << 20, "memory grew by {} MiB", peak >> 20);
    // Two windows read from the stream decoded once cost a small part of decoding it; decoded
    // again for each, they would cost twice as much. (The times themselves are reported above:
    // framing 33 million lines takes about a second in a release build, far more unoptimized.)
    assert!(
        paging * 4 < decoding,
        "two windows took {paging:?}, decoding the stream {decoding:?}: were they decoded again?"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_inspection_sends_the_bounds_rows_in_bounded_batches_then_the_count_of_more() {
    let bound = runnel_core::Limits::default().inspector_rows;
    let comments = bound * 5 / 2;
    let (openai, anthropic) = servers().await;
    // A first delta, then a flood of empty comments, then the server stays silent.
    let stream = String::from_utf8(openai_stream(1)).unwrap();
    let mut body: String = stream.split_inclusive("\n\n").take(2).collect();
    body += &":\n".repeat(comments);
    let expected = sse_events(body.as_bytes());
    assert_eq!(expected.len(), comments + 2);
    openai.enqueue(
        Reply::sse(body)
            .chunking(Chunking::Fixed(16 << 10))
            .end(runnel_testkit::End::Hang),
    );
    let harness = Harness::new(&openai, &anthropic);
    let conversation = commands::create_conversation(harness.state()).await.unwrap();
    let (turn, received) = harness.send(conversation.id, "go", "fake-openai/gpt-fake").await;
    until_text(&received, 1).await;
    let (channel, batches) = collecting_channel::<LiveRows>();
    assert!(
        commands::inspect_stream(harness.state(), turn.stream_id, channel)
            .await
            .unwrap()
    );
    let more = (expected.len() - bound) as u64;
    let told = |batches: &Received| {
        batches
            .lock()
            .unwrap()
            .last()
            .map_or(0, |batch| batch["more"].as_u64().unwrap())
    };
    for _ in 0..6000 {
        if told(&batches) == more {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(told(&batches), more, "the count of the events past the bound");
    let sizes: Vec<usize> = batches
        .lock()
        .unwrap()
        .iter()
        .map(|batch| batch["rows"].as_array().unwrap().len())
        .collect();
    assert!(
        sizes.iter().all(|&size| size <= runnel_app::inspector::BATCH_ROWS),
        "bounded batches: {sizes:?}"
    );
    assert_eq!(rows_of(&batches), expected[..bound], "the bound's rows, in order");
    commands::stop_stream(harness.state(), turn.stream_id).await.unwrap();
    until_end(&received).await;
    let saved = commands::stream_events(harness.state(), turn.assistant.id, 0, 10, String::new())
        .await
        .unwrap();
    assert_eq!(
        (saved.total, saved.more),
        (bound as u64, more),
        "as the saved recording's"
    );
}
