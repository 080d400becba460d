//! The window benchmark (docs/PERFORMANCE.md, "The window"): how soon a streamed word is painted
//! in the real app window, against a paced OpenAI-compatible server on loopback.
//!
//! Every 25th delta carries a marker (`mk0000042`: the stream's number, then the marker's). The
//! server notes the wall-clock time it flushed each marker; the page (a `MutationObserver`
//! installed through WebDriver) notes when the marker reached the DOM and the next animation
//! frame after that ("painted"). Both clocks are this machine's wall clock
//! (`performance.timeOrigin + performance.now()` on the page). The runs, in one app:
//! - **paced**: the first answer after start-up, a Markdown answer of `DELTAS` deltas at `RATE`
//!   deltas/s (its first marker is in its first delta: the first token after start-up);
//! - **burst**: `BURST` deltas written at once; the time from the server's last byte to the last
//!   marker painted;
//! - **parallel**: the compare view, `COLUMNS` models streaming at once, at each pace of
//!   `PARALLEL` (deltas per second each, deltas each); latency per tenth shows whether a backlog
//!   grows;
//! - **memory**: the resident memory of the app's processes (Rust and WebKit's) after
//!   `MEMORY_FIRST`, half-way, and after `MEMORY_LAST` short answers, each in a new conversation;
//! - **floor**: the paced stream through the same commands and `Channel`, painted by a bare page
//!   that appends each text message to a `<div>` (the cost of IPC and WebKit alone);
//! - **display**: the display's own floor: a bare page in the same window appending the paced
//!   answer's deltas itself at the same rate (no IPC, no server); the paced run's latency per
//!   tenth is reported against it;
//! - **cpu**: a paced answer at each of `CPU_PACES` in the real page, then the same text appended
//!   by a bare page at the same pace, then the same answer over the road (the app's commands and
//!   `Channel`) into the bare page: CPU seconds per streamed second of the app's process and
//!   WebKit's web and network processes (`/proc/PID/stat`), and the `SETTLE` seconds after each;
//! - **idle**: after those answers, `IDLE` with the composer (the bare page's textarea) focused,
//!   then `IDLE` with nothing focused, for both;
//! - **hidden**: the window minimised for `HIDDEN_FOR` while an answer streams: the processes'
//!   CPU then, and the answer complete once the window is back;
//! - **layout**: what WebKit's layout costs for 460 KB of text in each shape the page could give
//!   it (one text, blocks, paragraphs, with and without `content-visibility: auto`).
//!
//! Each run also reads where the page's scripts spent their time (`window.__runnelPerf`:
//! receiving messages, painting frames) and the frame intervals while it ran.
//!
//! A measurement, not a test: `scripts/test` and `scripts/e2e` skip it; `scripts/bench-window`
//! (`--only burst,cpu` for some of the runs: `RUNNEL_WINDOW_BENCH`)
//! runs it, prints a table and writes `artifacts/e2e/window-bench.json`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::alone;
use crate::app::{App, Launch};
use crate::procs::{self, app_tree, web_process};
use crate::ui::{self, UI_TIMEOUT, script};

/// Deltas of the paced answer (about 100k characters of Markdown).
const DELTAS: usize = 5000;
/// Its pace, deltas per second.
const RATE: f64 = 400.0;
/// Deltas of the burst.
const BURST: usize = 20_000;
/// Columns of the parallel runs, and their paces: deltas per second each, deltas each.
const COLUMNS: usize = 4;
const PARALLEL: [(f64, usize); 2] = [(500.0, 5_000), (2000.0, 10_000)];
/// Short answers of the memory run: resident memory is read after the first and the last count.
const MEMORY_FIRST: usize = 20;
const MEMORY_LAST: usize = 200;
/// Deltas of each short answer.
const SHORT: usize = 100;
/// The CPU run's answers: deltas a second, deltas; a token-like pace (60 a second for 30 s), then
/// the paced run's (400 a second).
const CPU_PACES: [(f64, usize); 2] = [(60.0, 1800), (400.0, DELTAS)];
/// The pace of the hidden run's answer.
const CPU_RATE: f64 = 60.0;
/// The hidden run's answer (15 s at the same pace), and how long the window stays minimised.
const HIDDEN_DELTAS: usize = 900;
const HIDDEN_FOR: Duration = Duration::from_secs(10);
/// After an answer: the settling time measured apart, then each idle half (composer focused, not).
const SETTLE: Duration = Duration::from_secs(5);
const IDLE: Duration = Duration::from_secs(10);
/// One marker every this many deltas.
const MARK_EVERY: usize = 25;
/// Marker numbers of stream `s` start at `s * STREAM_MARKERS`.
const STREAM_MARKERS: usize = 100_000;

/// Milliseconds since the Unix epoch, as the page's `performance.timeOrigin + now()` counts.
fn wall_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

/// The text of delta `n` of stream `stream`: Markdown of every common kind (paragraphs, a list,
/// code), a marker in every `MARK_EVERY`th.
fn delta(stream: usize, n: usize) -> String {
    let mut text = match n % 200 {
        0 => "\n\n## Section heading\n\n".to_owned(),
        50 => "\n\n- a list item with `code` and **bold**\n".to_owned(),
        100 => "\n\n```rust\nfn main() { println!(\"hi\"); }\n".to_owned(),
        120 => "\n```\n\n".to_owned(),
        _ => "words of a long answer ".to_owned(),
    };
    if n.is_multiple_of(MARK_EVERY) {
        text.push_str(&format!("mk{:07} ", marker(stream, n)));
    }
    text
}

fn marker(stream: usize, n: usize) -> usize {
    stream * STREAM_MARKERS + n / MARK_EVERY
}

fn chunk(text: &str) -> String {
    let event = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": "bench-model",
        "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }]
    });
    format!("data: {event}\n\n")
}

const DONE: &str = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

/// How the next requests are answered.
#[derive(Clone, Copy)]
enum Pace {
    /// `deltas` deltas at `rate` a second.
    Paced { deltas: usize, rate: f64 },
    /// `deltas` deltas in one write.
    Burst { deltas: usize },
}

/// A paced SSE server: answers each chat request with the stream `pace` says, noting when each
/// marker was flushed (wall-clock ms, by marker number) and when each answer's last byte went.
/// The stream's number is the digit the request's model ends with (`bench-model-2`), else 0.
#[derive(Clone)]
struct Server {
    port: u16,
    pace: Arc<Mutex<Pace>>,
    flushed: Arc<Mutex<Vec<(usize, f64)>>>,
    /// The time each finished answer's last byte went, in the order they finished.
    last_bytes: Arc<Mutex<Vec<f64>>>,
}

