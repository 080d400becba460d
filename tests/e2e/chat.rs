//! Chatting: progressive text, Stop (button and Esc), switching models mid-conversation, model
//! output that tries to run script, an error with Retry, and an answer streamed while the window
//! is minimised. All on the shared app.

use std::time::{Duration, Instant};

use runnel_testkit::{Chunking, End, Reply, fixture, openai_stream, openai_text_of};
use serde_json::json;

use crate::fakes::{
    ANTHROPIC_FIXTURE_TEXT, ANTHROPIC_MESSAGES, CLAUDE, GPT, OPENAI_CHAT, OPENAI_FIXTURE_TEXT, openai_sse,
};
use crate::ui::{self, normalize, script};
use crate::webdriver::WebDriver;
use crate::{Shared, on_shared_app};

/// The longest a Stop may take, from the click being sent to the fake provider seeing the
/// connection closed. The README promises far less (50 ms, which the engine's benchmark checks);
/// this includes WebDriver's round trip through tauri-driver and WebKitWebDriver, which takes
/// seconds on a busy 2-core machine, and only has to tell "closed at Stop" from "left open".
const STOP_BOUND: Duration = Duration::from_secs(3);

/// A marker no other run uses.
pub fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .subsec_nanos();
    format!("{}-{nanos:09}", std::process::id())
}

