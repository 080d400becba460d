//! A key goes only to the provider it belongs to, with several providers' keys in the
//! environment (as most people who use two or three providers work): every built-in provider's
//! base URL and a providers-file entry point at fake servers on 127.0.0.1, six keys are set, and
//! each command is checked for which key reached which server.
//!
//! The rule: a provider named (`-m`, `--provider`) with `--base-url` sends its own key there, as
//! the official SDKs do; a `--base-url` alone is a custom endpoint and gets no env key; listing
//! every provider sends none; a providers-file entry's key goes out only when it is named.

mod common;

use std::process::Command;

use common::{output, runnel};
use runnel_testkit::{FakeServer, RecordedRequest, Reply, fixture};

/// Each env var a key can come from, with its (fake) key.
const KEYS: [(&str, &str); 6] = [
    ("OPENAI_API_KEY", "sk-openai-KEY-never-elsewhere-01"),
    ("ANTHROPIC_API_KEY", "sk-ant-KEY-never-elsewhere-02"),
    ("GROQ_API_KEY", "gsk-groq-KEY-never-elsewhere-03"),
    ("OPENROUTER_API_KEY", "sk-or-KEY-never-elsewhere-04"),
    ("VLLM_API_KEY", "vllm-KEY-never-elsewhere-05"),
    ("AWS_SECRET_ACCESS_KEY", "aws-KEY-never-elsewhere-06"),
];

const OPENAI_TEXT: &str = "Hello! Café au lait, 日本語 and a crab 🦀.\nDone \"quoted\".";

fn key(var: &str) -> &'static str {
    KEYS.iter().find(|(name, _)| *name == var).unwrap().1
}

/// The keys found anywhere in `request` (its headers and body).
fn keys_in(request: &RecordedRequest) -> Vec<&'static str> {
    let mut text: String = request
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect();
    text.push_str(&request.path);
    text.push_str(&String::from_utf8_lossy(&request.body));
    KEYS.iter()
        .filter(|(_, key)| text.contains(key))
        .map(|(var, _)| *var)
        .collect()
}

/// A server that answers like an OpenAI-compatible one (models and chat) and like Anthropic's.
async fn server() -> FakeServer {
    let server = FakeServer::start().await;
    let models = String::from_utf8(fixture("openai_models.json")).unwrap();
    server.route("/v1/models", Reply::json(200, &models));
    server.route("/v1/chat/completions", Reply::sse(fixture("openai_text.sse")));
    server.route("/v1/messages", Reply::sse(fixture("anthropic_text.sse")));
    server
}

/// Every server the environment points at, and the providers file naming `box`.
struct World {
    /// Where `--base-url` points: no provider's own server.
    target: FakeServer,
    openai: FakeServer,
    anthropic: FakeServer,
    vllm: FakeServer,
    local: FakeServer,
    boxed: FakeServer,
    _dir: tempfile::TempDir,
    providers_file: std::path::PathBuf,
}

impl World {
    async fn new() -> World {
        let boxed = server().await;
        let dir = tempfile::tempdir().unwrap();
        let providers_file = dir.path().join("providers.json");
        let entry = serde_json::json!([{
            "id": "box",
            "base_url": format!("{}/v1", boxed.url()),
            "key_env": "AWS_SECRET_ACCESS_KEY",
            "key_required": true,
            "models": ["box-model"],
        }]);
        std::fs::write(&providers_file, entry.to_string()).unwrap();
        World {
            target: server().await,
            openai: server().await,
            anthropic: server().await,
            vllm: server().await,
            local: server().await,
            boxed,
            _dir: dir,
            providers_file,
        }
    }

    /// `runnel` with the six keys and every base URL the environment can move.
    fn runnel(&self, args: &[&str]) -> Command {
        let mut command = runnel("env-keys");
        for (var, key) in KEYS {
            command.env(var, key);
        }
        let v1 = |server: &FakeServer| format!("{}/v1", server.url());
        command
            .env("OPENAI_BASE_URL", v1(&self.openai))
            .env("ANTHROPIC_BASE_URL", self.anthropic.url())
            .env("VLLM_BASE_URL", v1(&self.vllm))
            .env("OLLAMA_HOST", self.local.url())
            .env("LMSTUDIO_BASE_URL", v1(&self.local))
            .env("LLAMACPP_BASE_URL", v1(&self.local))
            .env("RUNNEL_PROVIDERS_FILE", &self.providers_file)
            // A default model names no provider for a command that gives a base URL.
            .env("RUNNEL_MODEL", "openai/gpt-4o-mini")
            .args(args);
        command
    }