impl Server {
    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server {
            port: listener.local_addr().unwrap().port(),
            pace: Arc::new(Mutex::new(Pace::Paced {
                deltas: DELTAS,
                rate: RATE,
            })),
            flushed: Arc::default(),
            last_bytes: Arc::default(),
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
        self.last_bytes.lock().unwrap().clear();
    }

    /// Waits (without touching the page) until `answers` answers' last bytes are written; the
    /// time of the last of them.
    async fn finished(&self, answers: usize) -> f64 {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server answered {} of {answers} requests in 5 minutes",
                self.last_bytes.lock().unwrap().len()
            );
            if let Some(last) = Some(self.last_bytes.lock().unwrap().clone()).filter(|done| done.len() >= answers) {
                return last.into_iter().fold(f64::MIN, f64::max);
            }
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
            let models: Vec<Value> = std::iter::once("bench-model".to_owned())
                .chain((1..=COLUMNS).map(|n| format!("bench-model-{n}")))
                .map(|id| json!({ "id": id, "object": "model" }))
                .collect();
            let body = json!({ "object": "list", "data": models }).to_string();
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
            return;
        }
        let body: Value = serde_json::from_slice(&request[head_end..]).unwrap_or_default();
        let stream = body["model"]
            .as_str()
            .and_then(|model| model.strip_prefix("bench-model-"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let pace = *self.pace.lock().unwrap();
        match pace {
            Pace::Paced { deltas, rate } => {
                let start = tokio::time::Instant::now();
                for n in 0..deltas {
                    tokio::time::sleep_until(start + Duration::from_secs_f64(n as f64 / rate)).await;
                    if socket.write_all(chunk(&delta(stream, n)).as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = socket.flush().await;
                    if n.is_multiple_of(MARK_EVERY) {
                        self.flushed.lock().unwrap().push((marker(stream, n), wall_ms()));
                    }
                }
            }
            Pace::Burst { deltas } => {
                let body: String = (0..deltas).map(|n| chunk(&delta(stream, n))).collect();
                if socket.write_all(body.as_bytes()).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                let at = wall_ms();
                let mut flushed = self.flushed.lock().unwrap();
                flushed.extend((0..deltas).step_by(MARK_EVERY).map(|n| (marker(stream, n), at)));
            }
        }
        let _ = socket.write_all(DONE.as_bytes()).await;
        let _ = socket.flush().await;
        self.last_bytes.lock().unwrap().push(wall_ms());
    }

    fn providers_file(&self) -> String {
        let models: Vec<String> = std::iter::once("bench-model".to_owned())
            .chain((1..=COLUMNS).map(|n| format!("bench-model-{n}")))
            .collect();
        json!([{ "id": "bench", "name": "Bench", "base_url": format!("http://127.0.0.1:{}/v1", self.port),
                 "models": models }])
        .to_string()
    }
}

/// Watches the page for markers (when each reached the DOM, and the next frame after that),
/// notes every frame's time, and zeroes the page's own counters.
const OBSERVE: &str = r#"
window.__bench?.observer.disconnect();
const B = window.__bench = { seen: {}, painted: {}, pending: [], raf: 0, frames: [], watching: true };
const now = () => performance.timeOrigin + performance.now();
const marker = /mk(\d{7})/g;
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
B.observer.observe(document.body, { subtree: true, childList: true, characterData: true });
const tick = (t) => { B.frames.push(performance.timeOrigin + t); if (B.watching) requestAnimationFrame(tick); };
requestAnimationFrame(tick);
window.__runnelPerf?.reset();
"#;

/// The layout probe: 460 KB of text in a scroller laid over the page, in each shape the page could
/// give a long answer; the forced layout of the whole (reading the scroll height), then the median
/// and the longest of five layouts after a paragraph is appended. `content-visibility: auto` blocks are laid out
/// only in view, each with a guessed height until then.
const LAYOUT_PROBE: &str = r#"
const line = 'Some words in a paragraph that goes on for a while, with a few more words to fill a line or two. ';
const para = line.repeat(2);
const time = (f) => { const t = performance.now(); f(); return performance.now() - t; };
const blocks = (count, text, style) => (d) => {
  for (let i = 0; i < count; i++) {
    const b = document.createElement(style === null ? 'p' : 'div');
    if (style) b.style.cssText = style;
    b.textContent = text;
    d.append(b);
  }
};
const hidden = 'content-visibility:auto;contain-intrinsic-block-size:auto 24em;white-space:pre-wrap';
const total = para.length * 2000;
const shapes = {
  'one text': (d) => { d.style.whiteSpace = 'pre-wrap'; d.append(para.repeat(2000)); },
  '2 KB blocks': blocks(Math.round(total / 2048), para.repeat(Math.round(2048 / para.length)), 'white-space:pre-wrap'),
  '2 KB blocks, content-visibility': blocks(Math.round(total / 2048), para.repeat(Math.round(2048 / para.length)), hidden),
  '8 KB blocks, content-visibility': blocks(Math.round(total / 8192), para.repeat(Math.round(8192 / para.length)), hidden),
  '2,000 paragraphs': blocks(2000, para, null),
  '2,000 paragraphs, content-visibility': blocks(2000, para, 'content-visibility:auto;contain-intrinsic-block-size:auto 5em'),
};
const out = {};
for (const [name, fill] of Object.entries(shapes)) {
  const d = document.createElement('div');
  d.style.cssText = 'position:fixed;left:0;top:0;width:700px;height:600px;overflow:auto;z-index:99;background:#fff';
  document.body.append(d);
  fill(d);
  const layout = () => time(() => { d.scrollTop = d.scrollHeight; });
  const first = layout();
  const appended = [];
  for (let k = 0; k < 5; k++) {
    const p = document.createElement('p');
    p.textContent = para;
    d.append(p);
    appended.push(layout());
  }
  appended.sort((a, b) => a - b);
  out[name] = { first: Math.round(first), appended: Math.round(appended[2]), appended_max: Math.round(appended[4]) };
  d.remove();
}
return out;
"#;

/// The bare road, shared by the floors below: `bareAnswer(onText, onEnd, onError)` asks one
/// answer in a new conversation through `send_message` and a `Channel` of its own, hands each
/// text message over in order and acknowledges what arrived at the next frame, as the real page
/// does, until the ending.
const BARE_ANSWER: &str = r#"
const T = window.__TAURI_INTERNALS__;
const bareAnswer = (onText, onEnd, onError) => {
  let next = 0, streamId = null, painted = 0, acked = 0, acking = 0;
  const pending = {};
  const apply = (m) => {
    if (m.saved) { T.unregisterCallback(id); return onEnd(); }
    if (m.type === 'text') onText(m.text);
    painted = Math.max(painted, m.seq);
    // Acked as the page's StreamPump acks (ui/src/stream.ts): after a frame, once 4 messages
    // (ACK_EVERY) are painted and not acked.
    if (!acking) acking = requestAnimationFrame(() => {
      acking = 0;
      if (streamId === null || painted - acked < 4) return;
      acked = painted;
      T.invoke('ack_stream', { stream_id: streamId, seq: painted });
    });
  };
  const id = T.transformCallback((raw) => {
    if ('end' in raw) return;
    pending[raw.index] = raw.message;
    while (next in pending) { const m = pending[next]; delete pending[next]; next++; apply(m); }
  });
  T.invoke('create_conversation').then((c) =>
    T.invoke('send_message', { conversation_id: c.id, text: 'go', model: 'bench/bench-model', on_event: `__CHANNEL__:${id}` }))
    .then((turn) => { streamId = turn.stream_id; }, (e) => onError(JSON.stringify(e)));
};
"#;

/// The floor: one answer over the bare road, each text message appended to a bare `<div>`.
fn floor_script() -> String {
    format!(
        "{BARE_ANSWER}{}",
        r#"
const [done] = arguments;
const div = document.createElement('div');
div.id = 'bench-floor';
div.style.cssText = 'position:fixed;inset:0;overflow:auto;background:#fff;z-index:99999;white-space:pre-wrap';
document.body.appendChild(div);
bareAnswer((text) => div.appendChild(document.createTextNode(text)), () => done(null), done);
"#
    )
}

/// The memory run's floor: `count` answers, one after another, over the bare road with nothing
/// kept on the page. What memory grows by here is the road's (WebKit, Tauri's IPC), not the page's.
fn floor_answers_script() -> String {
    format!(
        "{BARE_ANSWER}{}",
        r#"
const [count, done] = arguments;
let asked = 0;
const ask = () => {
  if (asked++ === count) return done(null);
  bareAnswer(() => {}, () => setTimeout(ask, 0), done);
};
ask();
"#
    )
}

/// A bare page laid over the real one (`#bench-bare`, with a `<textarea>` as its composer):
/// `bareDisplay()` returns `add(text)`, which appends text, a new block at each blank line (one
/// growing text would be laid out whole at every frame), and follows the growing end once a frame
/// (the least a page that shows the newest words must do).
const BARE_DISPLAY: &str = r#"
const bareDisplay = () => {
  const page = document.createElement('div');
  page.id = 'bench-bare';
  page.style.cssText = 'position:fixed;inset:0;overflow:auto;background:#fff;z-index:99999;white-space:pre-wrap;padding:8px 8px 80px';
  const input = document.createElement('textarea');
  input.id = 'bench-bare-input';
  input.style.cssText = 'position:fixed;left:8px;right:8px;bottom:8px;height:56px;z-index:100000';
  document.body.append(page, input);
  let following = 0, block = null;
  return (text) => {
    text.split('\n\n').forEach((part, i) => {
      if (i > 0 || !block) { block = document.createElement('div'); block.style.marginBottom = '1em'; page.append(block); }
      if (part) block.appendChild(document.createTextNode(part));
    });
    if (!following) following = requestAnimationFrame(() => { following = 0; page.scrollTop = page.scrollHeight; });
  };
};
"#;

/// The bare page appending `texts` itself, one every `1 / rate` seconds; no IPC. Ends with when
/// each marker was due (`[marker, wall-clock ms]`: the start plus its place at the pace, as the
/// server's flush is on time in a process of its own) and when it was appended (later when the
/// page's thread was busy drawing a frame: a latency from there leaves out that wait, which the
/// page's words pay).
fn bare_page_script() -> String {
    format!(
        "{BARE_DISPLAY}{}",
        r#"
const [texts, rate, done] = arguments;
const now = () => performance.timeOrigin + performance.now();
const add = bareDisplay();
const dueAt = [], appendedAt = [];
const marker = /mk(\d{7})/;
const start = performance.now();
let n = 0;
const step = () => {
  const due = (performance.now() - start) * rate / 1000;
  while (n < texts.length && n <= due) {
    add(texts[n]);
    const m = marker.exec(texts[n]);
    if (m) {
      dueAt.push([Number(m[1]), performance.timeOrigin + start + n * 1000 / rate]);
      appendedAt.push([Number(m[1]), now()]);
    }
    n++;
  }
  if (n < texts.length) setTimeout(step, Math.max(0, n * 1000 / rate - (performance.now() - start)));
  else done({ due: dueAt, appended: appendedAt });
};
step();
"#
    )
}

/// The road: one answer over the app's commands and `Channel` (acked as the page acks), its text
/// appended by the bare page. What it costs over the bare page is the road's (Rust, Tauri's IPC),
/// not the page's.
fn road_script() -> String {
    format!(
        "{BARE_ANSWER}{BARE_DISPLAY}{}",
        r#"
const [done] = arguments;
const add = bareDisplay();
bareAnswer(add, () => done(null), done);
"#
    )
}

/// What the bare page noted of each marker: when it was due, and when it was appended.
#[derive(Deserialize)]
struct BareMarkers {
    due: Vec<(usize, f64)>,
    appended: Vec<(usize, f64)>,
}

/// Removes the bare page.
const BARE_PAGE_REMOVE: &str =
    "document.getElementById('bench-bare')?.remove(); document.getElementById('bench-bare-input')?.remove();";

/// Stops the page-side watching of `OBSERVE` (its observer and its frame loop), which would cost CPU.
const UNOBSERVE: &str =
    "if (window.__bench) { window.__bench.observer.disconnect(); window.__bench.watching = false; }";

/// Asks `count` questions through the real page, each in a new conversation, one after another:
/// New conversation, the prompt typed into the composer, Enter, then the answer's end.
const ANSWERS: &str = r#"
const [count, done] = arguments;
const $ = (css) => document.querySelector(css);
let asked = 0;
const answered = () => {
  const answers = document.querySelectorAll('[data-testid=message][data-role=assistant]');
  const last = answers[answers.length - 1];
  return last && last.dataset.state !== 'streaming' ? last.dataset.state : null;
};
const ask = () => {
  if (asked++ === count) return done(null);
  $('[data-testid=new-conversation]').click();
  const composer = $('[data-testid=composer]');
  composer.value = 'go';
  composer.dispatchEvent(new Event('input', { bubbles: true }));
  composer.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  const wait = () => {
    const state = answered();
    if (state === 'done') setTimeout(ask, 0);
    else if (state) done(`answer ${asked} ended ${state}`);
    else setTimeout(wait, 10);
  };
  setTimeout(wait, 10);
};
ask();
"#;

/// What the page noted: by marker number, and its frames and counters.
#[derive(Debug, Deserialize)]
struct Seen {
    seen: HashMap<usize, f64>,
    painted: HashMap<usize, f64>,
    frames: Vec<f64>,
    perf: Option<PagePerf>,
}

/// The page's own counters (`window.__runnelPerf`; absent on the floor's bare page).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PagePerf {
    messages: u64,
    receive_ms: f64,
    ending_ms: f64,
    paints: u64,
    paint_ms: f64,
    paint_max_ms: f64,
    markdown_ms: f64,
    sanitize_ms: f64,
    nodes_ms: f64,
    insert_ms: f64,
    layout_ms: f64,
    /// When the answer's text was last all formatted (wall-clock ms; a burst's backlog takes frames).
    formatted_at: f64,
}