/// A stream that never ends by itself: 5,000 deltas, 512 bytes every 20 ms, then silence.
pub fn endless() -> Reply {
    Reply::sse(openai_stream(5000))
        .chunking(Chunking::Fixed(512))
        .delay(Duration::from_millis(20))
        .end(End::Hang)
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn text_appears_progressively() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        // About 97 KB in 512-byte writes every 20 ms: the answer takes about 4 s to arrive.
        let reply = Reply::sse(openai_stream(300))
            .chunking(Chunking::Fixed(512))
            .delay(Duration::from_millis(20));
        s.fakes.openai.route(OPENAI_CHAT, reply);
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "Count to three hundred, slowly").await;

        let mut lengths: Vec<usize> = Vec::new();
        let deadline = Instant::now() + ui::ANSWER_TIMEOUT;
        loop {
            let answer = ui::last_answer(wd).await;
            if answer.state != "streaming" {
                break;
            }
            let length = answer.text.chars().count();
            if lengths.last() != Some(&length) {
                lengths.push(length);
                if lengths.len() == 3 {
                    ui::screenshot(wd, "chat-streaming").await;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the answer is still streaming after {:?}",
                ui::ANSWER_TIMEOUT
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let growing: Vec<usize> = lengths.iter().copied().filter(|&n| n > 0).collect();
        assert!(
            growing.len() >= 3 && growing.windows(2).all(|w| w[0] < w[1]),
            "the text should grow in at least 3 steps while streaming; lengths seen: {lengths:?}"
        );

        let answer = ui::last_answer(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        assert!(!answer.stats.trim().is_empty(), "a finished answer shows its stats");
        assert_eq!(normalize(&answer.text), normalize(&openai_text_of(300)));
        println!("text lengths seen while streaming: {lengths:?}");
    });
}

/// Lets an endless answer stream, ends it with `stop`, and checks the answer and the connection.
async fn stop_mid_stream(s: &Shared, prompt: &str, how: &str, stop: impl AsyncFnOnce(&WebDriver)) -> Duration {
    let (wd, openai) = (&s.app.wd, &s.fakes.openai);
    openai.route(OPENAI_CHAT, endless());
    let index = openai.connection_count();
    ui::send(wd, prompt).await;
    let connection = openai.wait_connection(index, Duration::from_secs(10)).await;
    ui::wait_answer_text(wd, 300).await;

    let stopping = Instant::now();
    stop(wd).await;
    let closed = connection
        .wait_closed_by_client(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{how}: the app kept the provider's connection open"));
    let latency = closed.saturating_duration_since(stopping);
    assert!(
        latency < STOP_BOUND,
        "{how}: the connection closed {latency:?} after the stop"
    );

    let answer = ui::wait_answer_end(wd).await;
    assert_eq!(answer.state, "stopped", "{how}: {answer:?}");
    let text = normalize(&answer.text);
    let full = normalize(&openai_text_of(5000));
    assert!(
        !text.is_empty() && text.len() < full.len() && full.starts_with(&text),
        "{how}: the stopped answer should keep the start of the text; it shows {} chars: {:?}…",
        text.len(),
        text.chars().take(80).collect::<String>()
    );
    assert!(
        !answer.stats.trim().is_empty(),
        "{how}: a stopped answer shows its stats"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = ui::last_answer(wd).await;
    assert_eq!(
        (later.state.as_str(), normalize(&later.text)),
        ("stopped", text),
        "{how}: the answer changed after it stopped"
    );
    latency
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn stop_keeps_the_text_and_closes_the_connection() {
    on_shared_app(async |s: &mut Shared| {
        ui::choose_model(&s.app.wd, GPT).await;
        let by_button = stop_mid_stream(s, "Tell me a long story", "Stop", ui::click_stop).await;
        ui::screenshot(&s.app.wd, "stopped").await;
        let by_escape = stop_mid_stream(s, "Another long one, please", "Esc", ui::press_escape).await;
        println!("connection closed {by_button:?} after Stop was clicked, {by_escape:?} after Esc");
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn switching_models_keeps_the_conversation() {
    on_shared_app(async |s: &mut Shared| {
        let (wd, fakes) = (&s.app.wd, &s.fakes);
        fakes.openai.route(OPENAI_CHAT, Reply::sse(fixture("openai_text.sse")));
        fakes
            .anthropic
            .route(ANTHROPIC_MESSAGES, Reply::sse(fixture("anthropic_text.sse")));
        let key = format!("sk-ant-e2e-{}", unique());

        ui::choose_model(wd, GPT).await;
        ui::send(wd, "First question").await;
        let first = ui::wait_answer_end(wd).await;
        assert_eq!(first.state, "done", "{first:?}");
        assert_eq!(normalize(&first.text), normalize(OPENAI_FIXTURE_TEXT));

        ui::open_settings(wd).await;
        ui::save_key(wd, "fake-anthropic", &key).await;
        ui::close_settings(wd).await;
        ui::open_picker(wd, true).await;
        ui::screenshot(wd, "model-picker").await;
        ui::pick(wd, CLAUDE).await;
        let before = fakes.anthropic.requests().len();
        ui::send(wd, "Second question").await;
        let second = ui::wait_answer_end(wd).await;
        assert_eq!(second.state, "done", "{second:?}");
        assert_eq!(normalize(&second.text), normalize(ANTHROPIC_FIXTURE_TEXT));

        let request = fakes
            .anthropic
            .wait_requests(before + 1, Duration::from_secs(5))
            .await
            .pop()
            .expect("a request");
        let body = request.json();
        assert_eq!(body["model"], "claude-fake");
        assert_eq!(
            body["messages"],
            json!([
                { "role": "user", "content": "First question" },
                { "role": "assistant", "content": OPENAI_FIXTURE_TEXT },
                { "role": "user", "content": "Second question" },
            ]),
            "the whole conversation goes to the new model"
        );
        assert_eq!(request.header("x-api-key"), Some(key.as_str()));
        for sent in fakes.openai.requests() {
            assert!(
                sent.headers.iter().all(|(_, value)| !value.contains(&key)),
                "the Anthropic key went to the OpenAI endpoint"
            );
        }

        let shown = ui::messages(wd).await;
        let roles: Vec<&str> = shown.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
        assert!(
            shown[1].label.contains("gpt-fake") && !shown[1].label.contains("claude-fake"),
            "the first answer should name its model: {:?}",
            shown[1].label
        );
        assert!(
            shown[3].label.contains("claude-fake") && !shown[3].label.contains("gpt-fake"),
            "the second answer should name its model: {:?}",
            shown[3].label
        );
        ui::forget_key("fake-anthropic").await;
    });
}

/// Where the answer's allowed link points (the app hands it to the system browser, a recorder
/// in these tests: `App::opened_links`).
const ALLOWED_LINK: &str = "https://example.com/runnel-e2e?from=answer";

/// Model output runs no script, rendered or clicked; its links open in the system browser only
/// when clicked and only when allowed: both links are clicked (the page sees each click land),
/// the allowed one reaches the browser and the `javascript:` one never does.
#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn model_output_cannot_run_script() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        let answer = format!(
            "Some HTML: <img src=x onerror=\"window.__xss=1\"> and <script>window.__xss=2</script>\n\n\
             [refused](javascript:window.__xss=3) and [allowed]({ALLOWED_LINK})\n\n\
             <iframe src=\"javascript:window.__xss=4\"></iframe>\n\n\
             <svg onload=\"window.__xss=5\">\n\nThe end."
        );
        // Small deltas: the incremental renderer sees every half-written tag.
        let chars: Vec<char> = answer.chars().collect();
        let deltas: Vec<String> = chars.chunks(5).map(|c| c.iter().collect()).collect();
        let deltas: Vec<&str> = deltas.iter().map(String::as_str).collect();
        let reply = Reply::sse(openai_sse(&deltas))
            .chunking(Chunking::Fixed(400))
            .delay(Duration::from_millis(5));
        s.fakes.openai.route(OPENAI_CHAT, reply);
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "Show me some HTML").await;
        let shown = ui::wait_answer_end(wd).await;
        assert_eq!(shown.state, "done", "{shown:?}");
        assert!(
            shown.text.contains("The end."),
            "the answer was not rendered: {shown:?}"
        );

        let inspect = script(
            "const tag = (el, names) => names.includes(el.tagName.toLowerCase());
             const inAnswers = (el) => !!el.closest('[data-testid=message-text]');
             const all = Array.from($('[data-testid=transcript]').querySelectorAll('*'));
             const bad = all.filter((el) =>
               tag(el, ['script', 'iframe', 'frame', 'object', 'embed'])
               || (inAnswers(el) && tag(el, ['svg', 'math', 'img', 'form', 'style']))
               || Array.from(el.attributes).some((a) => /^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value)));
             return { xss: typeof window.__xss, bad: bad.map((el) => el.outerHTML.slice(0, 160)), href: location.href };",
        );
        let before: serde_json::Value = wd.read(&inspect, vec![]).await;
        assert_eq!(before["xss"], "undefined", "model output ran script");
        assert_eq!(before["bad"], json!([]), "dangerous markup reached the transcript");

        // Each click the page receives, by the text of the link it landed on.
        let _: serde_json::Value = wd
            .run(
                "window.__clicked = [];
                 document.addEventListener('click', (e) => {
                   const a = e.target.closest && e.target.closest('a');
                   window.__clicked.push(a ? a.textContent : null);
                 }, true);
                 return null;",
                vec![],
            )
            .await;
        let answer_links = "[data-testid=message][data-role=assistant] [data-testid=message-text] a";
        let links = wd.find_all(answer_links).await;
        let mut texts = Vec::new();
        for link in &links {
            texts.push(ui::text_of(wd, link).await);
        }
        assert_eq!(texts, ["refused", "allowed"], "the answer's two links");
        for (link, text) in links.iter().zip(&texts) {
            let landed = "return window.__clicked.includes(arguments[0]);";
            wd.click_until(link, &format!("the click on {text:?}"), landed, vec![json!(text)])
                .await;
        }
        let deadline = Instant::now() + ui::UI_TIMEOUT;
        while s.app.opened_links().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The refused link was clicked first: had it been handed over, it would be there by now.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            s.app.opened_links(),
            [ALLOWED_LINK],
            "what the system browser was given"
        );
        let after: serde_json::Value = wd.read(&inspect, vec![]).await;
        assert_eq!(after["xss"], "undefined", "clicking the links ran script");
        assert_eq!(after["href"], before["href"], "clicking the links navigated the window");
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn rate_limit_error_offers_retry() {
    on_shared_app(async |s: &mut Shared| {
        let (wd, openai) = (&s.app.wd, &s.fakes.openai);
        let body = String::from_utf8(fixture("openai_error_429.json")).expect("a UTF-8 fixture");
        openai.route(OPENAI_CHAT, Reply::json(429, &body).header("retry-after", "20"));
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "Are you there?").await;
        let failed = ui::wait_answer_end(wd).await;
        assert_eq!(failed.state, "error", "{failed:?}");
        assert!(!failed.error.trim().is_empty(), "the error is explained: {failed:?}");
        let retry = wd.find("[data-testid=retry]", Duration::from_secs(20)).await;
        ui::screenshot(wd, "error-retry").await;

        openai.route(OPENAI_CHAT, Reply::sse(fixture("openai_text.sse")));
        let done = script(
            "const a = messages().filter((m) => m.role === 'assistant'); return a.length === 1 && a[0].state === 'done';",
        );
        wd.click_until(&retry, "Retry to bring an answer", &done, vec![]).await;
        let answer = ui::last_answer(wd).await;
        assert_eq!(normalize(&answer.text), normalize(OPENAI_FIXTURE_TEXT));
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn an_answer_streamed_while_minimised_is_whole_and_formatted_when_the_window_is_back() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        // About 9 s of words, then a list: it arrives while the window is minimised.
        let mut deltas = vec!["An answer that goes on while the window is minimised.\n\n"];
        deltas.extend(std::iter::repeat_n("more words ", 300));
        deltas.push("\n\n- last item one\n- last item two\n");
        let reply = Reply::sse(openai_sse(&deltas))
            .chunking(Chunking::Fixed(200))
            .delay(Duration::from_millis(30));
        s.fakes.openai.route(OPENAI_CHAT, reply);
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "Go on while I look away").await;
        ui::wait_answer_text(wd, 20).await;
        let rect = wd.window_rect().await;
        wd.minimize_window()
            .await
            .unwrap_or_else(|e| panic!("minimising the window failed: {e:?}"));
        wd.wait(
            "the page hidden",
            Duration::from_secs(10),
            "return document.visibilityState === 'hidden';",
            vec![],
        )
        .await;
        let received = script(
            "const text = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop()
               .querySelector('[data-testid=message-text]');
             return { received: text.textContent.includes('last item two'), hidden: document.visibilityState === 'hidden' };",
        );
        let answer = ui::wait_answer_end(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        let shown: serde_json::Value = wd.read(&received, vec![]).await;
        assert_eq!(
            shown,
            json!({ "received": true, "hidden": true }),
            "while minimised the whole answer reached the page"
        );
        wd.set_window_rect(rect).await;
        let formatted = script(
            "const text = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop()
               .querySelector('[data-testid=message-text]');
             return [...text.querySelectorAll('li')].some((li) => li.textContent.includes('last item two'));",
        );
        wd.wait(
            "the list formatted once the window is back",
            ui::UI_TIMEOUT,
            &formatted,
            vec![],
        )
        .await;
        let visible: bool = wd.read("return document.visibilityState === 'visible';", vec![]).await;
        assert!(visible, "the page is visible again once the window is restored");
    });
}
