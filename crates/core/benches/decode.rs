//! Runnel's decoding and streaming benchmarks, each figure beside a baseline measured in the same
//! run (mostly `eventsource-stream` 0.2.3, the decoder Runnel replaced).
//!
//! `cargo bench -p runnel-core --bench decode [FILTER]` runs the benchmarks whose name contains
//! FILTER (`openai`, `anthropic/1-byte`, `stop`, …); `RUNNEL_BENCH_QUICK=1` shrinks every size
//! for a smoke run of a few seconds. Each figure is the median of several repetitions.
//! docs/PERFORMANCE.md records a run and what it means.

use std::convert::Infallible;
use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use runnel_core::body::{self, BodyDecoder, Part};
use runnel_core::provider::protocol;
use runnel_core::sse::SseDecoder;
use runnel_core::{ChatRequest, Endpoint, Engine, Limits, Message, StreamEvent, StreamOptions, Timeouts};
use runnel_testkit::{
    Chunking, End, FakeServer, Reply, anthropic_stream, gemini_stream, long_line_event, openai_stream, responses_stream,
};
use tokio::runtime::Runtime;

/// Target: OpenAI deltas decoded per second, whole body in one chunk, one core.
const TARGET_DELTAS_PER_SEC: f64 = 1_000_000.0;
/// Target: time to frame the 8 MiB line fed in 1,024 chunks.
const TARGET_LONG_LINE: Duration = Duration::from_millis(100);
/// A baseline predicted to take longer than this is measured on a smaller input and extrapolated.
const BASELINE_BUDGET: Duration = Duration::from_secs(20);
/// Target: a stopped stream's connection seen closed by the server (the README's promise), in
/// every run.
const TARGET_STOP: Duration = Duration::from_millis(50);
/// How long a stopped connection may take to be seen closed before the run counts as failed.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    let config = Config::from_env();
    let started = Instant::now();
    print_machine(&config);
    let mut report = Report::new();
    let blocking = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("current-thread runtime");
    for wire in [Wire::OpenAi, Wire::Anthropic, Wire::Responses, Wire::Gemini] {
        for case in decode_cases(&config) {
            let name = format!("{}/{}", wire.id(), case.name);
            if config.wants(&name) {
                decode(&config, &blocking, wire, &case, &name, &mut report);
            }
        }
    }
    if config.wants("long-line") {
        long_line(&config, &blocking, &mut report);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("multi-thread runtime");
    runtime.block_on(async {
        let engine = Engine::new(Timeouts::default()).expect("an HTTP client");
        for case in [StopCase::Streaming, StopCase::Silent] {
            if config.wants(case.name()) {
                stop_latency(&config, &engine, case, &mut report).await;
            }
        }
        if config.wants("e2e") {
            end_to_end(&config, &engine, &mut report).await;
        }
        for (name, chunking) in [
            ("e2e/record-whole-body", Chunking::Whole),
            ("e2e/record-512B-writes", Chunking::Fixed(512)),
        ] {
            if config.wants(name) {
                recording_cost(&config, &engine, name, chunking, &mut report).await;
            }
        }
    });
    robustness(&config);
    report.finish();
    println!("\ntotal {}", show_time(started.elapsed()));
}

/// The command line and environment: a name filter and the quick switch.
struct Config {
    filter: Option<String>,
    quick: bool,
}

impl Config {
    fn from_env() -> Self {
        // Cargo passes `--bench`; flags are ignored and the first other argument is the filter.
        let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
        let quick = std::env::var("RUNNEL_BENCH_QUICK").is_ok_and(|value| value == "1");
        Self { filter, quick }
    }

    fn wants(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|filter| name.contains(filter))
    }

    /// `full`, or `quick` in a quick run.
    fn size(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }

    fn reps(&self) -> usize {
        self.size(11, 3)
    }
}

fn print_machine(config: &Config) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| {
            line.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let rustc = std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map_or_else(|| "rustc: unknown".into(), |version| version.trim().to_owned());
    println!("machine: {model}, {cores} cores (nproc)");
    println!("{rustc}");
    println!(
        "mode: {}; every figure is the median of its repetitions; ratio = ours / baseline",
        if config.quick {
            "quick (RUNNEL_BENCH_QUICK=1, small inputs)"
        } else {
            "full"
        }
    );
}

/// Wall times of repeated runs.
struct Samples(Vec<Duration>);