/// The latencies of one run, by tenth: DOM and painted frame, in ms; where the page's time went.
#[derive(Debug, serde::Serialize)]
struct Run {
    name: &'static str,
    tenths: Vec<Tenth>,
    median_dom_ms: f64,
    median_paint_ms: f64,
    /// The first marker's latency (the first delta's, for a paced run).
    first_ms: f64,
    /// Frame intervals while the run streamed: median and p95, ms.
    frame_p50_ms: f64,
    frame_p95_ms: f64,
    page: Option<PagePerf>,
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

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// Latencies by tenth of the run, in the order the markers were flushed (streams interleaved).
fn summarize(name: &'static str, flushed: &[(usize, f64)], seen: &Seen) -> Run {
    let markers = flushed.len();
    assert_eq!(seen.painted.len(), markers, "{name}: every marker was painted");
    let mut flushed = flushed.to_vec();
    flushed.sort_by(|a, b| a.1.total_cmp(&b.1));
    let latency = |at: &HashMap<usize, f64>, range: &[(usize, f64)]| {
        sorted(range.iter().map(|(k, flushed)| at[k] - flushed).collect())
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
    let (first_marker, first_flush) = flushed[0];
    let (start, end) = (first_flush, flushed[markers - 1].1);
    let frames: Vec<f64> = seen
        .frames
        .windows(2)
        .filter(|pair| pair[0] >= start && pair[1] <= end)
        .map(|pair| pair[1] - pair[0])
        .collect();
    let frames = sorted(frames);
    Run {
        name,
        tenths,
        median_dom_ms: percentile(&latency(&seen.seen, &flushed), 0.5),
        median_paint_ms: percentile(&latency(&seen.painted, &flushed), 0.5),
        first_ms: seen.painted[&first_marker] - first_flush,
        frame_p50_ms: if frames.is_empty() {
            0.0
        } else {
            percentile(&frames, 0.5)
        },
        frame_p95_ms: if frames.is_empty() {
            0.0
        } else {
            percentile(&frames, 0.95)
        },
        page: seen.perf.clone(),
    }
}

/// Waits until the server wrote `answers` answers and the page painted `markers` markers, then
/// reads what the page noted; also the time of the server's last byte.
async fn collected(app: &App, server: &Server, answers: usize, markers: usize) -> (Seen, f64) {
    let last_byte = server.finished(answers).await;
    (painted(app, markers).await, last_byte)
}

/// Waits until the page painted `markers` markers, then reads what the page noted.
async fn painted(app: &App, markers: usize) -> Seen {
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
        .run(
            "window.__bench.watching = false; const p = window.__runnelPerf;
             return { seen: window.__bench.seen, painted: window.__bench.painted, frames: window.__bench.frames,
                      perf: p ? { messages: p.messages, receiveMs: p.receiveMs, endingMs: p.endingMs, paints: p.paints,
                                  paintMs: p.paintMs, paintMaxMs: p.paintMaxMs, markdownMs: p.markdownMs,
                                  sanitizeMs: p.sanitizeMs, nodesMs: p.nodesMs, insertMs: p.insertMs, layoutMs: p.layoutMs,
                                  formattedAt: p.formattedAt } : null };",
            vec![],
        )
        .await
}

fn print(run: &Run) {
    println!(
        "{:<8} median to DOM {:>6.1} ms, to paint {:>6.1} ms; first marker {:>6.1} ms; frames p50 {:>5.1} p95 {:>5.1} ms",
        run.name, run.median_dom_ms, run.median_paint_ms, run.first_ms, run.frame_p50_ms, run.frame_p95_ms
    );
    if let Some(page) = &run.page {
        println!(
            "         page scripts: {} messages received in {:.0} ms (the ending {:.0} ms); {} paints in {:.0} ms (longest {:.1} ms); \
             rendering: Markdown {:.0} ms, sanitizing {:.0} ms, nodes {:.0} ms, inserting {:.0} ms; following the end (layout) {:.0} ms",
            page.messages,
            page.receive_ms,
            page.ending_ms,
            page.paints,
            page.paint_ms,
            page.paint_max_ms,
            page.markdown_ms,
            page.sanitize_ms,
            page.nodes_ms,
            page.insert_ms,
            page.layout_ms
        );
    }
    for (n, tenth) in run.tenths.iter().enumerate() {
        println!(
            "         tenth {:>2}: p50 {:>6.1}  p95 {:>6.1}  max {:>6.1} ms",
            n + 1,
            tenth.p50,
            tenth.p95,
            tenth.max
        );
    }
}

/// The resident memory (KiB) of the app's process and of each of its descendants (WebKit's web
/// and network processes), by process name.
fn app_memory_kib(data_dir: &Path) -> Vec<(String, u64)> {
    let mut processes: Vec<(String, u64)> = app_tree(data_dir)
        .into_iter()
        .map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .map(|value| value.trim().to_owned())
                    .unwrap_or_default()
            };
            let kib = field("VmRSS:").trim_end_matches("kB").trim().parse().unwrap_or(0);
            (field("Name:"), kib)
        })
        .collect();
    processes.sort();
    processes
}

