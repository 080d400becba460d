//! Promises of the README about the `runnel` binary, each through a real process: exit code 2 for
//! bad usage, every line type of `chat --events` (against the fake provider and the recorded
//! fixtures), and env-var keys winning over the keychain — used and shown. The keychain test is
//! ignored unless a private Secret Service runs (`scripts/test` provides one); it uses a keychain
//! service name of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod common;

use common::{interrupt, output, runnel};
use runnel_testkit::{Chunking, FakeServer, Reply, fixture, slow_openai_reply};
use serde_json::Value;

const ENV_SECRET: &str = "sk-env-WINS-5ac1";
const KEYCHAIN_SECRET: &str = "sk-keychain-LOSES-93be";

/// Runs `command` off the async runtime (the fake server lives on it).
async fn run(mut command: Command) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap()
}

/// The JSON lines of `--events` output.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// The lines of type `kind`.
fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|line| line["type"] == kind).collect()
}

/// The concatenated `text` of the lines of type `kind`.
fn joined(lines: &[Value], kind: &str) -> String {
    of_type(lines, kind)
        .iter()
        .map(|line| line["text"].as_str().expect("a text field"))
        .collect()
}

#[tokio::test]
async fn bad_usage_exits_2_prints_usage_and_sends_nothing() {
    let server = FakeServer::start().await;
    server.route("/v1/chat/completions", Reply::sse(fixture("openai_text.sse")));
    let url = format!("{}/v1", server.url());
    let cases: &[&[&str]] = &[
        &[],                                                     // no command
        &["frobnicate"],                                         // unknown command
        &["chat", "-m", "openai", "--no-such-flag", "hi"],       // unknown flag
        &["chat", "-m", "openai", "--max-tokens", "lots", "hi"], // a value of the wrong type
        &["chat", "-m", "openai", "-i", "--events"],             // flags that exclude each other
        &["chat", "-m", "openai", "--events", "--raw", "-i"],    // idem
        &["keys"],                                               // a missing subcommand
        &["keys", "set"],                                        // a missing argument
    ];
    for args in cases {
        let mut command = runnel("usage");
        command
            .env("OPENAI_API_KEY", ENV_SECRET)
            .env("OPENAI_BASE_URL", &url)
            .args(*args);
        let (code, stdout, stderr) = run(command).await;
        assert_eq!(code, 2, "runnel {args:?} is bad usage: {stderr}");
        assert!(stdout.is_empty(), "runnel {args:?} printed to stdout: {stdout}");
        assert!(
            stderr.contains("Usage: runnel") || stderr.contains("try '--help'"),
            "runnel {args:?} points to the usage: {stderr}"
        );
    }
    assert!(server.requests().is_empty(), "bad usage sent a request");

    // The same flags, well used, are not bad usage: the code is the answer's.
    let mut command = runnel("usage");
    command
        .env("OPENAI_API_KEY", ENV_SECRET)
        .env("OPENAI_BASE_URL", &url)
        .args(["chat", "-m", "openai", "--max-tokens", "5", "hi"]);
    let (code, _, stderr) = run(command).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = run({
        let mut help = runnel("usage");
        help.arg("--help");
        help
    })
    .await;
    assert_eq!(code, 0, "--help is not an error");
    assert!(stdout.contains("Usage: runnel"), "{stdout}");
}

#[tokio::test]
async fn asking_for_what_does_not_exist_exits_2_and_says_what() {
    let cases: &[(&[&str], &str)] = &[
        (&["chat", "-m", "nosuch/model", "hi"], "unknown provider `nosuch`"),
        (
            &["compare", "-m", "demo", "-m", "nosuch", "hi"],
            "unknown provider `nosuch`",
        ),
        (&["models", "nosuch"], "unknown provider `nosuch`"),
        (&["keys", "status", "nosuch"], "unknown provider `nosuch`"),
        (&["chat", "-m", "custom/x", "hi"], "needs a base URL"),
        (
            &["chat", "-m", "openai", "--base-url", "ftp://x", "hi"],
            "not a valid base URL",
        ),
        (&["chat", "-m", "demo"], "the prompt on stdin is empty"),
    ];
    for (args, says) in cases {
        let (code, stdout, stderr) = run({
            let mut command = runnel("usage-values");
            command.args(*args);
            command
        })
        .await;
        assert_eq!(code, 2, "runnel {args:?} asks for what does not exist: {stderr}");
        assert!(stderr.contains(says), "runnel {args:?} says `{says}`: {stderr}");
        assert!(stdout.is_empty(), "runnel {args:?} printed to stdout: {stdout}");
    }
    // A missing key is no usage error: the command line is right, the machine lacks the key.
    let (code, _, stderr) = run({
        let mut command = runnel("usage-values");
        command.args(["chat", "-m", "openai", "hi"]);
        command
    })
    .await;
    assert_eq!(code, 1, "{stderr}");
}