impl Samples {
    /// Runs `setup` then times `run` on its output, `reps` times; every run must yield `expect`.
    fn measure<S, T: PartialEq + std::fmt::Debug>(
        reps: usize,
        expect: T,
        mut setup: impl FnMut() -> S,
        mut run: impl FnMut(S) -> T,
    ) -> Self {
        let times = (0..reps)
            .map(|_| {
                let input = setup();
                let start = Instant::now();
                let output = black_box(run(input));
                let time = start.elapsed();
                assert_eq!(output, expect, "the benchmark's result is wrong");
                time
            })
            .collect();
        Self(times)
    }

    fn median(&self) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted[sorted.len() / 2]
    }

    fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    /// `items` per second at the median time.
    fn rate(&self, items: usize) -> f64 {
        items as f64 / self.median().as_secs_f64()
    }
}

/// Whether a higher or a lower figure is better.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
}

/// The results table, printed row by row as benchmarks finish, then its footnotes and targets.
struct Report {
    notes: Vec<String>,
    targets: Vec<String>,
}

impl Report {
    fn new() -> Self {
        println!(
            "\n{:<36} {:>26} {:>26} {:>10}  {:<7} note",
            "benchmark", "ours", "baseline", "ours/base", "better"
        );
        Self {
            notes: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// Prints one row; `note`, if any, is printed under the table and referenced from the row.
    fn row(&mut self, name: &str, ours: &str, baseline: &str, ratio: f64, better: Better, note: Option<String>) {
        let better = match better {
            Better::Higher => "higher",
            Better::Lower => "lower",
        };
        let marker = note.map_or_else(String::new, |note| {
            self.notes.push(note);
            format!("[{}]", self.notes.len())
        });
        println!(
            "{name:<36} {ours:>26} {baseline:>26} {:>9}×  {better:<7} {marker}",
            show_ratio(ratio)
        );
    }

    fn target(&mut self, what: &str, figure: String, pass: bool) {
        self.targets
            .push(format!("{} {what}: {figure}", if pass { "PASS" } else { "FAIL" }));
    }

    fn finish(&self) {
        if !self.notes.is_empty() {
            println!("\nnotes:");
        }
        for (i, note) in self.notes.iter().enumerate() {
            println!("  [{}] {note}", i + 1);
        }
        if !self.targets.is_empty() {
            println!("\ntargets:");
        }
        for target in &self.targets {
            println!("  {target}");
        }
    }
}

/// A ratio with three significant digits (`51.3`, `1.83`, `0.000702`).
fn show_ratio(ratio: f64) -> String {
    let decimals = (2 - ratio.log10().floor() as i32).max(0) as usize;
    format!("{ratio:.decimals$}")
}

fn show_rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2} M", per_sec / 1e6)
    } else {
        format!("{:.1} k", per_sec / 1e3)
    }
}

fn show_time(time: Duration) -> String {
    let secs = time.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.1} ms", secs * 1e3)
    } else {
        format!("{:.0} µs", secs * 1e6)
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

// ---- 1, 2: deltas decoded per second ------------------------------------------------------------

/// A provider's stream shape.
#[derive(Clone, Copy)]
enum Wire {
    OpenAi,
    Anthropic,
    Responses,
    Gemini,
}

impl Wire {
    fn id(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Responses => "openai-responses",
            Self::Gemini => "gemini",
        }
    }

    fn body(self, deltas: usize) -> Vec<u8> {
        match self {
            Self::OpenAi => openai_stream(deltas),
            Self::Anthropic => anthropic_stream(deltas),
            Self::Responses => responses_stream(deltas),
            Self::Gemini => gemini_stream(deltas),
        }
    }

    /// The plain way: parses an event's data as a `serde_json::Value` and picks out the delta's
    /// text; true when it carried some.
    fn baseline_delta(self, data: &str) -> bool {
        if data == "[DONE]" {
            return false;
        }
        let value: serde_json::Value = serde_json::from_str(data).expect("every event is JSON");
        let text = match self {
            Self::OpenAi => &value["choices"][0]["delta"]["content"],
            Self::Anthropic => &value["delta"]["text"],
            Self::Responses => &value["delta"],
            Self::Gemini => &value["candidates"][0]["content"]["parts"][0]["text"],
        };
        text.as_str().is_some_and(|text| !black_box(text).is_empty())
    }
}

