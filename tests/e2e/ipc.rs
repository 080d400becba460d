//! IPC measurement in the real WebKitGTK window: a `tauri::ipc::Channel` against events, for
//! bursts of 5,000 stream-like messages (docs/PERFORMANCE.md, "IPC: Channel vs events").
//!
//! The app's `ipc_bench` command (on with `RUNNEL_IPC_BENCH=1`) sends the messages as fast as it
//! can; the page counts them. Channel messages are received exactly as `new Channel()` of
//! @tauri-apps/api does (each arrives as `{ message, index }`, is delivered in `index` order, and
//! `{ end, index }` closes the channel); events through `plugin:event|listen`, as `listen()` does.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::alone;
use crate::app::{App, Launch};

const COUNT: u32 = 5000;
const SIZES: [u32; 2] = [32, 2048];
const REPETITIONS: usize = 5;

/// Runs one burst and resolves with what the page saw.
const BURST: &str = r#"
const [mode, count, size, done] = arguments;
const T = window.__TAURI_INTERNALS__;
const EVENT = 'runnel://ipc-bench';
const seen = new Uint8Array(count + 1);
let delivered = 0, reordered = 0, lastSeq = 0, wrongSize = 0, arrivedOutOfOrder = 0;
let started = 0, lastAt = 0, finished = false, grace = null, call = null, cleanup = () => {};
const overall = setTimeout(() => finish(null), 60000);

function finish(error) {
  if (finished) return;
  finished = true;
  clearTimeout(overall);
  clearTimeout(grace);
  cleanup();
  const distinct = seen.reduce((sum, s) => sum + s, 0);
  const report = (rustMs) => done({ error, delivered, distinct, reordered, arrivedOutOfOrder, wrongSize,
                                    ms: lastAt - started, rustMs });
  (call || Promise.resolve(null)).then(report, () => report(null));
}

function deliver(m) {
  delivered++;
  if (m.seq >= 1 && m.seq <= count) seen[m.seq] = 1;
  if (m.seq !== lastSeq + 1) reordered++;
  lastSeq = m.seq;
  if (m.text.length !== size) wrongSize++;
  lastAt = performance.now();
  if (delivered === count) finish(null);
  else if (m.seq === count && grace === null) grace = setTimeout(() => finish(null), 1000);
}

// What `new Channel()` does with the messages of its callback.
function channel() {
  let next = 0, endIndex;
  const pending = {};
  const id = T.transformCallback((raw) => {
    const index = raw.index;
    if ('end' in raw) {
      if (index == next) T.unregisterCallback(id);
      else endIndex = index;
      return;
    }
    if (index == next) {
      deliver(raw.message);
      next++;
      while (next in pending) {
        const message = pending[next];
        delete pending[next];
        deliver(message);
        next++;
      }
      if (next === endIndex) T.unregisterCallback(id);
    } else {
      arrivedOutOfOrder++;
      pending[index] = raw.message;
    }
  });
  return `__CHANNEL__:${id}`;
}

function start() {
  const on_event = channel();
  started = performance.now();
  call = T.invoke('ipc_bench', { mode, count, size, on_event });
  call.catch((e) => finish('ipc_bench failed: ' + JSON.stringify(e)));
}

if (mode === 'event') {
  // What `listen()` of @tauri-apps/api/event does.
  const handler = T.transformCallback((event) => deliver(event.payload));
  T.invoke('plugin:event|listen', { event: EVENT, target: { kind: 'Any' }, handler }).then((eventId) => {
    cleanup = () => {
      window.__TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener(EVENT, eventId);
      T.invoke('plugin:event|unlisten', { event: EVENT, eventId });
    };
    start();
  }, (e) => finish('listen failed: ' + JSON.stringify(e)));
} else {
  start();
}
"#;

/// What the page saw of one burst.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Burst {
    error: Option<String>,
    delivered: u32,
    distinct: u32,
    reordered: u32,
    arrived_out_of_order: u32,
    wrong_size: u32,
    /// From the invoke to the last message the page received.
    ms: f64,
    /// What Rust spent sending.
    rust_ms: Option<f64>,
}

impl Burst {
    fn lost(&self) -> u32 {
        COUNT - self.distinct
    }
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn ipc_channel_vs_events() {
    alone(async || {
        let app = App::launch(Launch {
            name: "ipc-bench",
            providers: None,
            env: vec![("RUNNEL_IPC_BENCH", "1")],
        })
        .await;
        let run = async |mode: &str, count: u32, size: u32| -> Burst {
            let args = vec![json!(mode), json!(count), json!(size)];
            let burst: Burst = app.wd.run_async(BURST, args, Duration::from_secs(90)).await;
            assert_eq!(burst.error, None, "{mode} burst of {count} × {size} B");
            burst
        };
        for mode in ["channel", "event"] {
            run(mode, 500, 32).await;
        }
        println!(
            "\nIPC, {COUNT} messages per burst, median of {REPETITIONS} (min–max), events ÷ channel in the last column"
        );
        println!(
            "| text size | mode | page got the last message | messages/s | Rust sending | lost | reordered | ÷ channel |"
        );
        println!("|---:|---|---:|---:|---:|---:|---:|---:|");
        for size in SIZES {
            let mut channel = Vec::new();
            let mut event = Vec::new();
            // Interleaved, so that drift on a shared machine hits both alike.
            for _ in 0..REPETITIONS {
                channel.push(run("channel", COUNT, size).await);
                event.push(run("event", COUNT, size).await);
            }
            let base = median(channel.iter().map(|b| b.ms));
            for (mode, bursts) in [("channel", &channel), ("event", &event)] {
                let ms = median(bursts.iter().map(|b| b.ms));
                let min = bursts.iter().map(|b| b.ms).fold(f64::INFINITY, f64::min);
                let max = bursts.iter().map(|b| b.ms).fold(0.0, f64::max);
                let rust = median(bursts.iter().filter_map(|b| b.rust_ms));
                let lost: u32 = bursts.iter().map(Burst::lost).sum();
                let reordered: u32 = bursts.iter().map(|b| b.reordered).sum();
                println!(
                    "| {size} B | {mode} | {ms:.0} ms ({min:.0}–{max:.0}) | {:.0} | {rust:.0} ms | {lost} | {reordered} | {:.2}× |",
                    f64::from(COUNT) / ms * 1000.0,
                    ms / base,
                );
            }
            for burst in &channel {
                assert_eq!(
                    (burst.lost(), burst.reordered, burst.wrong_size),
                    (0, 0, 0),
                    "the app's streams rely on the Channel delivering everything in order: {burst:?}"
                );
            }
            let early: u32 = channel.iter().map(|b| b.arrived_out_of_order).sum();
            let extra: u32 = event
                .iter()
                .chain(&channel)
                .map(|b| b.delivered.saturating_sub(b.distinct))
                .sum();
            println!(
                "<!-- {size} B: channel messages that arrived ahead of their turn: {early}; duplicates: {extra} -->"
            );
        }
        app.quit().await;
    });
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