/// CPU seconds of the app's processes: its own, WebKit's web processes, its network process.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
struct Cpu {
    app: f64,
    web: f64,
    network: f64,
}

impl Cpu {
    fn total(&self) -> f64 {
        self.app + self.web + self.network
    }
}

/// Clock ticks a second, as `/proc/PID/stat` counts CPU time.
fn clock_ticks() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf CLK_TCK");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("CLK_TCK is a number")
}

/// The CPU seconds the app's processes used so far (user + system, `/proc/PID/stat`).
fn app_cpu(data_dir: &Path, ticks: f64) -> Cpu {
    let mut cpu = Cpu::default();
    for (n, pid) in app_tree(data_dir).into_iter().enumerate() {
        let Some(stat) = procs::stat(Path::new(&format!("/proc/{pid}/stat"))) else {
            continue;
        };
        let seconds = stat.ticks as f64 / ticks;
        if n == 0 {
            cpu.app += seconds;
        } else if stat.name.starts_with("WebKitWebProc") {
            cpu.web += seconds;
        } else if stat.name.starts_with("WebKitNetwork") {
            cpu.network += seconds;
        }
    }
    cpu
}

/// CPU use between two readings: CPU seconds per second of the wall clock, by process.
struct CpuClock {
    data_dir: std::path::PathBuf,
    ticks: f64,
}

