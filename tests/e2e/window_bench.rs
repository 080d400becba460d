//! The window benchmark (docs/PERFORMANCE.md, "The window"): how soon a streamed word is painted
//! in the real app window, against a paced OpenAI-compatible server on loopback.
//!
//! Every 25th delta carries a marker (`mk00042`). The server notes the wall-clock time it flushed
//! each marker; the page (a `MutationObserver` installed through WebDriver) notes when the marker
//! reached the DOM and the next animation frame after that. Both clocks are this machine's wall
//! clock (`performance.timeOrigin + performance.now()` on the page). Three runs:
//! - **floor**: the same stream through the same commands and `Channel`, painted by a bare page
//!   that appends each text message to a `<div>` (the cost of IPC and WebKit alone);
//! - **paced**: the real page, a Markdown answer of `DELTAS` deltas at `RATE` deltas/s;
//! - **burst**: `BURST` deltas written at once; the time from the server's last byte to the last
//!   marker painted.
//!
//! A measurement, not a test: `scripts/test` and `scripts/e2e` skip it; `scripts/bench-window`
//! runs it, prints a table and writes `artifacts/e2e/window-bench.json`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::alone;
use crate::app::{App, Launch};
use crate::ui;

/// Deltas of the paced answer (about 100k characters of Markdown).
const DELTAS: usize = 5000;
/// Its pace, deltas per second.
const RATE: f64 = 400.0;
/// Deltas of the burst.
const BURST: usize = 20_000;
/// One marker every this many deltas.
const MARK_EVERY: usize = 25;

/// Milliseconds since the Unix epoch, as the page's `performance.timeOrigin + now()` counts.
fn wall_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

/// The text of delta `n`: Markdown of every common kind (paragraphs, a list, code), a marker in
/// every `MARK_EVERY`th.
fn delta(n: usize) -> String {
    let mut text = match n % 200 {
        0 => "\n\n## Section heading\n\n".to_owned(),
        50 => "\n\n- a list item with `code` and **bold**\n".to_owned(),
        100 => "\n\n```rust\nfn main() { println!(\"hi\"); }\n".to_owned(),
        120 => "\n```\n\n".to_owned(),
        _ => "words of a long answer ".to_owned(),
    };
    if n.is_multiple_of(MARK_EVERY) {
        text.push_str(&format!("mk{:05} ", n / MARK_EVERY));
    }
    text
}

fn chunk(text: &str) -> String {
    let event = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": "bench-model",
        "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }]
    });
    format!("data: {event}\n\n")
}

const DONE: &str = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

/// How the next request is answered.
#[derive(Clone, Copy)]
enum Pace {
    /// `DELTAS` deltas at `RATE` a second.
    Paced,
    /// `BURST` deltas in one write.
    Burst,
}

/// A paced SSE server: answers each chat request with the stream `pace` says, noting when each
/// marker was flushed (wall-clock ms, by marker number) and when the last byte went.
#[derive(Clone)]
struct Server {
    port: u16,
    pace: Arc<Mutex<Pace>>,
    flushed: Arc<Mutex<Vec<(usize, f64)>>>,
    last_byte: Arc<Mutex<f64>>,
}

