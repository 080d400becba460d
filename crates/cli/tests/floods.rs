//! Floods of events that carry no text, read slowly: `runnel chat --events` or `--raw` with its
//! stdout read a little at a time, against a fake server sending an endless stream of usage
//! reports. The CLI must read the socket only as fast as its stdout is read (so the server soon
//! cannot write more), and its memory must stay under 256 MiB and flat.

mod common;

use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::runnel;
use runnel_testkit::{End, FakeServer, Reply};

const KEY: &str = "sk-flood-test-key-0001";

/// One text delta, then usage reports for ever.
fn openai_flood() -> Reply {
    let text = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Before\"}}]}\n\n";
    let usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n";
    Reply::sse(text).end(End::Endless(usage.repeat(100).into_bytes()))
}

/// A message start, then usage deltas and pings for ever.
fn anthropic_flood() -> Reply {
    let start =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\"}}\n\n";
    let usage = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"output_tokens\":5}}\n\n\
                 event: ping\ndata: {\"type\":\"ping\"}\n\n";
    Reply::sse(start).end(End::Endless(usage.repeat(50).into_bytes()))
}

/// Resident memory of process `pid`, in bytes (Linux).
fn resident_bytes(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<usize>().ok()? * 1024)
}

/// Samples `pid`'s memory every 20 ms while it lives; returns the peak seen.
fn sample_peak(pid: u32) -> (Arc<AtomicUsize>, std::thread::JoinHandle<()>) {
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let peak = peak.clone();
        std::thread::spawn(move || {
            while let Some(bytes) = resident_bytes(pid) {
                peak.fetch_max(bytes, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    (peak, sampler)
}

/// Reads `child`'s stdout slowly (4 KiB every 20 ms) until `pause` is set; then reads nothing.
fn slow_reader(child: &mut Child, pause: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    let mut stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        let mut total = 0;
        while !pause.load(Ordering::Relaxed) {
            match stdout.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Hold the pipe open, unread, until the test ends.
        std::thread::sleep(Duration::from_secs(30));
        drop(stdout);
        total
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_without_text_read_slowly_is_read_off_the_socket_only_as_fast_and_memory_stays_flat() {
    let cases = [
        ("openai", "--events", openai_flood()),
        ("openai", "--raw", openai_flood()),
        ("anthropic", "--events", anthropic_flood()),
        ("anthropic", "--raw", anthropic_flood()),
    ];
    for (provider, format, reply) in cases {
        let case = format!("{provider} {format}");
        let server = FakeServer::start().await;
        server.enqueue(reply);
        let (key_var, url_var, url) = match provider {
            "openai" => ("OPENAI_API_KEY", "OPENAI_BASE_URL", format!("{}/v1", server.url())),
            _ => ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", server.url()),
        };
        let mut child = runnel("floods")
            .env(key_var, KEY)
            .env(url_var, url)
            .args(["chat", "-m", provider, format, "hi"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let (peak, sampler) = sample_peak(pid);
        let pause = Arc::new(AtomicBool::new(false));
        let reader = slow_reader(&mut child, pause.clone());

        // Read slowly for 3 s: the socket is read about as fast as stdout.
        tokio::time::sleep(Duration::from_secs(3)).await;
        pause.store(true, Ordering::Relaxed);
        let connection = server.connection(0);
        let written = connection
            .wait_stalled(Duration::from_millis(500), Duration::from_secs(20))
            .await
            .unwrap_or_else(|| panic!("{case}: the server was still writing after 20 s"));
        let before = resident_bytes(pid).unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = resident_bytes(pid).unwrap();
        assert_eq!(
            connection.bytes_written(),
            written,
            "{case}: nothing more was read while stdout was not"
        );
        assert!(
            written < 64 << 20,
            "{case}: {written} bytes read ahead of a slow stdout"
        );
        assert!(
            after <= before + (4 << 20),
            "{case}: memory grew from {} to {} MiB while nothing was read",
            before >> 20,
            after >> 20
        );

        child.kill().unwrap();
        child.wait().unwrap();
        sampler.join().unwrap();
        let peak = peak.load(Ordering::Relaxed);
        assert!(peak < 256 << 20, "{case}: peak memory {} MiB", peak >> 20);
        drop(reader); // it holds the pipe a while longer; the child is gone already
    }
}