impl CpuClock {
    fn start(&self) -> (tokio::time::Instant, Cpu) {
        (tokio::time::Instant::now(), app_cpu(&self.data_dir, self.ticks))
    }

    fn since(&self, (at, from): (tokio::time::Instant, Cpu)) -> Cpu {
        let to = app_cpu(&self.data_dir, self.ticks);
        let seconds = at.elapsed().as_secs_f64();
        Cpu {
            app: (to.app - from.app) / seconds,
            web: (to.web - from.web) / seconds,
            network: (to.network - from.network) / seconds,
        }
    }

    /// CPU per second over `span` from now, the page left alone.
    async fn over(&self, span: Duration) -> Cpu {
        let from = self.start();
        tokio::time::sleep(span).await;
        self.since(from)
    }
}

/// `IDLE` with `focus` (a CSS selector) focused, then `IDLE` with nothing focused.
async fn idle_cpu(app: &App, clock: &CpuClock, focus: &str) -> (Cpu, Cpu) {
    let focused: bool = app
        .wd
        .run(
            "const el = document.querySelector(arguments[0]); el.focus(); return document.activeElement === el;",
            vec![json!(focus)],
        )
        .await;
    assert!(focused, "{focus} focused");
    let with_focus = clock.over(IDLE).await;
    app.wd.run::<()>("document.activeElement?.blur();", vec![]).await;
    (with_focus, clock.over(IDLE).await)
}

/// `perf record` of WebKit's web process over a phase of the cpu run, when `RUNNEL_WINDOW_PROFILE`
/// is set (`scripts/bench-window --profile`): where the process's CPU went, by thread and by
/// library. WebKit's libraries are stripped (WebCore, JavaScriptCore and Skia show as their
/// library), so no finer than that; the page's own scripts are split by `window.__runnelPerf`.
struct Profiler {
    data_dir: std::path::PathBuf,
    on: bool,
}

/// One `perf record` running, and the file it writes.
struct Recording {
    child: std::process::Child,
    file: std::path::PathBuf,
    name: String,
}

impl Profiler {
    /// Starts recording the web process as `name` (nothing when profiling is off).
    async fn start(&self, name: &str) -> Option<Recording> {
        if !self.on {
            return None;
        }
        let web = web_process(&self.data_dir)?;
        let file = crate::artifacts().join(format!("perf-{name}.data"));
        let child = std::process::Command::new("perf")
            .args([
                "record",
                "-q",
                "-e",
                "cpu-clock",
                "-F",
                "999",
                "-p",
                &web.to_string(),
                "-o",
            ])
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("running perf (scripts/bench-window --profile installs it)");
        // perf attaches to every thread of the process before it samples.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some(Recording {
            child,
            file,
            name: name.to_owned(),
        })
    }
}

/// Stops `recording` and prints where the web process spent its CPU: by thread, by library.
fn profile_summary(recording: Option<Recording>) -> Option<Value> {
    let mut recording = recording?;
    let _ = std::process::Command::new("kill")
        .args(["-INT", &recording.child.id().to_string()])
        .status();
    let _ = recording.child.wait();
    let mut summary = serde_json::Map::new();
    for (sort, what) in [("comm", "thread"), ("dso", "library")] {
        let out = std::process::Command::new("perf")
            .args(["report", "--stdio", "-q", "--percent-limit", "2", "--sort", sort, "-i"])
            .arg(&recording.file)
            .output()
            .expect("perf report");
        let shares: Vec<(String, f64)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let (share, name) = line.trim().split_once('%')?;
                Some((name.trim().to_owned(), share.trim().parse().ok()?))
            })
            .collect();
        println!(
            "profile  {:<22} by {what:<8} {}",
            recording.name,
            shares
                .iter()
                .map(|(name, share)| format!("{name} {share:.1} %"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        summary.insert(what.to_owned(), json!(shares));
    }
    Some(Value::Object(summary))
}

/// One pace of the CPU run: CPU per second (the page's, the bare page's, the road's) while it
/// streams and in the `SETTLE` after, and with `idle` the idle halves after the page's and the
/// bare page's answers.
struct CpuPace {
    streaming: [Cpu; 3],
    after: [Cpu; 3],
    idle: Option<((Cpu, Cpu), (Cpu, Cpu))>,
    /// With profiling on: the web process's profile of each phase, by name.
    profiles: serde_json::Map<String, Value>,
}

/// An answer of `deltas` at `rate` in the real page, then the same text appended by a bare page at
/// the same pace, then the same answer over the road into the bare page; the CPU of each.
async fn cpu_pace(
    app: &App,
    server: &Server,
    clock: &CpuClock,
    profiler: &Profiler,
    rate: f64,
    deltas: usize,
    idle: bool,
) -> CpuPace {
    let texts: Vec<String> = (0..deltas).map(|n| delta(0, n)).collect();
    let mut profiles = serde_json::Map::new();
    let mut keep = |name: String, profile: Option<Value>| {
        if let Some(profile) = profile {
            profiles.insert(name, profile);
        }
    };
    app.wd.run::<()>(UNOBSERVE, vec![]).await;
    server.set(Pace::Paced { deltas, rate });
    ui::new_conversation(&app.wd).await;
    ui::choose_model(&app.wd, "bench/bench-model").await;
    let recording = profiler.start(&format!("page-{rate}")).await;
    ui::send(&app.wd, "go").await;
    let from = clock.start();
    server.finished(1).await;
    let page_streaming = clock.since(from);
    keep(format!("page-{rate}"), profile_summary(recording));
    let recording = profiler.start(&format!("page-{rate}-after")).await;
    let page_after = clock.over(SETTLE).await;
    keep(format!("page-{rate}-after"), profile_summary(recording));
    ui::wait_answer_end(&app.wd).await;
    let page_idle = if idle {
        Some(idle_cpu(app, clock, "[data-testid=composer]").await)
    } else {
        None
    };
    app.wd.run::<()>("document.activeElement?.blur();", vec![]).await;
    let recording = profiler.start(&format!("bare-{rate}")).await;
    let from = clock.start();
    let _: BareMarkers = app
        .wd
        .run_async(
            &bare_page_script(),
            vec![json!(texts), json!(rate)],
            Duration::from_secs(120),
        )
        .await;
    let bare_streaming = clock.since(from);
    keep(format!("bare-{rate}"), profile_summary(recording));
    let recording = profiler.start(&format!("bare-{rate}-after")).await;
    let bare_after = clock.over(SETTLE).await;
    keep(format!("bare-{rate}-after"), profile_summary(recording));
    let bare_idle = if idle {
        Some(idle_cpu(app, clock, "#bench-bare-input").await)
    } else {
        None
    };
    app.wd.run::<()>(BARE_PAGE_REMOVE, vec![]).await;
    server.set(Pace::Paced { deltas, rate });
    let recording = profiler.start(&format!("road-{rate}")).await;
    let from = clock.start();
    let error: Option<String> = app.wd.run_async(&road_script(), vec![], Duration::from_secs(120)).await;
    assert_eq!(error, None, "the road's stream");
    let road_streaming = clock.since(from);
    keep(format!("road-{rate}"), profile_summary(recording));
    let road_after = clock.over(SETTLE).await;
    app.wd.run::<()>(BARE_PAGE_REMOVE, vec![]).await;
    CpuPace {
        streaming: [page_streaming, bare_streaming, road_streaming],
        after: [page_after, bare_after, road_after],
        idle: page_idle.zip(bare_idle),
        profiles,
    }
}

/// `a ÷ b`, or a dash when `b` is nothing.
fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".to_owned()
    }
}