/// One chunking, with the stream sizes ours and the baseline decode under it.
struct DecodeCase {
    name: &'static str,
    /// Bytes per chunk; `None` for the whole body in one chunk.
    chunk: Option<usize>,
    ours_deltas: usize,
    baseline_deltas: usize,
}

fn decode_cases(config: &Config) -> [DecodeCase; 3] {
    [
        DecodeCase {
            name: "whole-body",
            chunk: None,
            ours_deltas: config.size(100_000, 10_000),
            baseline_deltas: config.size(5_000, 1_000),
        },
        DecodeCase {
            name: "1-byte",
            chunk: Some(1),
            ours_deltas: config.size(20_000, 2_000),
            baseline_deltas: config.size(2_000, 200),
        },
        DecodeCase {
            name: "4KiB",
            chunk: Some(4096),
            ours_deltas: config.size(100_000, 10_000),
            baseline_deltas: config.size(100_000, 10_000),
        },
    ]
}

fn decode(config: &Config, blocking: &Runtime, wire: Wire, case: &DecodeCase, name: &str, report: &mut Report) {
    let ours_body = wire.body(case.ours_deltas);
    let ours_chunk = case.chunk.unwrap_or(ours_body.len());
    let ours = Samples::measure(
        config.reps(),
        case.ours_deltas,
        || (),
        |()| ours_deltas(wire, &ours_body, ours_chunk),
    );
    drop(ours_body);

    let baseline_body = Bytes::from(wire.body(case.baseline_deltas));
    let baseline_chunk = case.chunk.unwrap_or(baseline_body.len());
    let baseline = Samples::measure(
        config.reps(),
        case.baseline_deltas,
        || split(&baseline_body, baseline_chunk),
        |chunks| baseline_deltas(blocking, wire, chunks),
    );

    let (ours_rate, baseline_rate) = (ours.rate(case.ours_deltas), baseline.rate(case.baseline_deltas));
    let note = (case.baseline_deltas != case.ours_deltas).then(|| {
        let why = match case.chunk {
            None => "its cost per event grows with the chunk size, so on the larger body it would be slower still",
            Some(_) => "it re-parses the line in progress on every chunk",
        };
        format!(
            "{name}: ours on {} deltas, eventsource-stream on {} ({why}); the ratio compares those rates",
            thousands(case.ours_deltas),
            thousands(case.baseline_deltas),
        )
    });
    let (ours_cell, baseline_cell) = (
        format!("{} deltas/s", show_rate(ours_rate)),
        format!("{} deltas/s", show_rate(baseline_rate)),
    );
    report.row(
        name,
        &ours_cell,
        &baseline_cell,
        ours_rate / baseline_rate,
        Better::Higher,
        note,
    );
    if matches!(wire, Wire::OpenAi) && case.chunk.is_none() {
        let figure = format!(
            "{} deltas/s ({} deltas)",
            show_rate(ours_rate),
            thousands(case.ours_deltas)
        );
        report.target(
            "≥ 1,000,000 OpenAI deltas/s, whole body, one core",
            figure,
            ours_rate >= TARGET_DELTAS_PER_SEC,
        );
    }
}

/// `body` cut into `Bytes` chunks of `size` (the last may be shorter), sharing one buffer.
fn split(body: &Bytes, size: usize) -> Vec<Bytes> {
    (0..body.len())
        .step_by(size)
        .map(|start| body.slice(start..body.len().min(start + size)))
        .collect()
}

