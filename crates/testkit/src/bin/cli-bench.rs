//! `cli-bench`: the measurements behind `scripts/bench-cli` (docs/PERFORMANCE.md, "The CLI").
//!
//! One fake provider on 127.0.0.1 (the testkit's [`FakeServer`]) serves every client the same
//! bytes; each client is a process, spawned the way a person runs it, its output to a file.
//! Runs are interleaved (each round runs every client once, in an order that rotates), and each
//! figure is the median of the rounds, with ratios against the baselines of the same run.
//!
//! - **Start-up**: `runnel --version`; then a one-delta answer from a keyless endpoint, read by
//!   curl, by `runnel chat`, and by genai: the whole process, and the time from its spawn until
//!   the server had the whole request.
//! - **Per delta**: an OpenAI and an Anthropic stream of `--deltas` deltas written as fast as
//!   the server can, read by curl (the bytes alone), `runnel chat` and genai; wall time ÷ deltas.
//!   Each Runnel binary's output is checked once against the stream's text before timing.
//!
//! ```text
//! cli-bench --runnel PATH [--before PATH] [--genai PATH] [--runs N] [--deltas N]
//! cli-bench --serve openai|anthropic [--deltas N]    # only serve the stream (for a profiler)
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runnel_testkit::{
    Chunking, FakeServer, Framing, Reply, anthropic_stream, anthropic_text_of, openai_stream, openai_text_of,
};

/// The request body curl sends (the server answers whatever it is).
const CURL_BODY: &str = r#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;

/// What to run and against what.
struct Options {
    runnel: PathBuf,
    before: Option<PathBuf>,
    genai: Option<PathBuf>,
    runs: usize,
    deltas: usize,
    /// Only serve this protocol's stream to every request, until killed.
    serve: Option<Protocol>,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut options = Options {
            runnel: PathBuf::new(),
            before: None,
            genai: None,
            runs: 7,
            deltas: 300_000,
            serve: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<usize>()
                    .map_err(|_| format!("{flag}: not a number: {value}"))
            };
            match flag.as_str() {
                "--runnel" => options.runnel = value.into(),
                "--before" => options.before = Some(value.into()),
                "--genai" => options.genai = Some(value.into()),
                "--runs" => options.runs = number()?.max(1),
                "--deltas" => options.deltas = number()?.max(1),
                "--serve" => {
                    options.serve = Some(match value.as_str() {
                        "openai" => Protocol::OpenAi,
                        "anthropic" => Protocol::Anthropic,
                        other => return Err(format!("--serve: unknown protocol {other}")),
                    })
                }
                other => return Err(format!("unknown flag {other}")),
            }
        }
        if options.runnel.as_os_str().is_empty() && options.serve.is_none() {
            return Err("usage: cli-bench --runnel PATH [--before PATH] [--genai PATH] [--runs N] [--deltas N]".into());
        }
        Ok(options)
    }
}

/// A wire protocol the clients are measured on.
#[derive(Clone, Copy)]
enum Protocol {
    OpenAi,
    Anthropic,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::Anthropic => "anthropic",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Protocol::OpenAi => "/v1/chat/completions",
            Protocol::Anthropic => "/v1/messages",
        }
    }

    fn stream(self, deltas: usize) -> Vec<u8> {
        match self {
            Protocol::OpenAi => openai_stream(deltas),
            Protocol::Anthropic => anthropic_stream(deltas),
        }
    }

    fn text(self, deltas: usize) -> String {
        match self {
            Protocol::OpenAi => openai_text_of(deltas),
            Protocol::Anthropic => anthropic_text_of(deltas),
        }
    }
}

/// One client, run as a process.
struct Client {
    label: String,
    command: Box<dyn Fn() -> Command>,
    /// It sends a request (everything but `--version`).
    requests: bool,
}

/// One timed run.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    to_request: Option<Duration>,
}

/// A `runnel` command with none of the user's keys, base URLs or providers, and a keychain
/// service of its own.
fn runnel(path: &Path) -> Command {
    let mut command = Command::new(path);
    for var in runnel_testkit::user_env() {
        command.env_remove(var);
    }
    command.env("RUNNEL_KEYCHAIN_SERVICE", "runnel-cli-bench");
    command
}

