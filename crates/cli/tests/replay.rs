//! Export and replay through the real road: `runnel chat --save-sse` records a fake provider's
//! stream (adversarial chunking), `runnel replay` (a real process) serves it on 127.0.0.1, and
//! `runnel chat` and a plain HTTP client read it back.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{interrupt, output, runnel};
use runnel_testkit::{Chunking, FakeServer, Reply, fixture};

const KEY: &str = "sk-replay-test-0123456789";

/// A provider the tests record from: its protocol's fixture and how its CLI flags name it.
struct Provider {
    id: &'static str,
    fixture: &'static str,
    key_var: &'static str,
    chat_path: &'static str,
}

const OPENAI: Provider = Provider {
    id: "openai",
    fixture: "openai_text.sse",
    key_var: "OPENAI_API_KEY",
    chat_path: "/chat/completions",
};
const ANTHROPIC: Provider = Provider {
    id: "anthropic",
    fixture: "anthropic_text.sse",
    key_var: "ANTHROPIC_API_KEY",
    chat_path: "/v1/messages",
};

impl Provider {
    /// The base URL of `server` as this provider's SDKs take it.
    fn base_url(&self, server: &FakeServer) -> String {
        match self.id {
            "openai" => format!("{}/v1", server.url()),
            _ => server.url(),
        }
    }

    /// `runnel chat` against `base_url`, with `extra` arguments before the prompt.
    async fn chat(&self, base_url: &str, extra: &[&str]) -> (i32, String, String) {
        let mut command = runnel(&format!("replay-{}", self.id));
        command
            .env(self.key_var, KEY)
            .args(["chat", "--provider", self.id, "--model", "m", "--base-url", base_url])
            .args(extra)
            .arg("hi");
        tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap()
    }
}

/// A `runnel replay` process, interrupted when dropped.
struct Replay {
    child: Child,
    url: String,
}

impl Replay {
    /// Starts `runnel replay` with `args` and waits for the base URL it prints.
    async fn start(args: Vec<String>) -> Replay {
        let mut command = runnel("replay-server");
        command
            .arg("replay")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        tokio::task::spawn_blocking(move || {
            let mut child = command.spawn().unwrap();
            let mut url = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut url)
                .unwrap();
            Replay {
                child,
                url: url.trim().to_owned(),
            }
        })
        .await
        .unwrap()
    }

    /// Ctrl-C: the replay ends with exit code 0.
    async fn stop(mut self) {
        interrupt(&self.child);
        let mut child = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap());
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status.code(), Some(0));
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake provider's reply: the fixture in 1–7 byte writes, 2 ms apart, after 30 ms.
fn adversarial(body: Vec<u8>) -> Reply {
    Reply::sse(body)
        .chunking(Chunking::Random { seed: 10, max: 7 })
        .delay(Duration::from_millis(2))
        .first_byte_delay(Duration::from_millis(30))
}

/// Records `provider`'s fixture from a fake server into `path` with `runnel chat --save-sse`;
/// returns the text the chat printed.
async fn record(provider: &Provider, reply: Reply, path: &Path) -> String {
    let server = FakeServer::start().await;
    server.enqueue(reply);
    let saved = path.to_str().unwrap();
    let (code, stdout, stderr) = provider.chat(&provider.base_url(&server), &["--save-sse", saved]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("saved the stream to {saved} ("))
            && stderr.contains(&format!("timings in {saved}.json")),
        "{stderr}"
    );
    stdout
}

/// The `[at_ms, bytes]` pairs of a sidecar.
fn sidecar_chunks(path: &Path) -> Vec<(f64, usize)> {
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{}.json", path.display())).unwrap()).unwrap();
    serde_json::from_value(sidecar["chunks"].clone()).unwrap()
}

/// POSTs a chat request to the replay and returns the status, content type and body.
async fn post(url: &str) -> (u16, String, Vec<u8>) {
    let response = reqwest::Client::new().post(url).body("{}").send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}