/// Ours: the engine's body decoder (SSE framing and the protocol decoder), counting text deltas.
fn ours_deltas(wire: Wire, body: &[u8], chunk: usize) -> usize {
    let protocol = protocol(wire.id()).expect("a registered protocol");
    let mut decoder = BodyDecoder::new(protocol, Limits::default().event_bytes);
    let mut deltas = 0;
    for piece in body.chunks(chunk) {
        // As the engine does: each event is decoded as soon as it is framed.
        let _ = decoder.feed(piece, |part| {
            if let Part::Event(decoded) = part {
                for event in decoded.events.drain(..) {
                    if let StreamEvent::TextDelta { text } = event {
                        black_box(text);
                        deltas += 1;
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        });
    }
    let end = decoder.finish(|_| {});
    assert!(matches!(end, body::End::Complete(_)), "a well-formed stream: {end:?}");
    deltas
}

/// The baseline: a stream of `Bytes` → `.eventsource()` → `serde_json::Value`, counting text deltas.
fn baseline_deltas(blocking: &Runtime, wire: Wire, chunks: Vec<Bytes>) -> usize {
    blocking.block_on(async {
        let mut events = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>)).eventsource();
        let mut deltas = 0;
        while let Some(event) = events.next().await {
            deltas += usize::from(wire.baseline_delta(&event.expect("valid UTF-8").data));
        }
        deltas
    })
}

// ---- 3: one long line in many chunks ------------------------------------------------------------

fn long_line(config: &Config, blocking: &Runtime, report: &mut Report) {
    let (bytes, chunks) = (config.size(8 << 20, 1 << 20), config.size(1024, 128));
    let line = long_line_event(bytes);
    let ours = Samples::measure(config.reps(), bytes, || (), |()| ours_long_line(&line, chunks));

    // eventsource-stream is quadratic here: a probe at 1/8 of the size and of the chunk count
    // predicts the full run (×64) and decides whether it fits the budget.
    let (probe_bytes, probe_chunks) = (bytes / 8, chunks / 8);
    let probe_line = Bytes::from(long_line_event(probe_bytes));
    let probe = Samples::measure(
        1,
        probe_bytes,
        || split(&probe_line, probe_line.len().div_ceil(probe_chunks)),
        |pieces| baseline_long_line(blocking, pieces),
    );
    let predicted = probe.median() * 64;
    let label = format!("{} MiB line / {} chunks", bytes >> 20, thousands(chunks));
    let (baseline_time, baseline_cell, note) = if predicted <= BASELINE_BUDGET {
        // Each run takes seconds: fewer repetitions than elsewhere.
        let reps = if predicted > Duration::from_secs(8) {
            1
        } else {
            config.reps().min(3)
        };
        let line = Bytes::from(line);
        let baseline = Samples::measure(
            reps,
            bytes,
            || split(&line, line.len().div_ceil(chunks)),
            |pieces| baseline_long_line(blocking, pieces),
        );
        let note = format!("{label}: eventsource-stream is the median of {reps} run(s)");
        (baseline.median(), show_time(baseline.median()), note)
    } else {
        let note = format!(
            "{label}: eventsource-stream measured at {} KiB / {} chunks ({}) and extrapolated ×64 (it is quadratic)",
            probe_bytes >> 10,
            probe_chunks,
            show_time(probe.median()),
        );
        (predicted, format!("~{}", show_time(predicted)), note)
    };
    let ours_time = ours.median();
    let ratio = ratio(ours_time, baseline_time);
    report.row(
        &format!("long-line ({label})"),
        &show_time(ours_time),
        &baseline_cell,
        ratio,
        Better::Lower,
        Some(note),
    );
    if !config.quick {
        report.target(
            "8 MiB line in 1,024 chunks < 100 ms",
            show_time(ours_time),
            ours_time < TARGET_LONG_LINE,
        );
    }
}

fn ratio(ours: Duration, baseline: Duration) -> f64 {
    ours.as_secs_f64() / baseline.as_secs_f64()
}

/// Ours: frames the one event, returning its data length.
fn ours_long_line(line: &[u8], chunks: usize) -> usize {
    let mut sse = SseDecoder::new();
    let mut frames = Vec::new();
    for piece in line.chunks(line.len().div_ceil(chunks)) {
        sse.feed(piece, &mut frames).expect("8 MiB is within the event limit");
    }
    frames.iter().map(|frame| frame.data.len()).sum()
}

/// The baseline: frames the one event, returning its data length.
fn baseline_long_line(blocking: &Runtime, pieces: Vec<Bytes>) -> usize {
    blocking.block_on(async {
        let events = futures_util::stream::iter(pieces.into_iter().map(Ok::<_, Infallible>)).eventsource();
        events
            .map(|event| event.expect("valid UTF-8").data.len())
            .fold(0, |sum, len| async move { sum + len })
            .await
    })
}

// ---- 4: stop latency ----------------------------------------------------------------------------

/// What the server does while the client stops.
#[derive(Clone, Copy)]
enum StopCase {
    /// Streams 200-byte chunks every 5 ms.
    Streaming,
    /// Sends a few events, then stays silent with the connection open.
    Silent,
}

impl StopCase {
    fn name(self) -> &'static str {
        match self {
            Self::Streaming => "stop/streaming",
            Self::Silent => "stop/silent",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Streaming => "the server writes 200-byte chunks every 5 ms",
            Self::Silent => "the server sends 4 events, then stays silent with the connection open",
        }
    }

    fn reply(self) -> Reply {
        match self {
            Self::Streaming => Reply::sse(openai_stream(10_000))
                .chunking(Chunking::Fixed(200))
                .delay(Duration::from_millis(5)),
            Self::Silent => Reply::sse(first_events(&openai_stream(100), 4)).end(End::Hang),
        }
    }
}

