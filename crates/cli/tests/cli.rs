//! The `runnel` binary end to end: real processes against the demo model and a fake provider on
//! 127.0.0.1. Keys come from env vars here; the keychain tests (ignored unless a private Secret
//! Service is running, as in `scripts/test`) use a service name of their own.

use std::io::{Read, Write};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{interrupt, output, runnel};
use runnel_testkit::{Chunking, End, FakeServer, Rendezvous, Reply, fixture, slow_openai_reply};

const SECRET: &str = "sk-cli-DO-NOT-LEAK-77aa";
const OPENAI_TEXT: &str = "Hello! Café au lait, 日本語 and a crab 🦀.\nDone \"quoted\".";
/// How long a compare's lanes wait for each other's requests at the fake server before they fail:
/// far longer than a loaded machine takes to start them.
const LANES_PATIENCE: Duration = Duration::from_secs(10);

fn assert_no_secret(texts: &[&str]) {
    for text in texts {
        assert!(!text.contains(SECRET), "the key leaked: {text}");
    }
}

#[test]
fn chat_answers_from_the_demo_with_no_key_and_no_network() {
    let (code, stdout, stderr) = output(runnel("demo").args(["chat", "hello"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Hello! I'm **Runnel's demo model**"), "{stdout}");
}

#[tokio::test]
async fn chat_streams_an_openai_answer_with_the_env_key_and_base_url() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("openai_text.sse")).chunking(Chunking::EveryByte));
    let url = format!("{}/v1", server.url());
    let mut command = runnel("openai");
    command.env("OPENAI_API_KEY", SECRET).env("OPENAI_BASE_URL", &url);
    command.args([
        "chat",
        "-m",
        "openai/gpt-4o-mini",
        "--system",
        "be brief",
        "--max-tokens",
        "50",
        "say hi",
    ]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("{OPENAI_TEXT}\n"));
    let request = &server.requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    let body = request.json();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["max_completion_tokens"], 50);
    assert_eq!(body["messages"][1]["content"], "say hi");
}

#[tokio::test]
async fn a_named_provider_speaks_the_protocol_chosen_with_protocol_at_its_env_base_url() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("openai_text.sse")));
    server.enqueue(Reply::sse(fixture("openai_responses_reasoning.sse")).chunking(Chunking::EveryByte));
    let url = format!("{}/v1", server.url());
    let run = |protocol: Option<&'static str>| {
        let mut command = runnel("openai");
        command.env("OPENAI_API_KEY", SECRET).env("OPENAI_BASE_URL", &url);
        command.args(["chat", "--provider", "openai", "--events"]);
        if let Some(protocol) = protocol {
            command.args(["--protocol", protocol]);
        }
        command.arg("hi");
        command
    };
    let mut compatible = run(None);
    let (code, _, stderr) = tokio::task::spawn_blocking(move || output(&mut compatible))
        .await
        .unwrap();
    assert_eq!(code, 0, "{stderr}");
    let mut responses = run(Some("openai-responses"));
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut responses))
        .await
        .unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(r#"{"type":"thinking","text":"**Count"}"#), "{stdout}");
    assert!(stdout.contains(r#""reasoning_tokens":192"#), "{stdout}");
    let paths: Vec<String> = server.requests().iter().map(|request| request.path.clone()).collect();
    assert_eq!(
        paths,
        ["/v1/chat/completions", "/v1/responses"],
        "a server put in OpenAI's place speaks Chat Completions unless Responses is chosen"
    );
    assert_eq!(
        server.requests()[1].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    let mut refused = runnel("openai");
    refused.args(["chat", "--provider", "openai", "--protocol", "anthropic", "hi"]);
    let (code, _, stderr) = output(&mut refused);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`openai` speaks openai-responses or openai, not `anthropic`"),
        "{stderr}"
    );
}

#[tokio::test]
async fn events_are_json_lines_ending_with_finish() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let mut command = runnel("events");
    command
        .env("ANTHROPIC_API_KEY", SECRET)
        .env("ANTHROPIC_BASE_URL", server.url());
    command.args(["chat", "-m", "anthropic", "--events", "hi"]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines[0]["type"], "start");
    assert_eq!(lines[0]["id"], "msg_01XFDUDYJgAACzvnptvVoYEL");
    assert!(lines.iter().any(|line| line["type"] == "text"));
    assert!(
        lines
            .iter()
            .any(|line| line["type"] == "usage" && line["input_tokens"] == 21)
    );
    assert_eq!(lines.last().unwrap()["type"], "finish");
    assert_eq!(lines.last().unwrap()["reason"], "stop");
    assert_eq!(server.requests()[0].header("x-api-key"), Some(SECRET));
    assert_no_secret(&[&stdout, &stderr]);
}

#[tokio::test]
async fn raw_prints_sse_events_with_arrival_times() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let mut command = runnel("raw");
    command
        .env("ANTHROPIC_API_KEY", SECRET)
        .env("ANTHROPIC_BASE_URL", server.url());
    command.args(["chat", "-m", "anthropic", "--raw", "hi"]);
    let (code, stdout, _) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 0);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.trim_start().split(' ').next().unwrap().parse::<f64>().is_ok(),
        "{first}"
    );
    assert!(first.contains("message_start"), "{first}");
    assert!(stdout.lines().any(|line| line.contains("ping")));
    assert!(stdout.lines().last().unwrap().contains("message_stop"));
}

