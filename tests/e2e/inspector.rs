//! The stream inspector through the real window: its rows are the events the fake server wrote
//! (OpenAI with comment lines, Anthropic; adversarial chunking), live when opened mid-stream and
//! from history after a restart; Export writes the server's body byte for byte; an `.sse`
//! file opened by path shows its rows, while a file that is not one says so; and the exported file,
//! replayed by `runnel replay`'s server, reaches another app as the same bytes at the recorded pace.

use std::path::Path;
use std::time::Duration;

use runnel_testkit::{Chunking, Reply, fixture, openai_stream, sse_events};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::{App, Launch};
use crate::chat::unique;
use crate::fakes::{ANTHROPIC_MESSAGES, CLAUDE, Fakes, GPT, OPENAI_CHAT, openai_sse};
use crate::ui::{self, script};
use crate::webdriver::{WebDriver, arg, keys};
use crate::{Shared, alone, on_shared_app};

const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// Reads the rows the inspector's virtual list has drawn now (each with its index), how many
/// rows the list has (those passing the filter), whether a drawn row still waits for its window,
/// and the last answer's state. With a number as `arguments[0]`, it first scrolls the list to put
/// that row at its top (the list draws the rows there at the next frame).
const ROWS: &str = "
const box = $('[data-testid=inspector-rows]');
if (typeof arguments[0] === 'number') box.scrollTop = arguments[0] * Number(box.dataset.rowHeight);
const rows = Array.from(box.querySelectorAll('[data-testid=inspector-event]')).map((r) => ({
  index: Number(r.closest('.vlist-row').dataset.index),
  event: r.dataset.event, t_ms: Number(r.dataset.tMs),
  data: r.querySelector('[data-testid=inspector-data]').textContent,
}));
const last = messages().filter((m) => m.role === 'assistant').pop();
return {
  rows, total: Number(box.dataset.total || 0), loading: box.querySelector('.is-loading') !== null,
  state: last ? last.state : '',
};";

#[derive(Debug, Deserialize)]
struct Row {
    index: usize,
    event: String,
    t_ms: f64,
    data: String,
}

#[derive(Debug, Deserialize)]
struct Drawn {
    /// The rows drawn, in order.
    rows: Vec<Row>,
    /// The rows the list has.
    total: usize,
    /// A drawn row waits for its window.
    loading: bool,
    /// The last answer's state when the rows were read.
    state: String,
}

/// The rows drawn now, after scrolling row `top` to the top of the list (`None`: where it is).
async fn drawn(wd: &WebDriver, top: Option<usize>) -> Drawn {
    wd.read(&script(ROWS), vec![json!(top)]).await
}