fn temp_file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_stream_is_byte_exact_and_replays_the_same_bytes_to_the_cli_and_to_http() {
    let dir = tempfile::tempdir().unwrap();
    for provider in [OPENAI, ANTHROPIC] {
        let body = fixture(provider.fixture);
        let path = temp_file(&dir, &format!("{}.sse", provider.id));
        let text = record(&provider, adversarial(body.clone()), &path).await;
        assert_eq!(std::fs::read(&path).unwrap(), body, "{}: byte for byte", provider.id);
        let chunks = sidecar_chunks(&path);
        assert_eq!(chunks.iter().map(|(_, len)| len).sum::<usize>(), body.len());
        assert!(chunks.len() > 1 && chunks.windows(2).all(|pair| pair[0].0 <= pair[1].0));

        let replay = Replay::start(vec![path.display().to_string(), "--pace".into(), "max".into()]).await;
        assert!(replay.url.starts_with("http://127.0.0.1:"), "{}", replay.url);
        assert_eq!(replay.url.ends_with("/v1"), provider.id == "openai", "{}", replay.url);
        let (code, replayed, stderr) = provider.chat(&replay.url, &[]).await;
        assert_eq!((code, replayed.as_str()), (0, text.as_str()), "{stderr}");
        let (code, events, stderr) = provider.chat(&replay.url, &["--events"]).await;
        assert_eq!(code, 0, "{stderr}");
        assert!(
            events.lines().last().unwrap().contains(r#""type":"finish""#),
            "{events}"
        );

        let (status, content_type, served) = post(&format!("{}{}", replay.url, provider.chat_path)).await;
        assert_eq!((status, content_type.as_str()), (200, "text/event-stream"));
        assert_eq!(served, body, "{}: the same bytes over plain HTTP", provider.id);
        let models_path = if provider.id == "openai" {
            "/models"
        } else {
            "/v1/models"
        };
        let models = reqwest::get(format!("{}{models_path}", replay.url)).await.unwrap();
        let models: serde_json::Value = serde_json::from_slice(&models.bytes().await.unwrap()).unwrap();
        assert_eq!(models["data"][0]["id"], "m", "the recorded model is listed");

        // Recording the replay gives the same file back.
        let again = temp_file(&dir, &format!("{}-again.sse", provider.id));
        let (code, _, stderr) = provider
            .chat(&replay.url, &["--save-sse", again.to_str().unwrap()])
            .await;
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(std::fs::read(&again).unwrap(), body);
        replay.stop().await;
    }
}

/// How late a replayed chunk may arrive after its due time: room to spare for a loaded 2-core
/// machine, yet less than the 2 s or more by which the last chunk (recorded 4 s in) would be late
/// if `2x` were served at the recorded pace or `recorded` at half speed.
const PACE_SLACK_MS: f64 = 1500.0;

/// Each chunk comes at its recorded offset from the request divided by the pace's speed: never
/// earlier (a replay served at once fails), and at most [`PACE_SLACK_MS`] later (one ignoring the
/// speed or twice as slow fails).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_sse_replaces_a_regular_file_and_never_follows_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let body = fixture(OPENAI.fixture);
    let named = temp_file(&dir, "named.sse");
    std::fs::write(&named, "an older save").unwrap();
    std::fs::write(format!("{}.json", named.display()), "its sidecar").unwrap();
    record(&OPENAI, Reply::sse(body.clone()), &named).await;
    assert_eq!(
        std::fs::read(&named).unwrap(),
        body,
        "the named regular file is replaced"
    );
    assert_eq!(
        sidecar_chunks(&named).iter().map(|(_, len)| len).sum::<usize>(),
        body.len()
    );

    let elsewhere = tempfile::tempdir().unwrap();
    let precious = elsewhere.path().join("precious");
    std::fs::write(&precious, "keep me").unwrap();
    let (linked, dangling) = (temp_file(&dir, "linked.sse"), temp_file(&dir, "dangling.sse"));
    std::os::unix::fs::symlink(&precious, &linked).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("victim"), &dangling).unwrap();
    for path in [&linked, &dangling] {
        let server = FakeServer::start().await;
        server.enqueue(Reply::sse(body.clone()));
        let saved = path.to_str().unwrap();
        let (code, stdout, stderr) = OPENAI.chat(&OPENAI.base_url(&server), &["--save-sse", saved]).await;
        assert_eq!(code, 1, "{stderr}");
        assert!(!stdout.is_empty(), "the answer is still printed");
        assert!(
            stderr.contains(&format!(
                "error: {saved} is a symbolic link, not a regular file: it is left as it is"
            )),
            "{stderr}"
        );
    }
    assert_eq!(
        std::fs::read(&precious).unwrap(),
        b"keep me",
        "the link's target is untouched"
    );
    assert!(
        !elsewhere.path().join("victim").exists(),
        "a dangling link's target is never created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_pace_keeps_the_recorded_offsets_from_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "paced.sse");
    let body = fixture(OPENAI.fixture);
    let reply = Reply::sse(body.clone())
        .chunking(Chunking::Fixed(body.len() / 5 + 1))
        .delay(Duration::from_millis(1000));
    record(&OPENAI, reply, &path).await;
    let chunks = sidecar_chunks(&path);
    assert_eq!(chunks.len(), 5, "1 s apart, the five writes stay apart: {chunks:?}");
    assert!(chunks[4].0 - chunks[0].0 >= 4.0 * 990.0, "{chunks:?}");

    for (pace, speed) in [("recorded", 1.0), ("2x", 2.0)] {
        let replay = Replay::start(vec![path.display().to_string(), "--pace".into(), pace.into()]).await;
        let sent = Instant::now();
        let response = reqwest::Client::new()
            .post(format!("{}/chat/completions", replay.url))
            .send()
            .await
            .unwrap();
        let mut response = response;
        let mut received = Vec::new();
        // When each recorded chunk's first byte arrived, in ms since the request was sent.
        let mut arrivals = Vec::new();
        let mut starts = chunks.iter().scan(0, |start, (_, len)| {
            let this = *start;
            *start += len;
            Some(this)
        });
        let mut next_start = starts.next();
        while let Some(piece) = response.chunk().await.unwrap() {
            let at_ms = sent.elapsed().as_secs_f64() * 1000.0;
            received.extend_from_slice(&piece);
            while next_start.is_some_and(|start| start < received.len()) {
                arrivals.push(at_ms);
                next_start = starts.next();
            }
        }
        assert_eq!(received, body, "{pace}: the same bytes");
        assert_eq!(arrivals.len(), chunks.len());
        for ((recorded_ms, _), arrived_ms) in chunks.iter().zip(&arrivals) {
            // Never early (but for 5 ms of timer slack), never late by more than the slack.
            let due_ms = recorded_ms / speed;
            assert!(
                (due_ms - 5.0..=due_ms + PACE_SLACK_MS).contains(arrived_ms),
                "{pace}: a chunk due at {due_ms:.0} ms arrived at {arrived_ms:.0} ms; all: {arrivals:?}"
            );
        }
        replay.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_without_its_sidecar_is_served_at_once_in_the_protocol_it_reads_as() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "bare.sse");
    let body = fixture(ANTHROPIC.fixture);
    std::fs::write(&path, &body).unwrap();
    let replay = Replay::start(vec![path.display().to_string()]).await;
    assert!(!replay.url.ends_with("/v1"), "read as Anthropic: {}", replay.url);
    let (status, _, served) = post(&format!("{}/v1/messages", replay.url)).await;
    assert_eq!((status, served), (200, body));
    replay.stop().await;
}