#[tokio::test]
async fn an_incomplete_stream_keeps_the_partial_text_on_stdout_and_exits_3() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture("openai_no_done.sse")));
    let mut command = runnel("incomplete");
    command
        .env("OPENAI_API_KEY", SECRET)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()));
    command.args(["chat", "-m", "openai", "hi"]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 3);
    assert_eq!(stdout, "Truncated stream.\n");
    assert!(
        stderr.contains("error: incomplete:") && stderr.contains("[DONE]"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_captive_portal_page_is_one_clear_error_and_no_answer_line() {
    let server = FakeServer::start().await;
    let page = "<!DOCTYPE html>\n<html><head><title>Sign in to Wi-Fi</title></head></html>\n";
    server.enqueue(Reply::sse(page).header("content-type", "text/html; charset=utf-8"));
    let mut command = runnel("portal");
    command
        .env("OPENAI_API_KEY", SECRET)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()));
    command.args(["chat", "-m", "openai", "hi"]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "", "nothing is an answer here, not even a blank line");
    assert_eq!(
        stderr.trim_end(),
        "error: protocol: expected an event stream (`text/event-stream`), got `text/html; charset=utf-8`: <!DOCTYPE html>"
    );
}

#[tokio::test]
async fn http_errors_exit_1_with_the_providers_message_and_never_the_key() {
    let server = FakeServer::start().await;
    let echo = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {SECRET}","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
    );
    server.enqueue(Reply::json(401, &echo));
    server.enqueue(
        Reply::json(429, std::str::from_utf8(&fixture("openai_error_429.json")).unwrap()).header("retry-after", "20"),
    );
    let url = format!("{}/v1", server.url());
    let run = |extra: &'static [&'static str]| {
        let mut command = runnel("errors");
        command
            .env("OPENAI_API_KEY", SECRET)
            .env("OPENAI_BASE_URL", &url)
            .env("RUNNEL_LOG", "trace");
        command.args(["chat", "-m", "openai"]).args(extra).arg("hi");
        command
    };
    let (mut first, mut second) = (run(&["--events"]), run(&[]));
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut first)).await.unwrap();
    assert_eq!(code, 1);
    assert!(stderr.contains("error: authentication: HTTP 401"), "{stderr}");
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["type"].as_str(), last["status"].as_u64()),
        (Some("error"), Some(401))
    );
    assert_eq!(last["error_type"], "invalid_request_error");
    assert!(stderr.contains("stream starting"), "trace logging was on: {stderr}");
    assert_no_secret(&[&stdout, &stderr]);

    let (code, _, stderr) = tokio::task::spawn_blocking(move || output(&mut second)).await.unwrap();
    assert_eq!(code, 1);
    assert!(
        stderr.contains("error: rate_limited:") && stderr.contains("(retry in 20 s)"),
        "{stderr}"
    );
    assert_no_secret(&[&stderr]);
}