/// The first `count` events of an SSE body.
fn first_events(body: &[u8], count: usize) -> Vec<u8> {
    let end = body
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair == b"\n\n")
        .nth(count - 1)
        .expect("enough events")
        .0;
    body[..end + 2].to_vec()
}

/// An OpenAI endpoint at `server` (no key) and a one-message request to it.
fn openai_at(server: &FakeServer) -> (Endpoint, ChatRequest) {
    let endpoint = Endpoint::new(
        "openai",
        protocol("openai").expect("registered"),
        &format!("{}/v1", server.url()),
        None,
    );
    (endpoint, ChatRequest::new("bench", vec![Message::user("hello")]))
}

/// From `stop()` to the server seeing the connection closed, after the first text delta.
async fn stop_latency(config: &Config, engine: &Engine, case: StopCase, report: &mut Report) {
    let runs = config.size(20, 5);
    let server = FakeServer::start().await;
    server.route("/v1/chat/completions", case.reply());
    let (endpoint, request) = openai_at(&server);
    let mut times = Vec::new();
    for run in 0..runs {
        let mut stream = engine.stream(&endpoint, &request, StreamOptions::default());
        loop {
            match stream.next().await {
                Some(StreamEvent::TextDelta { .. }) => break,
                Some(event) if event.is_ending() => panic!("{}: the stream ended early: {event:?}", case.name()),
                Some(_) => {}
                None => panic!("{}: the stream ended early", case.name()),
            }
        }
        let connection = server.connection(run);
        let stopped = Instant::now();
        stream.stop_handle().stop();
        let closed = connection
            .wait_closed_by_client(CLOSE_TIMEOUT)
            .await
            .expect("the server sees the close");
        times.push(closed.saturating_duration_since(stopped));
    }
    let ours = Samples(times);
    let floor = tcp_close_floor(runs).await;
    let note = format!(
        "{}: {}; stop() after the first text delta until the server sees the close, median (max) of {runs} runs; \
         baseline = a plain TCP connection to a fake server, from the client's close to the server seeing it",
        case.name(),
        case.describe(),
    );
    report.row(
        case.name(),
        &format!("{} (max {})", show_time(ours.median()), show_time(ours.max())),
        &format!("{} (max {})", show_time(floor.median()), show_time(floor.max())),
        ratio(ours.median(), floor.median()),
        Better::Lower,
        Some(note),
    );
    report.target(
        &format!("Stop closes the connection within 50 ms, every run ({})", case.name()),
        format!("max {}", show_time(ours.max())),
        ours.max() <= TARGET_STOP,
    );
}

/// The baseline: a plain TCP connection to a fake server, closed by the client; the time from
/// the close to the server seeing it.
async fn tcp_close_floor(runs: usize) -> Samples {
    let server = FakeServer::start().await;
    let mut times = Vec::new();
    for run in 0..runs {
        let socket = tokio::net::TcpStream::connect(server.addr())
            .await
            .expect("connect to the fake server");
        let connection = server.wait_connection(run, CLOSE_TIMEOUT).await;
        // Let the server settle into reading the request, as it is when a stream is stopped.
        tokio::time::sleep(Duration::from_millis(2)).await;
        let closing = Instant::now();
        drop(socket);
        let closed = connection
            .wait_closed_by_client(CLOSE_TIMEOUT)
            .await
            .expect("the server sees the close");
        times.push(closed.saturating_duration_since(closing));
    }
    Samples(times)
}

// ---- 5: end to end over loopback ----------------------------------------------------------------