#[test]
fn malformed_sidecars_oversized_files_and_bad_paces_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "a.sse");
    std::fs::write(&path, b"data: [DONE]\n\n").unwrap();
    let replay = |args: &[&str]| output(runnel("replay-errors").arg("replay").args(args));
    let file = path.to_str().unwrap();

    std::fs::write(
        format!("{file}.json"),
        r#"{"format":"runnel-sse","version":1,"protocol":"openai","status":200,"chunks":[[0,3]]}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = replay(&[file]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {file}.json is not a valid sidecar: its chunks add up to 3 bytes, but the body has 14; is it the sidecar of {file}?"
        )
    );

    std::fs::write(
        format!("{file}.json"),
        "{\"format\": \"runnel-sse\",\n  \"version\": 1,\n  oops",
    )
    .unwrap();
    let (code, _, stderr) = replay(&[file]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!("error: {file}.json is not a valid sidecar: "))
            && stderr.contains("line 3 column 3"),
        "{stderr}"
    );

    let big = temp_file(&dir, "big.sse");
    std::fs::File::create(&big).unwrap().set_len((64 << 20) + 1).unwrap();
    let (code, _, stderr) = replay(&[big.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {} is larger than the limit of 64 MiB for a recorded body",
            big.display()
        )
    );

    let (code, _, stderr) = replay(&[temp_file(&dir, "missing.sse").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: cannot read ") && stderr.contains("missing.sse"),
        "{stderr}"
    );

    let (code, _, stderr) = replay(&[file, "--pace", "fast"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`fast` is not a pace"), "{stderr}");

    let (code, _, stderr) = output(runnel("replay-errors").args(["chat", "-m", "demo", "-i", "--save-sse", file]));
    assert_eq!(code, 2, "--save-sse is one-shot: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_error_is_saved_and_replayed_as_the_same_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "429.sse");
    let body = fixture("openai_error_429.json");
    let server = FakeServer::start().await;
    server.enqueue(Reply::json(429, std::str::from_utf8(&body).unwrap()));
    let saved = path.to_str().unwrap();
    let (code, _, original) = OPENAI.chat(&OPENAI.base_url(&server), &["--save-sse", saved]).await;
    assert_eq!(code, 1, "{original}");
    assert!(original.contains("saved the stream to"), "{original}");
    assert_eq!(std::fs::read(&path).unwrap(), body);

    let replay = Replay::start(vec![saved.to_owned()]).await;
    let (status, content_type, served) = post(&format!("{}/chat/completions", replay.url)).await;
    assert_eq!((status, content_type.as_str(), served), (429, "application/json", body));
    let (code, _, replayed) = OPENAI.chat(&replay.url, &[]).await;
    assert_eq!(code, 1);
    let first_line = |text: &str| text.lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        first_line(&replayed),
        first_line(&original),
        "the same error, read the same way"
    );
    replay.stop().await;
}