/// `runnel chat` reading `protocol` from `url`: a keyless endpoint for OpenAI (`ollama`, the
/// start-up case), Anthropic with a key from the environment (so no keychain either).
fn runnel_chat(path: &Path, protocol: Protocol, url: &str) -> Command {
    let mut command = runnel(path);
    match protocol {
        Protocol::OpenAi => command.args(["chat", "-m", "ollama/bench", "--base-url", &format!("{url}/v1"), "hi"]),
        Protocol::Anthropic => {
            command
                .env("ANTHROPIC_API_KEY", "sk-ant-bench")
                .args(["chat", "-m", "anthropic", "--base-url", url, "hi"])
        }
    };
    command
}

fn curl(protocol: Protocol, url: &str) -> Command {
    let mut command = Command::new("curl");
    command.args([
        "-sS",
        "-N",
        "-o",
        "/dev/null",
        "-H",
        "content-type: application/json",
        "-d",
        CURL_BODY,
        &format!("{url}{}", protocol.path()),
    ]);
    command
}

fn genai(path: &Path, protocol: Protocol, url: &str) -> Command {
    let mut command = Command::new(path);
    command.args([protocol.name(), url]);
    command
}

/// The clients that read `protocol` from `url`: curl, Runnel (and the binary before), genai.
fn readers(options: &Options, protocol: Protocol, url: &str) -> Vec<Client> {
    let mut clients = vec![Client {
        label: "curl".into(),
        command: Box::new({
            let url = url.to_owned();
            move || curl(protocol, &url)
        }),
        requests: true,
    }];
    let mut runnels = vec![("runnel chat".to_owned(), options.runnel.clone())];
    if let Some(before) = &options.before {
        runnels.push(("runnel chat, before".to_owned(), before.clone()));
    }
    for (label, path) in runnels {
        let url = url.to_owned();
        clients.push(Client {
            label,
            command: Box::new(move || runnel_chat(&path, protocol, &url)),
            requests: true,
        });
    }
    if let Some(path) = options.genai.clone() {
        let url = url.to_owned();
        clients.push(Client {
            label: "genai".into(),
            command: Box::new(move || genai(&path, protocol, &url)),
            requests: true,
        });
    }
    clients
}

/// A fresh (empty) file for a client's output, in the temporary folder.
fn output_file() -> std::fs::File {
    let path = std::env::temp_dir().join(format!("cli-bench-{}.out", std::process::id()));
    std::fs::File::create(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()))
}

/// Runs `client` to its end with stdout to a file; panics if it fails.
fn run(server: &FakeServer, client: &Client, reply: Option<&Reply>) -> Sample {
    let before = server.requests().len();
    if let Some(reply) = reply.filter(|_| client.requests) {
        server.enqueue(reply.clone());
    }
    let mut command = (client.command)();
    command
        .stdin(Stdio::null())
        .stdout(output_file())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", client.label));
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "{} failed: {}",
        client.label,
        String::from_utf8_lossy(&output.stderr)
    );
    let requests = server.requests();
    let to_request = client.requests.then(|| {
        assert_eq!(requests.len(), before + 1, "{} sent one request", client.label);
        requests[before].received_at.duration_since(started)
    });
    Sample { wall, to_request }
}

/// Checks that `client` prints exactly `text` (and a final newline) for `reply`.
fn check_output(server: &FakeServer, client: &Client, reply: &Reply, text: &str) {
    server.enqueue(reply.clone());
    let output = (client.command)()
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", client.label));
    assert!(output.status.success(), "{} failed", client.label);
    assert!(
        output.stdout.strip_suffix(b"\n") == Some(text.as_bytes()),
        "{} printed {} bytes, not the stream's {} bytes of text",
        client.label,
        output.stdout.len(),
        text.len() + 1
    );
}