impl Server {
    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server {
            port: listener.local_addr().unwrap().port(),
            pace: Arc::new(Mutex::new(Pace::Paced)),
            flushed: Arc::default(),
            last_byte: Arc::default(),
        };
        let serving = server.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let serving = serving.clone();
                tokio::spawn(async move { serving.answer(socket).await });
            }
        });
        server
    }

    fn set(&self, pace: Pace) {
        *self.pace.lock().unwrap() = pace;
        self.flushed.lock().unwrap().clear();
        *self.last_byte.lock().unwrap() = 0.0;
    }

    /// Waits (without touching the page) until the answer's last byte is written.
    async fn finished(&self) {
        while *self.last_byte.lock().unwrap() == 0.0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn answer(&self, mut socket: tokio::net::TcpStream) {
        // The request: its head, then as many body bytes as it announces.
        let mut request = Vec::new();
        let mut buffer = [0u8; 16 * 1024];
        let head_end = loop {
            let read = socket.read(&mut buffer).await.unwrap_or(0);
            if read == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..read]);
            if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        while request.len() < head_end + length {
            let read = socket.read(&mut buffer).await.unwrap_or(0);
            if read == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        if head.starts_with("get ") {
            let body = r#"{"object":"list","data":[{"id":"bench-model","object":"model"}]}"#;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
            return;
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let pace = *self.pace.lock().unwrap();
        match pace {
            Pace::Paced => {
                let start = tokio::time::Instant::now();
                for n in 0..DELTAS {
                    tokio::time::sleep_until(start + Duration::from_secs_f64(n as f64 / RATE)).await;
                    if socket.write_all(chunk(&delta(n)).as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = socket.flush().await;
                    if n.is_multiple_of(MARK_EVERY) {
                        self.flushed.lock().unwrap().push((n / MARK_EVERY, wall_ms()));
                    }
                }
            }
            Pace::Burst => {
                let body: String = (0..BURST).map(|n| chunk(&delta(n))).collect();
                if socket.write_all(body.as_bytes()).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                let at = wall_ms();
                let mut flushed = self.flushed.lock().unwrap();
                flushed.extend((0..BURST / MARK_EVERY).map(|marker| (marker, at)));
            }
        }
        let _ = socket.write_all(DONE.as_bytes()).await;
        let _ = socket.flush().await;
        *self.last_byte.lock().unwrap() = wall_ms();
    }

    fn providers_file(&self) -> String {
        json!([{ "id": "bench", "name": "Bench", "base_url": format!("http://127.0.0.1:{}/v1", self.port),
                 "models": ["bench-model"] }])
        .to_string()
    }
}

/// Watches the page for markers: when each reached the DOM and the next frame after that.
const OBSERVE: &str = r#"
const root = arguments[0] ? document.body : document.querySelector('[data-testid=transcript]');
const B = window.__bench = { seen: {}, painted: {}, pending: [], raf: 0 };
const now = () => performance.timeOrigin + performance.now();
const marker = /mk(\d{5})/g;
const note = (text, at) => {
  if (!text) return;
  marker.lastIndex = 0;
  let m;
  while ((m = marker.exec(text))) {
    const k = Number(m[1]);
    if (!(k in B.seen)) { B.seen[k] = at; B.pending.push(k); }
  }
};
B.observer = new MutationObserver((records) => {
  const at = now();
  for (const r of records) {
    if (r.type === 'characterData') note(r.target.data, at);
    else for (const n of r.addedNodes) note(n.textContent, at);
  }
  if (B.pending.length && !B.raf) B.raf = requestAnimationFrame(() => {
    const t = now();
    for (const k of B.pending) B.painted[k] = t;
    B.pending = []; B.raf = 0;
  });
});
B.observer.observe(root, { subtree: true, childList: true, characterData: true });
"#;

/// The floor: the stream through `send_message` and a `Channel`, each text message appended to a
/// bare `<div>` and acknowledged at the next frame, as the real page does.
const FLOOR: &str = r#"
const [done] = arguments;
const T = window.__TAURI_INTERNALS__;
const div = document.createElement('div');
div.style.cssText = 'position:fixed;inset:0;overflow:auto;background:#fff;z-index:99999;white-space:pre-wrap';
document.body.appendChild(div);
let next = 0, streamId = null, painted = 0, acking = 0;
const pending = {};
const apply = (m) => {
  if (m.type === 'text') div.appendChild(document.createTextNode(m.text));
  painted = Math.max(painted, m.seq);
  if (!acking) acking = requestAnimationFrame(() => {
    acking = 0;
    if (streamId !== null) T.invoke('ack_stream', { stream_id: streamId, seq: painted });
  });
  if (m.saved) done(null);
};
const id = T.transformCallback((raw) => {
  if ('end' in raw) return;
  pending[raw.index] = raw.message;
  while (next in pending) { const m = pending[next]; delete pending[next]; next++; apply(m); }
});
T.invoke('create_conversation').then((c) =>
  T.invoke('send_message', { conversation_id: c.id, text: 'go', model: 'bench/bench-model', on_event: `__CHANNEL__:${id}` }))
  .then((turn) => { streamId = turn.stream_id; }, (e) => done(JSON.stringify(e)));
"#;

/// What the page noted, by marker number.
#[derive(Debug, Deserialize)]
struct Seen {
    seen: std::collections::HashMap<usize, f64>,
    painted: std::collections::HashMap<usize, f64>,
}

/// The latencies of one run, by tenth of the answer: DOM and painted frame, in ms.
#[derive(Debug, serde::Serialize)]
struct Run {
    name: &'static str,
    tenths: Vec<Tenth>,
    median_dom_ms: f64,
    median_paint_ms: f64,
}

#[derive(Debug, serde::Serialize)]
struct Tenth {
    p50: f64,
    p95: f64,
    max: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

fn summarize(name: &'static str, flushed: &[(usize, f64)], seen: &Seen) -> Run {
    let markers = flushed.len();
    assert_eq!(seen.painted.len(), markers, "{name}: every marker was painted");
    let latency = |at: &std::collections::HashMap<usize, f64>, range: &[(usize, f64)]| {
        let mut values: Vec<f64> = range.iter().map(|(k, flushed)| at[k] - flushed).collect();
        values.sort_by(f64::total_cmp);
        values
    };
    let tenths = flushed
        .chunks(markers.div_ceil(10))
        .map(|tenth| {
            let values = latency(&seen.painted, tenth);
            Tenth {
                p50: percentile(&values, 0.5),
                p95: percentile(&values, 0.95),
                max: *values.last().unwrap(),
            }
        })
        .collect();
    Run {
        name,
        tenths,
        median_dom_ms: percentile(&latency(&seen.seen, flushed), 0.5),
        median_paint_ms: percentile(&latency(&seen.painted, flushed), 0.5),
    }
}

/// Waits until the server wrote its answer and the page painted `markers` markers, then reads
/// what the page noted.
async fn collected(app: &App, server: &Server, markers: usize) -> Seen {
    server.finished().await;
    let painted = "return Object.keys(window.__bench.painted).length >= arguments[0];";
    app.wd
        .wait(
            "every marker painted",
            Duration::from_secs(180),
            painted,
            vec![json!(markers)],
        )
        .await;
    app.wd
        .read(
            "return { seen: window.__bench.seen, painted: window.__bench.painted };",
            vec![],
        )
        .await
}

fn print(run: &Run) {
    println!(
        "{:<6} median to DOM {:>6.1} ms, to paint {:>6.1} ms",
        run.name, run.median_dom_ms, run.median_paint_ms
    );
    for (n, tenth) in run.tenths.iter().enumerate() {
        println!(
            "       tenth {:>2}: p50 {:>6.1}  p95 {:>6.1}  max {:>6.1} ms",
            n + 1,
            tenth.p50,
            tenth.p95,
            tenth.max
        );
    }
}

#[test]
#[ignore = "a measurement: scripts/bench-window runs it"]
fn window_bench() {
    alone(async || {
        let server = Server::start().await;
        let app = App::launch(Launch {
            name: "window-bench",
            providers: Some(server.providers_file()),
            env: vec![],
        })
        .await;
        let markers = DELTAS.div_ceil(MARK_EVERY);

        // The floor: a bare page over the same road.
        server.set(Pace::Paced);
        app.wd.run::<()>(OBSERVE, vec![json!(true)]).await;
        let error: Option<String> = app.wd.run_async(FLOOR, vec![], Duration::from_secs(120)).await;
        assert_eq!(error, None, "the floor's stream");
        let seen = collected(&app, &server, markers).await;
        let flushed = server.flushed.lock().unwrap().clone();
        let floor = summarize("floor", &flushed, &seen);
        app.wd
            .run::<()>("window.__bench.observer.disconnect(); location.reload();", vec![])
            .await;
        app.wd
            .wait(
                "the page back",
                Duration::from_secs(30),
                &ui::script("return visible('[data-testid=composer]');"),
                vec![],
            )
            .await;

        // The real page.
        server.set(Pace::Paced);
        ui::choose_model(&app.wd, "bench/bench-model").await;
        ui::new_conversation(&app.wd).await;
        app.wd.run::<()>(OBSERVE, vec![json!(false)]).await;
        ui::send(&app.wd, "go").await;
        let seen = collected(&app, &server, markers).await;
        let flushed = server.flushed.lock().unwrap().clone();
        let paced = summarize("paced", &flushed, &seen);
        ui::wait_answer_end(&app.wd).await;

        // A burst.
        server.set(Pace::Burst);
        ui::new_conversation(&app.wd).await;
        app.wd.run::<()>(OBSERVE, vec![json!(false)]).await;
        ui::send(&app.wd, "go").await;
        let seen = collected(&app, &server, BURST / MARK_EVERY).await;
        let last = seen.painted.values().copied().fold(f64::MIN, f64::max);
        let burst_ms = last - *server.last_byte.lock().unwrap();
        ui::wait_answer_end(&app.wd).await;

        print(&floor);
        print(&paced);
        println!("burst  {BURST} deltas: all painted {burst_ms:.0} ms after the server's last byte");
        let report = json!({ "deltas": DELTAS, "rate": RATE, "burst": BURST, "floor": floor, "paced": paced,
                             "burst_ms": burst_ms, "binary": crate::app::app_binary() });
        let path = crate::artifacts().join("window-bench.json");
        std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
        println!("written to {}", path.display());
    });
}