/// A whole OpenAI stream through the engine, against reading the same body raw with reqwest.
async fn end_to_end(config: &Config, engine: &Engine, report: &mut Report) {
    let deltas = config.size(100_000, 10_000);
    let body = openai_stream(deltas);
    let body_len = body.len();
    let server = FakeServer::start().await;
    server.route("/v1/chat/completions", Reply::sse(body));
    let (endpoint, request) = openai_at(&server);
    let base = endpoint.base_url.clone();

    let mut ours = Vec::new();
    for _ in 0..config.reps() {
        ours.push(
            engine_stream(engine, &endpoint, &request, StreamOptions::default(), deltas)
                .await
                .0,
        );
    }

    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("an HTTP client");
    let mut raw = Vec::new();
    for _ in 0..config.reps() {
        let start = Instant::now();
        let response = client
            .post(format!("{base}/chat/completions"))
            .body("{}")
            .send()
            .await
            .expect("a response");
        let mut chunks = response.bytes_stream();
        let mut read = 0;
        while let Some(chunk) = chunks.next().await {
            read += chunk.expect("a body chunk").len();
        }
        raw.push(start.elapsed());
        assert_eq!(read, body_len, "e2e: the whole body arrives");
    }

    let (ours, raw) = (Samples(ours), Samples(raw));
    let (ours_rate, raw_rate) = (ours.rate(deltas), raw.rate(deltas));
    let note = format!(
        "e2e: {} deltas ({} MB) served whole over loopback, from engine.stream() to Finish; baseline = the same \
         body read raw with reqwest `bytes_stream()`, counted as the deltas it holds",
        thousands(deltas),
        body_len / 1_000_000,
    );
    report.row(
        "e2e/engine-openai",
        &format!("{} deltas/s ({})", show_rate(ours_rate), show_time(ours.median())),
        &format!("{} deltas/s ({})", show_rate(raw_rate), show_time(raw.median())),
        ours_rate / raw_rate,
        Better::Higher,
        Some(note),
    );
}