/// Every client once per round, in an order rotated each round, after one warm-up round.
fn rounds(server: &FakeServer, clients: &[Client], reply: Option<&Reply>, runs: usize) -> Vec<Vec<Sample>> {
    for client in clients {
        run(server, client, reply);
    }
    let mut samples = vec![Vec::new(); clients.len()];
    for round in 0..runs {
        for offset in 0..clients.len() {
            let index = (round + offset) % clients.len();
            samples[index].push(run(server, &clients[index], reply));
        }
    }
    samples
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn walls(samples: &[Sample]) -> Vec<Duration> {
    samples.iter().map(|s| s.wall).collect()
}

fn spread(values: &[Duration]) -> String {
    let (min, max) = (values.iter().min().unwrap(), values.iter().max().unwrap());
    format!("{}–{}", ms(*min), ms(*max))
}

fn startup(server: &FakeServer, options: &Options) {
    let url = server.url();
    let mut clients = vec![Client {
        label: "runnel --version".into(),
        command: Box::new({
            let path = options.runnel.clone();
            move || {
                let mut command = runnel(&path);
                command.arg("--version");
                command
            }
        }),
        requests: false,
    }];
    clients.extend(readers(options, Protocol::OpenAi, &url));
    let reply = Reply::sse(openai_stream(1));
    let samples = rounds(server, &clients, Some(&reply), options.runs);
    println!(
        "\n## Start-up: a one-delta answer from a keyless endpoint on loopback ({} rounds)\n",
        options.runs
    );
    println!("| client | whole process, median (min–max) | spawn → request at the server, median (min–max) |");
    println!("|---|---:|---:|");
    for (client, samples) in clients.iter().zip(&samples) {
        let to_request: Vec<Duration> = samples.iter().filter_map(|s| s.to_request).collect();
        let request_cell = if to_request.is_empty() {
            "–".to_owned()
        } else {
            format!("{} ({})", ms(median(to_request.clone())), spread(&to_request))
        };
        println!(
            "| {} | {} ({}) | {request_cell} |",
            client.label,
            ms(median(walls(samples))),
            spread(&walls(samples))
        );
    }
    let version = median(walls(&samples[0]));
    for (client, samples) in clients.iter().zip(&samples).skip(1) {
        let to_request = median(samples.iter().filter_map(|s| s.to_request).collect());
        let above = to_request.as_secs_f64() - version.as_secs_f64();
        println!(
            "\n{}: request at the server {:+.1} ms after `runnel --version`'s whole run (goal for runnel: ≤ +10 ms)",
            client.label,
            above * 1000.0
        );
    }
}

/// `deltas` deltas of `protocol`, written 64 KiB at a time.
fn stream_reply(protocol: Protocol, deltas: usize) -> Reply {
    Reply::sse(protocol.stream(deltas))
        .chunking(Chunking::Fixed(64 * 1024))
        .framing(Framing::ContentLength)
}

fn per_delta(server: &FakeServer, options: &Options, protocol: Protocol) {
    let url = server.url();
    let clients = readers(options, protocol, &url);
    let reply = stream_reply(protocol, options.deltas);
    let text = protocol.text(options.deltas);
    for client in clients.iter().filter(|c| c.label.starts_with("runnel")) {
        check_output(server, client, &reply, &text);
    }
    let samples = rounds(server, &clients, Some(&reply), options.runs);
    println!(
        "\n## Per delta: {} stream, {} deltas ({} MB), {} rounds\n",
        protocol.name(),
        options.deltas,
        reply.body.len() / 1_000_000,
        options.runs
    );
    let medians: Vec<Duration> = samples.iter().map(|s| median(walls(s))).collect();
    let of = |label: &str| clients.iter().position(|c| c.label == label).map(|i| medians[i]);
    let ratio = |a: Duration, b: Option<Duration>| {
        b.map_or("–".to_owned(), |b| {
            format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64())
        })
    };
    println!("| client | wall, median (min–max) | µs per delta | ÷ curl | ÷ genai | ÷ runnel before |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (client, samples) in clients.iter().zip(&samples) {
        let wall = median(walls(samples));
        println!(
            "| {} | {} ({}) | {:.2} | {} | {} | {} |",
            client.label,
            ms(wall),
            spread(&walls(samples)),
            wall.as_secs_f64() * 1e6 / options.deltas as f64,
            ratio(wall, of("curl")),
            ratio(wall, of("genai")),
            ratio(wall, of("runnel chat, before")),
        );
    }
}

fn main() {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("cli-bench: {message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let server = runtime.block_on(FakeServer::start());
    if let Some(protocol) = options.serve {
        server.route(protocol.path(), stream_reply(protocol, options.deltas));
        println!("{}", server.url());
        loop {
            std::thread::park();
        }
    }
    startup(&server, &options);
    per_delta(&server, &options, Protocol::OpenAi);
    per_delta(&server, &options, Protocol::Anthropic);
}