/// `runnel chat --events` against a fake server that plays `fixture` once.
async fn events_of(fixture_name: &str, provider: &str) -> (i32, Vec<Value>, String) {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(fixture(fixture_name)).chunking(Chunking::Fixed(7)));
    let mut command = runnel("events");
    match provider {
        "anthropic" => command
            .env("ANTHROPIC_API_KEY", ENV_SECRET)
            .env("ANTHROPIC_BASE_URL", server.url()),
        _ => command
            .env("OPENAI_API_KEY", ENV_SECRET)
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url())),
    };
    command.args(["chat", "-m", provider, "--events", "hi"]);
    let (code, stdout, stderr) = run(command).await;
    assert_eq!(server.requests().len(), 1, "one request: {stderr}");
    (code, json_lines(&stdout), stderr)
}

#[tokio::test]
async fn events_print_tool_calls_with_index_id_name_and_argument_fragments() {
    let (code, lines, stderr) = events_of("openai_tool_calls.sse", "openai").await;
    assert_eq!(code, 0, "{stderr}");
    let calls = of_type(&lines, "tool_call");
    // Each call opens with its id and name (and empty arguments), then one line per fragment.
    assert_eq!(calls.len(), (1 + 6) + (1 + 5), "{calls:?}");
    let call = |index: u64| -> (Vec<&str>, Vec<&str>, String) {
        let mine: Vec<&&Value> = calls.iter().filter(|c| c["index"] == index).collect();
        (
            mine.iter().filter_map(|c| c["id"].as_str()).collect(),
            mine.iter().filter_map(|c| c["name"].as_str()).collect(),
            mine.iter()
                .map(|c| c["arguments"].as_str().expect("arguments"))
                .collect(),
        )
    };
    assert_eq!(
        call(0),
        (
            vec!["call_Xz4mQe1Lr8VbN2cT7pWq9YdA"],
            vec!["get_weather"],
            r#"{"location": "Paris, France"}"#.to_owned()
        )
    );
    assert_eq!(
        call(1),
        (
            vec!["call_Kp7sW3nHt5GjR0yU2eBo6MvF"],
            vec!["get_time"],
            r#"{"timezone": "Asia/Tokyo"}"#.to_owned()
        )
    );
    // The id and name come with the first line of each call, in order.
    assert_eq!(
        (&calls[0]["id"], &calls[0]["name"]),
        (&"call_Xz4mQe1Lr8VbN2cT7pWq9YdA".into(), &"get_weather".into())
    );
    assert_eq!(
        (&calls[7]["index"], &calls[7]["id"]),
        (&1.into(), &"call_Kp7sW3nHt5GjR0yU2eBo6MvF".into())
    );
    assert!(calls[1]["id"].is_null() && calls[1]["name"].is_null(), "{}", calls[1]);
    assert!(of_type(&lines, "text").iter().all(|t| t["text"] == ""), "no text");
    let last = lines.last().unwrap();
    assert_eq!(
        (&last["type"], &last["reason"]),
        (&"finish".into(), &"tool_calls".into())
    );
    assert_eq!(last["raw_reason"], "tool_calls");
    assert!(
        of_type(&lines, "usage")
            .iter()
            .any(|u| u["input_tokens"] == 81 && u["output_tokens"] == 46)
    );
}

#[tokio::test]
async fn events_print_thinking_before_the_text() {
    let (code, lines, stderr) = events_of("anthropic_thinking.sse", "anthropic").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        joined(&lines, "thinking"),
        "The user asks for 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391."
    );
    assert_eq!(joined(&lines, "text"), "17 × 23 = **391**.");
    let position = |kind: &str| lines.iter().position(|line| line["type"] == kind).unwrap();
    assert!(position("start") < position("thinking") && position("thinking") < position("text"));
    let last = lines.last().unwrap();
    assert_eq!(
        (&last["type"], &last["raw_reason"]),
        (&"finish".into(), &"end_turn".into())
    );
}

#[tokio::test]
async fn events_print_a_refusal_as_refusal_not_text() {
    let (code, lines, stderr) = events_of("openai_refusal.sse", "openai").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(joined(&lines, "refusal"), "I’m sorry, but I can’t help with that.");
    assert_eq!(joined(&lines, "text"), "");
    assert_eq!(lines.last().unwrap()["type"], "finish");
}