#[tokio::test]
async fn an_interactive_chat_keeps_the_history_across_turns_and_a_model_switch() {
    let (openai, anthropic) = (FakeServer::start().await, FakeServer::start().await);
    openai.enqueue(Reply::sse(fixture("openai_text.sse")));
    anthropic.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let mut command = runnel("interactive");
    command
        .env("OPENAI_API_KEY", SECRET)
        .env("OPENAI_BASE_URL", format!("{}/v1", openai.url()));
    command
        .env("ANTHROPIC_API_KEY", SECRET)
        .env("ANTHROPIC_BASE_URL", anthropic.url());
    command
        .args(["chat", "-i", "-m", "openai/gpt-4o-mini"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let input = "first question\n/model anthropic/claude-haiku-4-5\nsecond question\n/quit\n";
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let Output { status, stdout, stderr } = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8(stdout).unwrap(), String::from_utf8(stderr).unwrap());
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with(OPENAI_TEXT) && stdout.contains("Bonjour !"),
        "{stdout}"
    );
    assert!(stderr.contains("(now anthropic/claude-haiku-4-5"), "{stderr}");
    let body = anthropic.requests()[0].json();
    let turns: Vec<(&str, &str)> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        turns,
        [
            ("user", "first question"),
            ("assistant", OPENAI_TEXT),
            ("user", "second question")
        ]
    );
    assert_eq!(body["model"], "claude-haiku-4-5");
    assert_no_secret(&[&stdout, &stderr]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_switch_never_sends_an_env_key_to_the_base_url_given_for_another_provider() {
    let (custom, openai) = (FakeServer::start().await, FakeServer::start().await);
    custom.enqueue(Reply::sse(fixture("openai_text.sse")));
    openai.enqueue(Reply::sse(fixture("openai_text.sse")));
    let mut command = runnel("switch");
    command
        .env("OPENAI_API_KEY", SECRET)
        .env("OPENAI_BASE_URL", format!("{}/v1", openai.url()))
        .args(["chat", "-i", "-m", "custom/local", "--base-url"])
        .arg(format!("{}/v1", custom.url()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let input = "first\n/model openai/gpt-4o-mini\nsecond\n/quit\n";
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let Output { status, stderr, .. } = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", String::from_utf8_lossy(&stderr));
    let to_custom = custom.requests();
    assert_eq!(to_custom.len(), 1, "only the first question went to the custom server");
    assert_eq!(to_custom[0].header("authorization"), None);
    let to_openai = openai.requests();
    assert_eq!(to_openai.len(), 1, "OpenAI's question went to OPENAI_BASE_URL");
    assert_eq!(
        to_openai[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
}

#[test]
fn a_missing_key_is_one_clear_line() {
    let (code, stdout, stderr) = output(runnel("missing").args(["chat", "-m", "anthropic/claude-sonnet-4-5", "hi"]));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: no API key for Anthropic: set ANTHROPIC_API_KEY"),
        "{stderr}"
    );
    assert!(stderr.contains("runnel keys set anthropic"), "{stderr}");
}

fn spawn_chat(server: &FakeServer, service: &str) -> Child {
    let mut command = runnel(service);
    command
        .env("OPENAI_API_KEY", SECRET)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()));
    command
        .args(["chat", "-m", "openai", "hi"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().unwrap()
}

#[tokio::test]
async fn ctrl_c_stops_mid_stream_keeps_the_text_and_closes_the_connection() {
    let server = FakeServer::start().await;
    server.enqueue(slow_openai_reply());
    let mut child = spawn_chat(&server, "ctrl-c");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    let first = tokio::task::spawn_blocking(move || {
        stdout.read_exact(&mut first).unwrap();
        (stdout, first)
    });
    let (mut stdout, first) = first.await.unwrap();
    let interrupted_at = Instant::now();
    interrupt(&child);
    // Generous bounds for a busy machine (the benches measure Stop in tens of µs): the stream
    // would take far longer to end by itself.
    let closed = server
        .connection(0)
        .wait_closed_by_client(Duration::from_secs(10))
        .await;
    assert!(closed.is_some_and(|at| at.duration_since(interrupted_at) < Duration::from_secs(3)));
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(130));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let text = format!("{}{rest}", String::from_utf8_lossy(&first));
    assert!(text.starts_with("tok0 tok1"), "{text}");
    assert!(!text.contains("tok19999"), "stopped early");
}

/// The lanes run at the same time: the server answers none until all three requests are in.
#[tokio::test]
async fn compare_runs_labelled_prompts_in_parallel_lanes() {
    let server = FakeServer::start().await;
    let lanes = Rendezvous::new(3, LANES_PATIENCE);
    server.route(
        "/v1/chat/completions",
        Reply::sse(fixture("openai_text.sse"))
            .chunking(Chunking::Fixed(7))
            .meet(&lanes),
    );
    let mut command = runnel("compare-labels");
    command.env("OPENAI_API_KEY", SECRET);
    command.args(["compare", "-m", "openai/model-a", "--base-url"]);
    command.arg(format!("{}/v1", server.url()));
    command.args([
        "-p",
        "PY=What is Python?",
        "-p",
        "JS=What is JavaScript?",
        "-p",
        "RS=What is Rust?",
    ]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    for label in ["PY", "JS", "RS"] {
        assert!(stdout.contains(&format!("[{label}] Hello! Café au lait")), "{stdout}");
        let row = stdout
            .lines()
            .find(|line| line.starts_with(&format!("{label} ")))
            .unwrap_or_else(|| panic!("a summary row for {label}: {stdout}"));
        let chars = OPENAI_TEXT.chars().count().to_string();
        assert!(
            row.split_whitespace().any(|cell| cell == chars) && row.ends_with("stop"),
            "{row}"
        );
    }
    let mut asked: Vec<String> = server
        .requests()
        .iter()
        .map(|request| request.json()["messages"][0]["content"].as_str().unwrap().to_owned())
        .collect();
    asked.sort();
    assert_eq!(asked, ["What is JavaScript?", "What is Python?", "What is Rust?"]);

    let (code, _, stderr) = output(runnel("compare-twice").args(["compare", "-m", "demo", "-p", "A=x", "-p", "A=y"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("the label `A` is given twice"), "{stderr}");
    let (code, _, stderr) = output(runnel("compare-bad").args(["compare", "-m", "demo", "-p", "no label"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("LABEL=PROMPT"), "{stderr}");
}

/// The models stream at the same time: the server answers neither until both requests are in.
#[tokio::test]
async fn compare_streams_models_in_parallel_and_prints_a_summary() {
    let server = FakeServer::start().await;
    let lanes = Rendezvous::new(2, LANES_PATIENCE);
    server.route(
        "/v1/chat/completions",
        Reply::sse(fixture("openai_text.sse"))
            .chunking(Chunking::Fixed(50))
            .meet(&lanes),
    );
    let mut command = runnel("compare");
    command.env("OPENAI_API_KEY", SECRET);
    command.args(["compare", "-m", "openai/model-a", "-m", "openai/model-b", "--base-url"]);
    command.arg(format!("{}/v1", server.url())).arg("hi");
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("[1 openai/model-a] Hello! Café au lait"), "{stdout}");
    assert!(stdout.contains("[2 openai/model-b] Done \"quoted\"."), "{stdout}");
    let header = stdout
        .lines()
        .find(|line| line.starts_with("lane"))
        .expect("a summary table");
    assert!(
        header.contains("first token")
            && header.contains("tok/s")
            && header.contains("chars")
            && header.contains("finish")
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.starts_with("1 openai/model-a") && line.ends_with("stop"))
            .count(),
        1
    );
    let models: Vec<String> = server
        .requests()
        .iter()
        .map(|request| request.json()["model"].to_string())
        .collect();
    assert!(models.contains(&"\"model-a\"".into()) && models.contains(&"\"model-b\"".into()));
}

#[tokio::test]
async fn models_lists_a_providers_models_or_falls_back() {
    let server = FakeServer::start().await;
    server.route(
        "/v1/models",
        Reply::json(200, std::str::from_utf8(&fixture("openai_models.json")).unwrap()),
    );
    let mut command = runnel("models");
    command
        .env("OPENAI_API_KEY", SECRET)
        .args(["models", "openai", "--base-url"])
        .arg(format!("{}/v1", server.url()));
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.lines().count() > 1 && stdout.lines().all(|line| line.starts_with("openai/")),
        "{stdout}"
    );

    let (code, stdout, _) = output(runnel("models-demo").args(["models", "demo"]));
    assert_eq!((code, stdout.as_str()), (0, "demo/runnel-demo\n"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, stdout, stderr) = output(
        runnel("models-down")
            .args(["models", "ollama", "--base-url"])
            .arg(format!("http://{closed}/v1")),
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("ollama/llama3.2"), "{stdout}");
    assert!(stderr.contains("built-in list"), "{stderr}");
}

#[tokio::test]
async fn a_providers_file_entry_is_a_provider_like_any_other() {
    let server = FakeServer::start().await;
    server.route(
        "/v1/models",
        Reply::json(200, std::str::from_utf8(&fixture("openai_models.json")).unwrap()),
    );
    server.enqueue(Reply::sse(fixture("openai_text.sse")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("providers.json");
    let entry = serde_json::json!([{
        "id": "box",
        "name": "My box",
        "base_url": format!("{}/v1", server.url()),
        "models": ["box-model"],
    }]);
    std::fs::write(&file, entry.to_string()).unwrap();
    let with_file = |service: &str, args: &[&str]| {
        let mut command = runnel(service);
        command.env("RUNNEL_PROVIDERS_FILE", &file).args(args);
        command
    };

    let mut listing = with_file("file-models", &["models"]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut listing)).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.lines().any(|line| line == "box/gpt-4o-mini"), "{stdout}");
    assert!(stdout.lines().all(|line| !line.starts_with("custom/")), "{stdout}");

    let mut chat = with_file("file-chat", &["chat", "-m", "box", "hi"]);
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut chat)).await.unwrap();
    assert_eq!((code, stdout), (0, format!("{OPENAI_TEXT}\n")), "{stderr}");
    assert_eq!(
        server.requests().last().unwrap().json()["model"],
        "box-model",
        "its first model is its default"
    );

    std::fs::write(&file, "[{\"id\": \"box\",,}]").unwrap();
    let (code, stdout, stderr) = output(&mut with_file("file-bad", &["chat", "-m", "demo", "hello"]));
    assert_eq!(code, 0, "a bad file leaves the built-in providers: {stderr}");
    assert!(stdout.starts_with("Hello!"), "{stdout}");
    assert!(
        stderr.contains("RUNNEL_PROVIDERS_FILE not used") && stderr.contains("line 1"),
        "{stderr}"
    );
}

#[tokio::test]
async fn stats_print_the_cost_of_a_priced_model_and_none_for_an_unpriced_one() {
    let server = FakeServer::start().await;
    // 19 prompt tokens and 14 answer tokens, as the server counts them.
    server.route("/v1/chat/completions", Reply::sse(fixture("openai_text.sse")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("providers.json");
    let entry = serde_json::json!([{
        "id": "box",
        "base_url": format!("{}/v1", server.url()),
        "models": ["priced", "unpriced"],
        "prices_as_of": "2025-10-01",
        "prices": {
            "priced": {"input": 2.5, "cached_input": 1.25, "output": 10},
            "broken": {"input": -1, "output": 1}
        },
    }]);
    std::fs::write(&file, entry.to_string()).unwrap();
    let chat = |service: &str, model: &str| {
        let mut command = runnel(service);
        command
            .env("RUNNEL_PROVIDERS_FILE", &file)
            .args(["chat", "--stats", "-m", model, "hi"]);
        command
    };

    let mut priced = chat("cost-priced", "box/priced");
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut priced)).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Hello!"), "{stdout}");
    // 19 × $2.50 + 14 × $10 per million.
    assert!(
        stderr.contains("14 tokens") && stderr.contains("  cost $0.00019"),
        "{stderr}"
    );
    assert!(
        stderr.contains("left out `box`: the price of `broken`: the input price must not be negative"),
        "a bad price is named and the rest of the file is used: {stderr}"
    );

    let mut unpriced = chat("cost-unpriced", "box/unpriced");
    let (code, _, stderr) = tokio::task::spawn_blocking(move || output(&mut unpriced))
        .await
        .unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("14 tokens"), "{stderr}");
    assert!(!stderr.contains("cost"), "no price, no cost: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service on D-Bus; scripts/test provides one"]
async fn keys_live_in_the_keychain_and_go_only_to_their_host() {
    let server = FakeServer::start().await;
    server.route("/v1/chat/completions", Reply::sse(fixture("openai_text.sse")));
    let url = format!("{}/v1", server.url());
    let keys = |args: &[&str], stdin: Option<&str>| {
        let mut command = runnel("keychain");
        command.arg("keys").args(args);
        if let Some(input) = stdin {
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = command.spawn().unwrap();
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
            return (
                status.code().unwrap(),
                String::from_utf8(stdout).unwrap(),
                String::from_utf8(stderr).unwrap(),
            );
        }
        output(&mut command)
    };
    let chat = |url: &str| output(runnel("keychain").args(["chat", "-m", "openai", "--base-url", url, "hi"]));

    // Set for OpenAI's own host: never sent to the fake server's host.
    let (code, stdout, stderr) = keys(&["set", "openai"], Some(&format!("{SECRET}\n")));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("api.openai.com"));
    let (_, status, _) = keys(&["status", "openai"], None);
    assert_eq!(
        status,
        "openai: key set in the OS keychain for https://api.openai.com; reads OPENAI_API_KEY, then the OS keychain\n"
    );
    let (code, _, stderr) = chat(&url);
    assert_eq!(code, 1);
    assert!(stderr.contains("was set for https://api.openai.com"), "{stderr}");
    assert!(server.requests().is_empty(), "nothing was sent");

    // Set for the fake server's host: sent there, and only as a header.
    assert_eq!(keys(&["set", "openai", "--base-url", &url], Some(SECRET)).0, 0);
    let (code, stdout, stderr) = chat(&url);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("{OPENAI_TEXT}\n"));
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_no_secret(&[&stdout, &stderr, &status]);

    // With no -m, a stored key makes its provider the default over the demo.
    let mut default = runnel("keychain");
    default.env("OPENAI_BASE_URL", &url).args(["chat", "hi"]);
    let (code, stdout, _) = output(&mut default);
    assert_eq!((code, stdout), (0, format!("{OPENAI_TEXT}\n")));

    assert_eq!(keys(&["delete", "openai"], None).1, "openai: key deleted\n");
    assert_eq!(
        keys(&["status", "openai"], None).1,
        "openai: no key; reads OPENAI_API_KEY, then the OS keychain\n"
    );
    assert_eq!(keys(&["delete", "openai"], None).1, "openai: no key was stored\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_env_key_works_where_no_keychain_service_exists() {
    let server = FakeServer::start().await;
    server.route("/v1/chat/completions", Reply::sse(fixture("openai_text.sse")));
    // No D-Bus session at all: the keychain cannot even be reached.
    let mut command = runnel("no-dbus");
    command
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("OPENAI_API_KEY", SECRET)
        .args(["chat", "-m", "openai", "--base-url"])
        .arg(format!("{}/v1", server.url()))
        .arg("hi");
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!((code, stdout), (0, format!("{OPENAI_TEXT}\n")), "{stderr}");
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str()),
        "the env key went to the base URL given for its provider"
    );
}

#[test]
fn a_fake_server_that_drops_mid_stream_keeps_the_text_and_is_a_network_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(FakeServer::start());
    let body = fixture("openai_text.sse");
    server.enqueue(
        Reply::sse(body.clone())
            .chunking(Chunking::Fixed(100))
            .end(End::DropAfter(body.len() / 2)),
    );
    let mut command = runnel("drop");
    command
        .env("OPENAI_API_KEY", SECRET)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()));
    let (code, stdout, stderr) = output(command.args(["chat", "-m", "openai", "hi"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        OPENAI_TEXT.starts_with(stdout.trim_end_matches('\n')) && stdout.len() > 1,
        "{stdout}"
    );
    assert!(
        stderr.contains("network") && stderr.contains("connection broke mid-stream"),
        "{stderr}"
    );
}