    fn all(&self) -> [(&'static str, &FakeServer); 6] {
        [
            ("target", &self.target),
            ("openai", &self.openai),
            ("anthropic", &self.anthropic),
            ("vllm", &self.vllm),
            ("local", &self.local),
            ("box", &self.boxed),
        ]
    }

    /// How many requests each server has had, in the order of [`all`](Self::all).
    fn counts(&self) -> Vec<usize> {
        self.all().iter().map(|(_, server)| server.requests().len()).collect()
    }

    /// The keys each request since `before` carried, for every server that got one.
    fn keys_since(&self, before: &[usize]) -> Vec<(&'static str, Vec<&'static str>)> {
        self.all()
            .iter()
            .zip(before)
            .flat_map(|((name, server), &from)| {
                server.requests()[from..]
                    .iter()
                    .map(|request| (*name, keys_in(request)))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// `runnel compare` of an OpenAI and an Anthropic model, with these `--base-url`s.
fn compare_openai_and_anthropic<'a>(base_urls: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "compare",
        "-m",
        "openai/gpt-4o-mini",
        "-m",
        "anthropic/claude-haiku-4-5",
    ];
    for url in base_urls {
        args.extend(["--base-url", url]);
    }
    args.push("hi");
    args
}

/// Runs `command` off the async runtime (the fake servers run on it).
async fn run(mut command: Command) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_named_provider_no_request_carries_any_of_six_env_keys() {
    let world = World::new().await;
    let target = world.target.url();
    let v1 = format!("{target}/v1");

    // `models --base-url URL`: one custom endpoint, asked without a key.
    let before = world.counts();
    let (code, stdout, stderr) = run(world.runnel(&["models", "--base-url", &v1])).await;
    assert_eq!(
        world.keys_since(&before),
        [("target", vec![])],
        "only the URL given was asked"
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.lines().count() > 1 && stdout.lines().all(|line| line.starts_with("custom/")),
        "{stdout}"
    );

    // `chat --base-url URL`: the custom endpoint answers; no provider's key goes with it.
    let before = world.counts();
    let (code, stdout, stderr) = run(world.runnel(&["chat", "--base-url", &v1, "hi"])).await;
    assert_eq!(world.keys_since(&before), [("target", vec![])]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, format!("{OPENAI_TEXT}\n").as_str()),
        "{stderr}"
    );

    // The same, speaking Anthropic's protocol.
    let before = world.counts();
    let (code, _, stderr) = run(world.runnel(&["chat", "--base-url", &target, "--protocol", "anthropic", "hi"])).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(world.keys_since(&before), [("target", vec![])]);
    assert_eq!(world.target.requests().last().unwrap().path, "/v1/messages");

    // `compare` with one URL for two providers' models: refused before anything is sent.
    let before = world.counts();
    let (code, _, stderr) = run(world.runnel(&compare_openai_and_anthropic(&[&v1]))).await;
    assert_eq!(world.keys_since(&before), [], "nothing was sent");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--base-url openai=URL --base-url anthropic=URL"),
        "the message says how to give each its own: {stderr}"
    );

    // `models` for every provider: those that need a key (the file's entry too) are not asked;
    // the others are asked without one (not even vLLM's own key).
    let before = world.counts();
    let (code, stdout, stderr) = run(world.runnel(&["models"])).await;
    let asked = world.keys_since(&before);
    assert!(asked.iter().all(|(_, keys)| keys.is_empty()), "{asked:?}");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("openai/gpt-4o-mini") && stdout.contains("box/"),
        "{stdout}"
    );
    assert!(stderr.contains("`runnel models openai` asks with its key"), "{stderr}");
    let servers: std::collections::BTreeSet<&str> = asked.iter().map(|(name, _)| *name).collect();
    assert_eq!(servers, ["local", "vllm"].into(), "{asked:?}");

    // `chat` with nothing named: a built-in provider with its own key, never the file's entry.
    let before = world.counts();
    let (code, stdout, stderr) = run(world.runnel(&["chat", "hi"])).await;
    assert_eq!(
        (code, stdout.as_str()),
        (0, format!("{OPENAI_TEXT}\n").as_str()),
        "{stderr}"
    );
    assert_eq!(world.keys_since(&before), [("openai", vec!["OPENAI_API_KEY"])]);
    let mut only_the_files_key = world.runnel(&["chat", "hi"]);
    for (var, _) in &KEYS[..5] {
        only_the_files_key.env_remove(var);
    }
    only_the_files_key.env_remove("RUNNEL_MODEL");
    let before = world.counts();
    let (code, stdout, stderr) = run(only_the_files_key).await;
    assert_eq!(world.keys_since(&before), [], "the file's entry was not chosen");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Hello!"), "the offline demo answers: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_provider_with_a_base_url_sends_its_own_key_there_and_only_its_own() {
    let world = World::new().await;
    let v1 = format!("{}/v1", world.target.url());
    let cases: [(&[&str], &str); 4] = [
        (
            &["chat", "-m", "openai/gpt-4o-mini", "--base-url", &v1, "hi"],
            "OPENAI_API_KEY",
        ),
        (&["chat", "--provider", "groq", "--base-url", &v1, "hi"], "GROQ_API_KEY"),
        (&["models", "vllm", "--base-url", &v1], "VLLM_API_KEY"),
        (&["chat", "-m", "box", "hi"], "AWS_SECRET_ACCESS_KEY"),
    ];
    for (args, var) in cases {
        let before = world.counts();
        let (code, _, stderr) = run(world.runnel(args)).await;
        assert_eq!(code, 0, "{args:?}: {stderr}");
        let asked = world.keys_since(&before);
        let expected = if var == "AWS_SECRET_ACCESS_KEY" {
            "box"
        } else {
            "target"
        };
        assert_eq!(asked, [(expected, vec![var])], "{args:?}");
        assert!(!stderr.contains(key(var)), "{args:?}: the key was printed");
    }

    // Two providers' models, each given its own URL: each key goes to its own URL only.
    let (openai_url, anthropic_url) = (format!("{}/v1", world.openai.url()), world.anthropic.url());
    let before = world.counts();
    let (openai_url, anthropic_url) = (format!("openai={openai_url}"), format!("anthropic={anthropic_url}"));
    let (code, stdout, stderr) = run(world.runnel(&compare_openai_and_anthropic(&[&openai_url, &anthropic_url]))).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("openai/gpt-4o-mini") && stdout.contains("anthropic/claude-haiku-4-5"),
        "{stdout}"
    );
    let mut asked = world.keys_since(&before);
    asked.sort();
    assert_eq!(
        asked,
        [
            ("anthropic", vec!["ANTHROPIC_API_KEY"]),
            ("openai", vec!["OPENAI_API_KEY"])
        ]
    );
}