#[tokio::test]
async fn events_end_with_stopped_after_ctrl_c_and_exit_130() {
    let server = FakeServer::start().await;
    server.enqueue(slow_openai_reply());
    let mut command = runnel("stopped");
    command
        .env("OPENAI_API_KEY", ENV_SECRET)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
        .args(["chat", "-m", "openai", "--events", "hi"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    // Wait for a text line: the stream is flowing.
    let (mut reader, mut seen) = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut seen = String::new();
        while !seen.contains(r#""type":"text""#) {
            assert!(
                reader.read_line(&mut seen).unwrap() > 0,
                "the stream ended early: {seen}"
            );
        }
        (reader, seen)
    })
    .await
    .unwrap();
    interrupt(&child);
    let status = tokio::task::spawn_blocking(move || {
        reader.read_to_string(&mut seen).unwrap();
        (child.wait().unwrap(), seen)
    });
    let (status, all) = status.await.unwrap();
    assert_eq!(status.code(), Some(130));
    let lines = json_lines(&all);
    assert_eq!(
        lines.last().unwrap(),
        &serde_json::json!({ "type": "stopped" }),
        "{all}"
    );
    assert_eq!(of_type(&lines, "stopped").len(), 1);
    assert!(of_type(&lines, "finish").is_empty() && of_type(&lines, "error").is_empty());
    assert!(!joined(&lines, "text").contains("tok19999"), "stopped early");
    let closed = server
        .connection(0)
        .wait_closed_by_client(Duration::from_secs(20))
        .await;
    assert!(closed.is_some(), "the connection was closed");
}

/// `runnel keys …`, with `stdin` written to it when given.
fn keys(service: &str, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = runnel(service);
    command.arg("keys").args(args).envs(env.iter().copied());
    let Some(input) = stdin else {
        return output(&mut command);
    };
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service on D-Bus; scripts/test provides one"]
async fn an_env_key_wins_over_a_keychain_key_for_the_same_host_and_status_says_so() {
    const SERVICE: &str = "precedence";
    let (openai, anthropic) = (FakeServer::start().await, FakeServer::start().await);
    openai.route("/v1/chat/completions", Reply::sse(fixture("openai_text.sse")));
    anthropic.route("/v1/messages", Reply::sse(fixture("anthropic_text.sse")));
    let openai_url = format!("{}/v1", openai.url());
    let anthropic_url = anthropic.url();

    // Keychain keys bound to the fake servers' own origins: they would be sent if the env did not win.
    for (provider, url) in [("openai", &openai_url), ("anthropic", &anthropic_url)] {
        let (code, _, stderr) = tokio::task::block_in_place(|| {
            keys(
                SERVICE,
                &["set", provider, "--base-url", url],
                Some(KEYCHAIN_SECRET),
                &[],
            )
        });
        assert_eq!(code, 0, "{stderr}");
    }
    let status = |env: &[(&str, &str)]| tokio::task::block_in_place(|| keys(SERVICE, &["status"], None, env).1);
    let before = status(&[]);
    assert!(
        before.contains(&format!(
            "openai: key set in the OS keychain for {}; reads OPENAI_API_KEY, then the OS keychain\n",
            openai.url()
        )),
        "{before}"
    );

    // Used: the env key goes out, in each provider's own header.
    let mut chat = runnel(SERVICE);
    chat.env("OPENAI_API_KEY", ENV_SECRET)
        .env("OPENAI_BASE_URL", &openai_url)
        .args(["chat", "-m", "openai", "hi"]);
    let (code, stdout, stderr) = run(chat).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Hello! Café"), "{stdout}");
    let mut chat = runnel(SERVICE);
    chat.env("ANTHROPIC_API_KEY", ENV_SECRET)
        .env("ANTHROPIC_BASE_URL", &anthropic_url)
        .args(["chat", "-m", "anthropic", "hi"]);
    let (code, _, stderr) = run(chat).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        openai.requests()[0].header("authorization"),
        Some(format!("Bearer {ENV_SECRET}").as_str())
    );
    assert_eq!(anthropic.requests()[0].header("x-api-key"), Some(ENV_SECRET));

    // Without the env var, the same command uses the keychain key: the test above was meaningful.
    let mut chat = runnel(SERVICE);
    chat.env("OPENAI_BASE_URL", &openai_url)
        .args(["chat", "-m", "openai", "hi"]);
    let (code, _, stderr) = run(chat).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        openai.requests()[1].header("authorization"),
        Some(format!("Bearer {KEYCHAIN_SECRET}").as_str())
    );

    // Shown: `keys status` names the env var as the source.
    let shown = status(&[("OPENAI_API_KEY", ENV_SECRET), ("ANTHROPIC_API_KEY", ENV_SECRET)]);
    assert!(shown.contains("openai: key from OPENAI_API_KEY\n"), "{shown}");
    assert!(shown.contains("anthropic: key from ANTHROPIC_API_KEY\n"), "{shown}");
    assert!(
        !shown.contains(ENV_SECRET) && !shown.contains(KEYCHAIN_SECRET),
        "{shown}"
    );

    for provider in ["openai", "anthropic"] {
        let (_, deleted, _) = tokio::task::block_in_place(|| keys(SERVICE, &["delete", provider], None, &[]));
        assert_eq!(deleted, format!("{provider}: key deleted\n"));
    }
}