/// One line of CPU figures: per process, and the page's ÷ the bare page's.
fn print_cpu(what: &str, page: Cpu, bare: Cpu) {
    println!(
        "cpu      {what:<24} page: app {:>5.1} %, web {:>5.1} %, network {:>4.1} % | bare page: app {:>5.1} %, web {:>5.1} %, network {:>4.1} % | web {} total {}",
        page.app * 100.0,
        page.web * 100.0,
        page.network * 100.0,
        bare.app * 100.0,
        bare.web * 100.0,
        bare.network * 100.0,
        ratio(page.web, bare.web),
        ratio(page.total(), bare.total())
    );
}

/// The road's line: its CPU per process, the road's ÷ the bare page's (what IPC adds), and the
/// page's ÷ the road's (what the page adds to it); totals of all processes.
fn print_road(what: &str, road: Cpu, page: Cpu, bare: Cpu) {
    println!(
        "cpu      {what:<24} road: app {:>5.1} %, web {:>5.1} %, network {:>4.1} % | road ÷ bare page total {} | page ÷ road total {} (web {})",
        road.app * 100.0,
        road.web * 100.0,
        road.network * 100.0,
        ratio(road.total(), bare.total()),
        ratio(page.total(), road.total()),
        ratio(page.web, road.web)
    );
}

/// Opens the compare view, chooses `models` and sends one prompt to all of them.
async fn compare(app: &App, models: &[String]) {
    let wd = &app.wd;
    let models: Vec<&str> = models.iter().map(String::as_str).collect();
    ui::choose_compare_models(wd, &models).await;
    let prompt = wd.find("[data-testid=compare-prompt]", UI_TIMEOUT).await;
    wd.fill(&prompt, "go").await;
    let go = wd.find("[data-testid=compare-send]", UI_TIMEOUT).await;
    let streaming = script(
        "return [...document.querySelectorAll('[data-testid=compare-column]')].filter((c) => c.dataset.state === 'streaming').length === arguments[0];",
    );
    wd.click_until(&go, "the columns streaming", &streaming, vec![json!(models.len())])
        .await;
}