/// Every row of the inspector's list, in order, read a screenful at a time: the list is scrolled
/// from the top to its end, each screen read once its rows are drawn and fetched (the list holds
/// only those in view, and fetches a finished stream's rows a window at a time).
async fn listed(wd: &WebDriver) -> Vec<Row> {
    let deadline = std::time::Instant::now() + UI_TIMEOUT;
    let mut rows = std::collections::BTreeMap::new();
    loop {
        let next = (0..).find(|index| !rows.contains_key(index)).expect("a free index");
        let shown = drawn(wd, Some(next)).await;
        if !shown.loading {
            rows.extend(shown.rows.into_iter().map(|row| (row.index, row)));
        }
        let next = (0..).find(|index| !rows.contains_key(index)).expect("a free index");
        if next >= shown.total {
            return rows.into_values().take(shown.total).collect();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the list's rows from {next} on never came (of {})",
            shown.total
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn pairs(rows: &[Row]) -> Vec<(String, String)> {
    rows.iter().map(|r| (r.event.clone(), r.data.clone())).collect()
}

/// Each of `rows` (rows the list drew) is the server's event of its index.
fn assert_rows_are_events(rows: &[Row], events: &[(String, String)], what: &str) {
    for row in rows {
        assert_eq!(
            (row.event.as_str(), row.data.as_str()),
            (events[row.index].0.as_str(), events[row.index].1.as_str()),
            "{what}: row {}",
            row.index
        );
    }
}

/// An OpenAI stream of `deltas` with comment lines among its events: a `: keep-alive` block
/// every 40 events and a `: tick N` line inside every 55th event's block.
fn openai_with_comments(deltas: usize) -> Vec<u8> {
    let body = String::from_utf8(openai_stream(deltas)).expect("UTF-8");
    let mut out = String::new();
    for (i, block) in body.split_terminator("\n\n").enumerate() {
        if i % 40 == 0 {
            out += ": keep-alive\n\n";
        }
        if i % 55 == 0 {
            out += &format!(": tick {i}\n");
        }
        out += block;
        out += "\n\n";
    }
    out.into_bytes()
}

/// Clicks the inspector toggle of the `nth` answer (1-based) and waits until the panel shows it.
async fn inspect_answer(wd: &WebDriver, nth: usize) {
    let css = format!(
        ".transcript-list > [data-role=assistant]:nth-child({}) [data-testid=inspector-toggle]",
        nth * 2
    );
    let toggle = wd.find(&css, UI_TIMEOUT).await;
    // Enter on the button, not a click: a click goes to where the button was a moment before,
    // and a streaming answer moves it.
    let open = "return arguments[0].getAttribute('aria-pressed') === 'true' && visible('[data-testid=inspector]');";
    wd.keys_until(
        &toggle,
        keys::ENTER,
        "the inspector to open on the answer",
        &script(open),
        vec![arg(&toggle)],
    )
    .await;
}

/// Waits until the inspector lists exactly `expected` (event, data) rows, in order, reading them
/// all by scrolling through the list; on timeout, fails showing the difference.
async fn wait_rows(wd: &WebDriver, what: &str, expected: &[(String, String)]) -> Vec<Row> {
    let deadline = std::time::Instant::now() + ui::ANSWER_TIMEOUT;
    loop {
        let rows = listed(wd).await;
        if pairs(&rows) == expected || std::time::Instant::now() > deadline {
            assert_eq!(pairs(&rows), expected, "{what}");
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The inspector status line's text.
async fn status(wd: &WebDriver) -> String {
    wd.read(
        &script("return $('[data-testid=inspector-status]').textContent;"),
        vec![],
    )
    .await
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn the_inspector_shows_what_the_server_wrote_live_after_a_restart_and_from_a_file() {
    alone(async || {
        let fakes = Fakes::start().await;
        let downloads = tempfile::tempdir().expect("a downloads folder");
        let downloads_path = downloads.path().display().to_string();
        let openai_body = openai_with_comments(150);
        let openai_events = sse_events(&openai_body);
        assert!(
            openai_events.iter().filter(|(e, _)| e.is_empty()).count() >= 6,
            "the body has comments"
        );
        // Adversarial reads (1–97 bytes, cutting lines, UTF-8 and CRLF-free events anywhere), slow
        // enough (about 5 s) to open the inspector while it streams.
        fakes.openai.route(
            OPENAI_CHAT,
            Reply::sse(openai_body.clone())
                .chunking(Chunking::Random { seed: 10, max: 97 })
                .delay(Duration::from_millis(5)),
        );
        let anthropic_body = fixture("anthropic_text.sse");
        let anthropic_events = sse_events(&anthropic_body);
        fakes.anthropic.route(
            ANTHROPIC_MESSAGES,
            Reply::sse(anthropic_body.clone()).chunking(Chunking::EveryByte),
        );
        let mut app = App::launch(Launch {
            name: "inspector",
            providers: Some(fakes.providers_file()),
            env: vec![("XDG_DOWNLOAD_DIR", downloads_path.as_str())],
        })
        .await;
        let wd = &app.wd;

        // Live: opened mid-stream, it shows every event from the first, in order.
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "Inspect this stream").await;
        ui::wait_answer_text(wd, 40).await;
        inspect_answer(wd, 1).await;
        let live_rows = "const n = Number($('[data-testid=inspector-rows]').dataset.total || 0);
            const last = messages().filter((m) => m.role === 'assistant').pop();
            return n >= 20 || last.state !== 'streaming';";
        wd.wait("live rows", ui::ANSWER_TIMEOUT, &script(live_rows), vec![])
            .await;
        // The first rows, then (scrolled to it) the end so far: each row drawn is the server's
        // event of its index.
        let first = drawn(wd, None).await;
        drawn(wd, Some(first.total - 1)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let end = drawn(wd, None).await;
        assert_eq!(end.state, "streaming", "the rows came while the answer streamed");
        assert!(first.rows.first().is_some_and(|row| row.index == 0), "{first:?}");
        assert!(
            end.rows.iter().any(|row| row.index + 1 == first.total),
            "the end so far was drawn: {end:?}"
        );
        assert_rows_are_events(&first.rows, &openai_events, "live rows from the first");
        assert_rows_are_events(&end.rows, &openai_events, "live rows at the end so far");
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        let rows = wait_rows(wd, "the answer's rows once it ended", &openai_events).await;
        assert!(
            rows.windows(2).all(|w| w[0].t_ms <= w[1].t_ms),
            "arrival times in order"
        );
        assert!(rows[0].t_ms > 0.0 && rows.last().unwrap().t_ms < 60_000.0);
        let summary: String = wd
            .read(
                &script("return $('[data-testid=inspector-summary]').textContent;"),
                vec![],
            )
            .await;
        assert!(summary.contains(&format!("Events{}", openai_events.len())), "{summary}");
        assert!(summary.contains("Finishstop"), "{summary}");
        ui::screenshot(wd, "inspector").await;

        // The filter keeps the rows whose name or data match.
        let filter = wd.find("[data-testid=inspector-filter]", UI_TIMEOUT).await;
        wd.fill(&filter, "comment").await;
        let comments = openai_events.iter().filter(|(e, _)| e.is_empty()).count();
        let filtered =
            "return Number(document.querySelector('[data-testid=inspector-rows]').dataset.total) === arguments[0];";
        wd.wait("the filter", UI_TIMEOUT, filtered, vec![json!(comments)]).await;
        let passing = listed(wd).await;
        assert_eq!(passing.len(), comments);
        assert!(passing.iter().all(|row| row.event.is_empty()), "only comments pass");
        let _: Value = wd
            .run(
                "arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input')); return null;",
                vec![arg(&filter)],
            )
            .await;
        wd.wait(
            "the filter cleared",
            UI_TIMEOUT,
            filtered,
            vec![json!(openai_events.len())],
        )
        .await;

        // Export: the server's body, byte for byte, in the downloads folder.
        let export = wd.find("[data-testid=inspector-export]", UI_TIMEOUT).await;
        let saved = "return $('[data-testid=inspector-status]').textContent.startsWith('Saved to ');";
        wd.click_until(&export, "the export", &script(saved), vec![]).await;
        let path = status(wd).await.trim_start_matches("Saved to ").to_owned();
        assert!(path.starts_with(&downloads_path) && path.ends_with(".sse"), "{path}");
        assert_eq!(
            std::fs::read(&path).expect("the exported file"),
            openai_body,
            "byte-exact"
        );
        assert!(
            std::path::Path::new(&format!("{path}.json")).exists(),
            "with its sidecar"
        );

        // Anthropic, one byte per read: its event types, in order.
        ui::open_settings(wd).await;
        ui::save_key(wd, "fake-anthropic", &format!("sk-ant-e2e-{}", unique())).await;
        ui::close_settings(wd).await;
        ui::choose_model(wd, CLAUDE).await;
        ui::send(wd, "And Anthropic?").await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        inspect_answer(wd, 2).await;
        wait_rows(wd, "the Anthropic answer's rows", &anthropic_events).await;

        // After a restart, both answers' rows come from history.
        app.restart().await;
        let wd = &app.wd;
        let item = wd.find("[data-testid=conversation-item]", UI_TIMEOUT).await;
        wd.click_until(
            &item,
            "the conversation to open",
            &script("return messages().length === 4;"),
            vec![],
        )
        .await;
        inspect_answer(wd, 1).await;
        wait_rows(wd, "the OpenAI rows after a restart", &openai_events).await;
        inspect_answer(wd, 2).await;
        wait_rows(wd, "the Anthropic rows after a restart", &anthropic_events).await;

        // The exported file, opened by path.
        let open_file = wd.find("[data-testid=open-stream-file]", UI_TIMEOUT).await;
        let form = "return visible('[data-testid=inspector-path]');";
        wd.click_until(&open_file, "the file field", &script(form), vec![])
            .await;
        let field = wd.find("[data-testid=inspector-path]", UI_TIMEOUT).await;
        wd.fill(&field, &path).await;
        let open = wd.find("[data-testid=inspector-open]", UI_TIMEOUT).await;
        wd.click(&open).await.expect("clicking Open");
        wait_rows(wd, "the opened file's rows", &openai_events).await;
        // Not an .sse file: said so, naming it.
        let field = wd.find("[data-testid=inspector-path]", UI_TIMEOUT).await;
        wd.fill(&field, &format!("{path}.json")).await;
        let open = wd.find("[data-testid=inspector-open]", UI_TIMEOUT).await;
        let refused = "return $('[data-testid=inspector-status]').textContent.includes('is not an .sse file');";
        wd.click_until(&open, "the refusal", &script(refused), vec![]).await;
        let refused = drawn(wd, None).await;
        assert_eq!(
            (refused.total, refused.rows.len()),
            (0, 0),
            "no rows from a refused file"
        );
        app.quit().await;

        // Replay: the exported file served by `runnel replay`'s server (the core's ReplayServer)
        // to a new app as an OpenAI-compatible endpoint. The app receives the same bytes (its own
        // export of the replayed answer is the first server's body, byte for byte), at the
        // recorded pace: no event early, the last within a loaded machine's tolerance.
        let file = runnel_core::sse_file::read(Path::new(&path), &runnel_core::Limits::default())
            .expect("the exported file reads back");
        assert!(file.timed, "the export has its arrival times");
        let recorded_last_ms = file.recording.chunks.last().expect("recorded chunks").at_ms;
        let replay = runnel_core::replay::ReplayServer::bind(0, file.recording, runnel_core::replay::Pace::Recorded)
            .await
            .expect("a replay server");
        let providers = json!([{
            "id": "replay", "name": "Replay", "protocol": "openai",
            "base_url": replay.base_url(), "models": ["gpt-fake"], "key_required": false
        }])
        .to_string();
        let serving = tokio::spawn(replay.run());
        let replayed = App::launch(Launch {
            name: "inspector-replay",
            providers: Some(providers),
            env: vec![("XDG_DOWNLOAD_DIR", downloads_path.as_str())],
        })
        .await;
        let wd = &replayed.wd;
        ui::choose_model(wd, "replay/gpt-fake").await;
        ui::send(wd, "Replay it").await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        inspect_answer(wd, 1).await;
        let rows = wait_rows(wd, "the replayed answer's rows", &openai_events).await;
        let last_ms = rows.last().expect("rows").t_ms;
        assert!(
            last_ms >= recorded_last_ms - 50.0 && last_ms <= recorded_last_ms + 3_000.0,
            "the recorded pace: the last event at {last_ms:.0} ms, recorded at {recorded_last_ms:.0} ms"
        );
        let export = wd.find("[data-testid=inspector-export]", UI_TIMEOUT).await;
        wd.click_until(&export, "the replayed answer's export", &script(saved), vec![])
            .await;
        let again = status(wd).await.trim_start_matches("Saved to ").to_owned();
        assert_ne!(again, path, "a new file, not the first one overwritten");
        assert_eq!(
            std::fs::read(&again).expect("the replayed answer's export"),
            openai_body,
            "the app received the recorded bytes"
        );
        replayed.quit().await;
        serving.abort();
    });
}

/// Ctrl+I opens the inspector on the chat's last answer (its rows are that answer's events, not
/// the answer before it) and closes it again.
#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn ctrl_i_opens_the_inspector_on_the_last_answer_and_closes_it() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        let last_body = openai_sse(&["Inspect ", "the ", "last ", "answer."]);
        ui::choose_model(wd, GPT).await;
        for (prompt, body) in [("First", fixture("openai_text.sse")), ("Second", last_body.clone())] {
            s.fakes.openai.route(OPENAI_CHAT, Reply::sse(body));
            ui::send(wd, prompt).await;
            assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        }
        let shown: bool = wd
            .read(&script("return visible('[data-testid=inspector]');"), vec![])
            .await;
        assert!(!shown, "the inspector is closed before Ctrl+I");

        let ctrl_i = format!("{}i", keys::CONTROL);
        let composer = wd.find("[data-testid=composer]", UI_TIMEOUT).await;
        let open_on_last =
            "const toggles = document.querySelectorAll('[data-role=assistant] [data-testid=inspector-toggle]');
            return visible('[data-testid=inspector]')
              && Array.from(toggles).map((t) => t.getAttribute('aria-pressed')).join() === 'false,true';";
        wd.keys_until(
            &composer,
            &ctrl_i,
            "Ctrl+I to open the inspector on the last answer",
            &script(open_on_last),
            vec![],
        )
        .await;
        wait_rows(wd, "the last answer's rows", &sse_events(&last_body)).await;

        let filter = wd.find("[data-testid=inspector-filter]", UI_TIMEOUT).await;
        wd.keys_until(
            &filter,
            &ctrl_i,
            "Ctrl+I to close the inspector",
            &script("return !visible('[data-testid=inspector]');"),
            vec![],
        )
        .await;
    });
}

/// Animation-frame gaps (ms) while an answer streams, as the page saw them.
#[derive(Debug, Deserialize)]
struct Frames {
    gaps: Vec<f64>,
    rows: usize,
}

/// A measurement, not a test (`scripts/test` and `scripts/e2e` skip `window_bench*`): the frame
/// gaps of the real window while 5,000 events stream, with the inspector closed and then open on
/// the answer, live. Prints a table; run it with `cargo test -p runnel-app --test e2e --
/// --include-ignored --exact inspector::window_bench_inspector_open_on_5000_events --nocapture`
/// under Xvfb and D-Bus, as `scripts/e2e` sets them up.
#[test]
#[ignore = "a measurement: run it by name (see its doc)"]
fn window_bench_inspector_open_on_5000_events() {
    alone(async || {
        let fakes = Fakes::start().await;
        fakes.openai.route(
            OPENAI_CHAT,
            Reply::sse(openai_stream(5000))
                .chunking(Chunking::Fixed(660))
                .delay(Duration::from_millis(4)),
        );
        let app = App::launch(Launch {
            name: "inspector-frames",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        let wd = &app.wd;
        let record = "window.__gaps = []; window.__recording = true; let last = performance.now();
            const tick = (t) => { window.__gaps.push(t - last); last = t; if (window.__recording) requestAnimationFrame(tick); };
            requestAnimationFrame(tick); return null;";
        let collect = "window.__recording = false;
            const list = document.querySelector('[data-testid=inspector-rows]');
            return { gaps: window.__gaps, rows: Number(list.dataset.total || 0) };";
        println!("\nframe gaps while 5,000 events stream (ms): p50, p95, p99, max, gaps > 50 ms, rows shown");
        for inspect in [false, true] {
            ui::new_conversation(wd).await;
            ui::choose_model(wd, GPT).await;
            ui::send(wd, "Five thousand events").await;
            ui::wait_answer_text(wd, 20).await;
            if inspect {
                inspect_answer(wd, 1).await;
            }
            let _: Value = wd.run(record, vec![]).await;
            ui::wait_answer_end(wd).await;
            let frames: Frames = wd.read(collect, vec![]).await;
            let mut gaps = frames.gaps.clone();
            gaps.sort_by(f64::total_cmp);
            let at = |p: f64| gaps[((gaps.len() - 1) as f64 * p) as usize];
            println!(
                "inspector {:6}: {:5.1} {:5.1} {:5.1} {:6.1}  {:3} of {:4} frames  {} rows",
                if inspect { "open" } else { "closed" },
                at(0.5),
                at(0.95),
                at(0.99),
                gaps.last().copied().unwrap_or_default(),
                gaps.iter().filter(|gap| **gap > 50.0).count(),
                gaps.len(),
                frames.rows
            );
            if inspect {
                let close = wd.find("[data-testid=inspector-close]", UI_TIMEOUT).await;
                wd.click(&close).await.expect("closing the inspector");
            }
        }
        app.quit().await;
    });
}