/// One whole OpenAI stream of `deltas` deltas through the engine, from `engine.stream()` to
/// `Finish`; every delta must arrive, and a recorded stream must hand over its recording. Returns
/// the time and, when recorded, how many reads the recording holds.
async fn engine_stream(
    engine: &Engine,
    endpoint: &Endpoint,
    request: &ChatRequest,
    options: StreamOptions,
    deltas: usize,
) -> (Duration, Option<usize>) {
    let start = Instant::now();
    let mut stream = engine.stream(endpoint, request, options);
    let mut seen = 0;
    while let Some(event) = stream.next().await {
        match event {
            StreamEvent::TextDelta { text } => {
                black_box(text);
                seen += 1;
            }
            StreamEvent::Finish { .. } => break,
            event if event.is_ending() => panic!("e2e: the stream failed: {event:?}"),
            _ => {}
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(seen, deltas, "e2e: every delta arrives");
    let reads = stream
        .completion()
        .recording
        .as_ref()
        .map(|recording| recording.chunks.len());
    assert_eq!(reads.is_some(), options.record, "a recording exactly when asked for");
    (elapsed, reads)
}

// ---- 6: what recording a stream costs ------------------------------------------------------------

/// The end-to-end stream with and without [`StreamOptions::record`], interleaved.
async fn recording_cost(config: &Config, engine: &Engine, name: &str, chunking: Chunking, report: &mut Report) {
    let deltas = config.size(100_000, 10_000);
    let body = openai_stream(deltas);
    let body_len = body.len();
    let server = FakeServer::start().await;
    server.route("/v1/chat/completions", Reply::sse(body).chunking(chunking));
    let (endpoint, request) = openai_at(&server);
    let (mut off, mut on, mut reads, mut pairs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rep in 0..config.size(31, 7) {
        // Interleaved, alternating which goes first, so that drift on a shared machine hits both.
        let order = if rep % 2 == 0 { [false, true] } else { [true, false] };
        for record in order {
            let options = StreamOptions {
                record,
                ..StreamOptions::default()
            };
            let (time, recorded) = engine_stream(engine, &endpoint, &request, options, deltas).await;
            if record { &mut on } else { &mut off }.push(time);
            reads.extend(recorded);
        }
        pairs.push(off[rep].as_secs_f64() / on[rep].as_secs_f64());
    }
    let (on, off) = (Samples(on), Samples(off));
    reads.sort_unstable();
    pairs.sort_by(f64::total_cmp);
    // The median of each back-to-back pair's ratio: drift on a shared machine cancels within a pair.
    let ratio = pairs[pairs.len() / 2];
    let median_reads = reads[reads.len() / 2];
    let own = recorder_work(&body_bytes(deltas), median_reads, config.reps());
    let note = format!(
        "{name}: {} deltas ({} MB) over loopback, engine.stream() to Finish, recorded (ours) and not \
         (baseline), {} runs each, interleaved; ratio = the median of the {} back-to-back pairs' ratios. \
         The recordings held a median of {} reads; copying that many reads of the body and keeping \
         them (what the recorder does) takes {} alone, {:.1} % of the unrecorded run",
        thousands(deltas),
        body_len / 1_000_000,
        on.0.len(),
        pairs.len(),
        thousands(median_reads),
        show_time(own),
        own.as_secs_f64() / off.median().as_secs_f64() * 100.0,
    );
    report.row(
        name,
        &format!("{} deltas/s ({})", show_rate(on.rate(deltas)), show_time(on.median())),
        &format!("{} deltas/s ({})", show_rate(off.rate(deltas)), show_time(off.median())),
        ratio,
        Better::Higher,
        Some(note),
    );
    report.target(
        &format!("recording costs ≤ 5 % of throughput ({name})"),
        format!("{:+.1} %", (ratio - 1.0) * 100.0),
        ratio >= 0.95,
    );
}

/// The OpenAI body of `deltas` deltas the recording benchmark streams.
fn body_bytes(deltas: usize) -> Bytes {
    Bytes::from(openai_stream(deltas))
}

/// The recorder's own work on `body` read in `reads` equal reads: a copy of each read into
/// 256 KiB blocks, kept with its time (the median of `reps` runs).
fn recorder_work(body: &Bytes, reads: usize, reps: usize) -> Duration {
    let size = body.len().div_ceil(reads.max(1));
    let samples = Samples::measure(
        reps,
        body.len(),
        || (),
        |()| {
            let mut block = BytesMut::new();
            let kept: Vec<(f64, Bytes)> = body
                .chunks(size)
                .enumerate()
                .map(|(index, read)| (index as f64, copy_into_blocks(&mut block, read)))
                .collect();
            kept.iter().map(|(_, bytes)| bytes.len()).sum::<usize>()
        },
    );
    samples.median()
}

/// Copies `read` into `block` (a new 256 KiB one when it has no room) and returns the copy.
fn copy_into_blocks(block: &mut BytesMut, read: &[u8]) -> Bytes {
    if block.capacity() < read.len() {
        *block = BytesMut::with_capacity((256 << 10).max(read.len()));
    }
    block.extend_from_slice(read);
    block.split().freeze()
}

// ---- robustness: what eventsource-stream does with a BOM and with invalid UTF-8 -----------------

fn robustness(config: &Config) {
    let checks: [(&str, &[u8], &str); 2] = [
        ("robustness/bom", "\u{FEFF}data: x\n\n".as_bytes(), "x"),
        ("robustness/invalid-utf8", b"data: a\xFFb\n\ndata: next\n\n", "next"),
    ];
    let checks: Vec<_> = checks.into_iter().filter(|(name, _, _)| config.wants(name)).collect();
    if checks.is_empty() {
        return;
    }
    println!(
        "\n{:<36} {:>26} {:>26}",
        "robustness (one chunk)", "ours", "eventsource-stream"
    );
    for (name, body, last) in checks {
        let mut sse = SseDecoder::new();
        let mut frames = Vec::new();
        sse.feed(body, &mut frames).expect("a small body");
        let ours: Vec<String> = frames.into_iter().map(|frame| frame.data).collect();
        println!(
            "{name:<36} {:>26} {:>26}",
            verdict(Ok(ours), last),
            verdict(baseline_events(body), last)
        );
    }
}

/// Every event eventsource-stream yields for `body` (stopping at its first error), or the
/// panic it raised.
fn baseline_events(body: &[u8]) -> Result<Vec<String>, ()> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let body = Bytes::copy_from_slice(body);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let blocking = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("current-thread runtime");
        blocking.block_on(async {
            let events = futures_util::stream::iter([Ok::<_, Infallible>(body)]).eventsource();
            events
                .take_while(|event| std::future::ready(event.is_ok()))
                .map(|event| event.unwrap().data)
                .collect()
                .await
        })
    }));
    std::panic::set_hook(hook);
    result.map_err(drop)
}

fn verdict(events: Result<Vec<String>, ()>, last: &str) -> String {
    match events {
        Err(()) => "panics".into(),
        Ok(events) if events.last().is_some_and(|data| data == last) => format!("ok, {} event(s)", events.len()),
        Ok(events) => format!("`{last}` lost, {} event(s)", events.len()),
    }
}