#[test]
#[ignore = "a measurement: scripts/bench-window runs it"]
fn window_bench() {
    // `RUNNEL_WINDOW_BENCH=burst,memory` runs only those runs (paced, floor, display, cpu, idle,
    // hidden, burst, parallel, memory, layout).
    let only = std::env::var("RUNNEL_WINDOW_BENCH").unwrap_or_default();
    let runs = |name: &str| only.is_empty() || only.split(',').any(|run| run.trim() == name);
    alone(async || {
        let server = Server::start().await;
        let app = App::launch(Launch {
            name: "window-bench",
            providers: Some(server.providers_file()),
            env: vec![],
        })
        .await;
        let markers = DELTAS.div_ceil(MARK_EVERY);
        let mut report = serde_json::Map::new();
        report.insert("binary".into(), json!(crate::app::app_binary()));
        let mut paced_run = None;
        let clock = CpuClock {
            data_dir: app.data_dir(),
            ticks: clock_ticks(),
        };
        let profiler = Profiler {
            data_dir: app.data_dir(),
            on: std::env::var_os("RUNNEL_WINDOW_PROFILE").is_some_and(|v| !v.is_empty()),
        };

        // The real page: the first answer after start-up, paced.
        if runs("paced") {
            server.set(Pace::Paced {
                deltas: DELTAS,
                rate: RATE,
            });
            ui::new_conversation(&app.wd).await;
            ui::choose_model(&app.wd, "bench/bench-model").await;
            app.wd.run::<()>(OBSERVE, vec![]).await;
            ui::send(&app.wd, "go").await;
            let (seen, _) = collected(&app, &server, 1, markers).await;
            let paced = summarize("paced", &server.flushed.lock().unwrap(), &seen);
            ui::wait_answer_end(&app.wd).await;
            print(&paced);
            report.insert("paced".into(), json!({ "deltas": DELTAS, "rate": RATE, "run": paced }));
            paced_run = Some(paced);
        }

        // The floor: a bare page over the same road (laid over the real one, then removed).
        if runs("floor") {
            server.set(Pace::Paced {
                deltas: DELTAS,
                rate: RATE,
            });
            app.wd.run::<()>(OBSERVE, vec![]).await;
            let error: Option<String> = app
                .wd
                .run_async(&floor_script(), vec![], Duration::from_secs(120))
                .await;
            assert_eq!(error, None, "the floor's stream");
            let (seen, _) = collected(&app, &server, 1, markers).await;
            let floor = summarize("floor", &server.flushed.lock().unwrap(), &seen);
            app.wd
                .run::<()>("document.getElementById('bench-floor').remove();", vec![])
                .await;
            print(&floor);
            report.insert("floor".into(), json!({ "deltas": DELTAS, "rate": RATE, "run": floor }));
        }

        // The display's floor: the paced answer's deltas appended by a bare page itself, no IPC.
        if runs("display") {
            let texts: Vec<String> = (0..DELTAS).map(|n| delta(0, n)).collect();
            app.wd.run::<()>(OBSERVE, vec![]).await;
            let bare: BareMarkers = app
                .wd
                .run_async(
                    &bare_page_script(),
                    vec![json!(texts), json!(RATE)],
                    Duration::from_secs(120),
                )
                .await;
            let seen = painted(&app, markers).await;
            let display = summarize("display", &bare.due, &seen);
            // From the append instead (how the floor was read before 2026-12-07): what is left
            // out is the wait for the page's thread, not the display's.
            let from_append = summarize("appended", &bare.appended, &seen);
            app.wd.run::<()>(BARE_PAGE_REMOVE, vec![]).await;
            print(&display);
            print(&from_append);
            let mut ratios = Vec::new();
            if let Some(paced) = &paced_run {
                let floors = display.tenths.iter().zip(&from_append.tenths);
                for (n, (page, (floor, appended))) in paced.tenths.iter().zip(floors).enumerate() {
                    let ratio = page.p95 / floor.p95;
                    println!(
                        "         tenth {:>2}: p95 page {:>6.1} ms ÷ display {:>6.1} ms = {ratio:.2}× (÷ from the append {:>6.1} ms = {:.2}×)",
                        n + 1,
                        page.p95,
                        floor.p95,
                        appended.p95,
                        page.p95 / appended.p95
                    );
                    ratios.push(ratio);
                }
            }
            report.insert(
                "display".into(),
                json!({ "deltas": DELTAS, "rate": RATE, "run": display, "from_append": from_append, "paced_p95_ratio_by_tenth": ratios }),
            );
        }

        // CPU while a paced answer streams, then idle, the page's and a bare page's.
        if runs("cpu") || runs("idle") {
            let paces: &[(f64, usize)] = if runs("cpu") { &CPU_PACES } else { &CPU_PACES[..1] };
            let mut cpu = Vec::new();
            for (n, &(rate, deltas)) in paces.iter().enumerate() {
                // The idle halves follow the first pace's answers.
                let idle = n == 0 && runs("idle");
                let pace = cpu_pace(&app, &server, &clock, &profiler, rate, deltas, idle).await;
                println!("cpu      {deltas} deltas at {rate} a second; CPU seconds per second (% of one core)");
                let [page, bare, road] = pace.streaming;
                print_cpu("streaming", page, bare);
                print_road("streaming", road, page, bare);
                let [page_after, bare_after, road_after] = pace.after;
                let after = format!("the {} s after", SETTLE.as_secs());
                print_cpu(&after, page_after, bare_after);
                print_road(&after, road_after, page_after, bare_after);
                let mut figures = json!({ "deltas": deltas, "rate": rate,
                                         "streaming": { "page": page, "bare": bare, "road": road },
                                         "after": { "seconds": SETTLE.as_secs(), "page": page_after, "bare": bare_after, "road": road_after } });
                if let Some(((page_focused, page_unfocused), (bare_focused, bare_unfocused))) = pace.idle {
                    print_cpu("idle, composer focused", page_focused, bare_focused);
                    print_cpu("idle, nothing focused", page_unfocused, bare_unfocused);
                    figures["idle"] = json!({ "seconds": IDLE.as_secs(),
                                             "focused": { "page": page_focused, "bare": bare_focused },
                                             "unfocused": { "page": page_unfocused, "bare": bare_unfocused } });
                }
                if !pace.profiles.is_empty() {
                    figures["profiles"] = Value::Object(pace.profiles);
                }
                cpu.push(figures);
            }
            report.insert("cpu".into(), json!(cpu));
        }

        // A minimised window while an answer streams: what it costs, and the answer whole after.
        if runs("hidden") {
            app.wd.run::<()>(UNOBSERVE, vec![]).await;
            server.set(Pace::Paced {
                deltas: HIDDEN_DELTAS,
                rate: CPU_RATE,
            });
            ui::new_conversation(&app.wd).await;
            ui::choose_model(&app.wd, "bench/bench-model").await;
            ui::send(&app.wd, "go").await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let visible = clock.over(Duration::from_secs(4)).await;
            let rect = app.wd.window_rect().await;
            let mut hidden = json!({ "deltas": HIDDEN_DELTAS, "rate": CPU_RATE, "visible": visible });
            match app.wd.minimize_window().await {
                Ok(()) => {
                    let state: String = app.wd.read("return document.visibilityState;", vec![]).await;
                    let during = clock.over(HIDDEN_FOR).await;
                    app.wd.set_window_rect(rect).await;
                    let back: String = app.wd.read("return document.visibilityState;", vec![]).await;
                    print_cpu(&format!("minimised ({state})"), during, visible);
                    println!(
                        "hidden   (the bare figures above are the same answer's 4 s before, visible); visibility after restoring: {back}"
                    );
                    hidden["minimised"] = json!({ "seconds": HIDDEN_FOR.as_secs(), "visibility": state, "cpu": during, "visibility_after": back });
                }
                Err(e) => {
                    println!("hidden   the driver did not minimise the window: {e:?}");
                    hidden["minimise_error"] = json!(format!("{e:?}"));
                }
            }
            let answer = ui::wait_answer_end(&app.wd).await;
            let last = format!("mk{:07}", marker(0, (HIDDEN_DELTAS - 1) / MARK_EVERY * MARK_EVERY));
            assert!(
                answer.text.contains(&last),
                "the answer complete after the window came back ({last})"
            );
            report.insert("hidden".into(), hidden);
        }

        // A burst: painted (all its text on the page), then formatted (its backlog worked off).
        if runs("burst") {
            server.set(Pace::Burst { deltas: BURST });
            ui::new_conversation(&app.wd).await;
            ui::choose_model(&app.wd, "bench/bench-model").await;
            app.wd.run::<()>(OBSERVE, vec![]).await;
            ui::send(&app.wd, "go").await;
            let (seen, last_byte) = collected(&app, &server, 1, BURST / MARK_EVERY).await;
            let burst = summarize("burst", &server.flushed.lock().unwrap(), &seen);
            let painted_ms = seen.painted.values().copied().fold(f64::MIN, f64::max) - last_byte;
            ui::wait_answer_end(&app.wd).await;
            app.wd
                .wait(
                    "the burst formatted",
                    Duration::from_secs(60),
                    "return !document.querySelector('.md-backlog');",
                    vec![],
                )
                .await;
            let formatted_at: f64 = app.wd.run("return window.__runnelPerf.formattedAt;", vec![]).await;
            let formatted_ms = formatted_at - last_byte;
            print(&burst);
            println!(
                "burst    {BURST} deltas: all painted {painted_ms:.0} ms after the server's last byte, all formatted {formatted_ms:.0} ms after it"
            );
            report.insert(
                "burst".into(),
                json!({ "deltas": BURST, "run": burst, "painted_ms": painted_ms, "formatted_ms": formatted_ms }),
            );
        }

        // Parallel: the compare view's columns at a fast provider's paces.
        if runs("parallel") {
            let models: Vec<String> = (1..=COLUMNS).map(|n| format!("bench/bench-model-{n}")).collect();
            let mut parallel = Vec::new();
            for (rate, deltas) in PARALLEL {
                server.set(Pace::Paced { deltas, rate });
                app.wd.run::<()>(OBSERVE, vec![]).await;
                compare(&app, &models).await;
                let (seen, last_byte) = collected(&app, &server, COLUMNS, COLUMNS * deltas / MARK_EVERY).await;
                let run = summarize("parallel", &server.flushed.lock().unwrap(), &seen);
                let caught_up_ms = seen.painted.values().copied().fold(f64::MIN, f64::max) - last_byte;
                app.wd
                    .wait(
                        "every column done",
                        Duration::from_secs(60),
                        &script("return [...document.querySelectorAll('[data-testid=compare-column]')].every((c) => c.dataset.state === 'done');"),
                        vec![],
                    )
                    .await;
                print(&run);
                println!(
                    "parallel {COLUMNS} × {deltas} deltas at {rate} deltas/s: all painted {caught_up_ms:.0} ms after the last byte"
                );
                parallel.push(json!({ "rate": rate, "deltas": deltas, "run": run, "caught_up_ms": caught_up_ms }));
            }
            report.insert("parallel".into(), json!({ "columns": COLUMNS, "runs": parallel }));
        }

        // Memory over many short answers, each in a new conversation, sent from inside the page
        // (WebDriver's own scripts, polled thousands of times, would grow the page's heap too).
        if runs("memory") {
            server.set(Pace::Burst { deltas: SHORT });
            app.wd.run::<()>("window.__bench?.observer.disconnect();", vec![]).await;
            if !runs("paced") && !runs("burst") {
                ui::new_conversation(&app.wd).await;
                ui::choose_model(&app.wd, "bench/bench-model").await;
            }
            let mut memory = Vec::new();
            let middle = (MEMORY_FIRST + MEMORY_LAST) / 2;
            for answers in [MEMORY_FIRST, middle - MEMORY_FIRST, MEMORY_LAST - middle] {
                let error: Option<String> = app
                    .wd
                    .run_async(ANSWERS, vec![json!(answers)], Duration::from_secs(600))
                    .await;
                assert_eq!(error, None, "the short answers");
                // Let the page settle (and WebKit collect and give memory back) as a user's pause would.
                tokio::time::sleep(Duration::from_secs(10)).await;
                memory.push(app_memory_kib(&app.data_dir()));
                let page: Value = app
                    .wd
                    .run(
                        "return { nodes: document.getElementsByTagName('*').length,
                                  conversations: document.querySelectorAll('[data-testid=conversation-item]').length,
                                  callbacks: window.__TAURI_INTERNALS__.callbacks?.size ?? null };",
                        vec![],
                    )
                    .await;
                println!("memory   the page after this step: {page}");
            }
            let total = |processes: &[(String, u64)]| processes.iter().map(|(_, kib)| kib).sum::<u64>();
            let (memory_first, memory_middle, memory_last) = (total(&memory[0]), total(&memory[1]), total(&memory[2]));
            let mib = |kib: u64| kib as f64 / 1024.0;
            println!(
                "memory   after {MEMORY_FIRST} answers {:.1} MiB, after {middle} {:.1} MiB, after {MEMORY_LAST} {:.1} MiB ({:+.1} % over {MEMORY_FIRST})",
                mib(memory_first),
                mib(memory_middle),
                mib(memory_last),
                (memory_last as f64 / memory_first as f64 - 1.0) * 100.0
            );
            for ((first, middle), last) in memory[0].iter().zip(&memory[1]).zip(&memory[2]) {
                println!(
                    "         {}: {:.1} → {:.1} → {:.1} MiB",
                    first.0,
                    mib(first.1),
                    mib(middle.1),
                    mib(last.1)
                );
            }
            // The same number of answers again through the bare road: what WebKit and the IPC keep.
            let floor_answers = MEMORY_LAST - MEMORY_FIRST;
            let error: Option<String> = app
                .wd
                .run_async(
                    &floor_answers_script(),
                    vec![json!(floor_answers)],
                    Duration::from_secs(600),
                )
                .await;
            assert_eq!(error, None, "the floor's short answers");
            tokio::time::sleep(Duration::from_secs(10)).await;
            let floor = app_memory_kib(&app.data_dir());
            let web = |processes: &[(String, u64)]| {
                processes
                    .iter()
                    .filter(|(name, _)| name.starts_with("WebKitWebProc"))
                    .map(|(_, kib)| kib)
                    .sum::<u64>()
            };
            let per_answer = |from: u64, to: u64| (to as f64 - from as f64) / floor_answers as f64;
            let (page_kib, floor_kib) = (
                per_answer(web(&memory[0]), web(&memory[2])),
                per_answer(web(&memory[2]), web(&floor)),
            );
            println!(
                "memory   web process per answer: the page {page_kib:.0} KiB (answers {MEMORY_FIRST} → {MEMORY_LAST}); \
                 the bare road {floor_kib:.0} KiB ({floor_answers} more answers, nothing kept on the page)"
            );
            report.insert(
                "memory_kib".into(),
                json!({ "answers": [MEMORY_FIRST, middle, MEMORY_LAST], "rss": [memory_first, memory_middle, memory_last], "processes": memory,
                        "floor": { "answers": floor_answers, "processes": floor, "web_per_answer_kib": floor_kib },
                        "page_web_per_answer_kib": page_kib }),
            );
        }

        // What WebKit's layout costs for the shapes the page can give a long answer.
        if runs("layout") {
            let costs: Value = app.wd.run(LAYOUT_PROBE, vec![]).await;
            println!(
                "layout   460 KB of text in a 700 × 600 scroller: the first layout, then after a paragraph is appended (median and max of 5), ms"
            );
            for (shape, cost) in costs.as_object().expect("the probe's results") {
                println!(
                    "         {shape:<38} first {:>5}  appended {:>4} (max {:>5})",
                    cost["first"], cost["appended"], cost["appended_max"]
                );
            }
            report.insert("layout_ms".into(), costs);
        }

        let path = crate::artifacts().join("window-bench.json");
        std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
        println!("written to {}", path.display());
    });
}
