//! The three newer protocols in the real window, each in an app of its own: Google Gemini (the
//! built-in `gemini` provider moved by `GOOGLE_GEMINI_BASE_URL`), OpenAI Responses (a providers
//! file entry) and Ollama's native API (the built-in `ollama` provider at `OLLAMA_HOST`). Each
//! answer streams, stops on Stop with its text kept and its connection closed, shows the model's
//! thinking and shows an error that arrives mid-stream with the text before it kept. (Ollama's
//! streaming and thinking are checked by `sources::a_local_ollama_server_is_detected_…`.)

use std::time::Duration;

use runnel_testkit::{
    Chunking, End, FakeServer, Reply, anthropic_text_of, fixture, gemini_stream, ollama_stream, responses_stream,
};

use crate::alone;
use crate::app::{App, Launch};
use crate::chat::unique;
use crate::fakes::{OPENAI_CHAT, openai_sse};
use crate::ui::{self, normalize};
use crate::webdriver::WebDriver;

/// How many deltas a stopped stream holds: far more than arrive before Stop.
const LONG: usize = 5000;
/// Gemini's streaming path for the model the test picks.
const GEMINI_CHAT: &str = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";
/// Gemini's model-list path.
const GEMINI_MODELS: &str = "/v1beta/models";
/// OpenAI Responses' path under the `/v1` base URL of the providers file.
const RESPONSES: &str = "/v1/responses";
/// Ollama's own chat and model-list paths.
const OLLAMA_CHAT: &str = "/api/chat";
const OLLAMA_TAGS: &str = "/api/tags";

/// The longest a Stop may take, from the click to the fake provider seeing the connection closed
/// (as `chat.rs` bounds it: WebDriver's round trip on a busy 2-core machine included).
const STOP_BOUND: Duration = Duration::from_secs(3);

/// A base URL on 127.0.0.1 where nothing listens (connections are refused at once).
fn closed_url() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("a bound address");
    format!("http://{addr}")
}

/// `body` streamed slowly, 512 bytes every 20 ms, then silence: it never ends by itself.
fn endless(reply: fn(Vec<u8>) -> Reply, body: Vec<u8>) -> Reply {
    reply(body)
        .chunking(Chunking::Fixed(512))
        .delay(Duration::from_millis(20))
        .end(End::Hang)
}

/// A fixture as a `String` (the fixtures are UTF-8).
fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("a UTF-8 fixture")
}

/// Sends `prompt` to a provider that answers with `reply` (routed at `path`) and returns the
/// answer once it has ended.
async fn answer(wd: &WebDriver, server: &FakeServer, path: &str, reply: Reply, prompt: &str) -> ui::Shown {
    server.route(path, reply);
    ui::send(wd, prompt).await;
    ui::wait_answer_end(wd).await
}

/// Checks an answer whose stream broke off with an error after `partial`: it is in error, says
/// so in its error line (which mentions `says`), and keeps the text that came before.
fn assert_error_kept_text(how: &str, answer: &ui::Shown, partial: &str, says: &str) {
    assert_eq!(answer.state, "error", "{how}: {answer:?}");
    assert!(
        answer.error.to_lowercase().contains(&says.to_lowercase()),
        "{how}: the error line should mention {says:?}: {answer:?}"
    );
    assert_eq!(
        normalize(&answer.text),
        partial,
        "{how}: the text before the error is kept: {answer:?}"
    );
}

/// Lets a never-ending `reply` (whose whole text is `full`) stream at `path`, clicks Stop, and
/// checks the answer stopped with the start of the text kept and the connection closed.
async fn stop_mid_stream(how: &str, wd: &WebDriver, server: &FakeServer, path: &str, reply: Reply, full: &str) {
    server.route(path, reply);
    let first = server.connection_count();
    ui::send(wd, &format!("Tell me a long story ({how})")).await;
    ui::wait_answer_text(wd, 300).await;
    let stopping = std::time::Instant::now();
    ui::click_stop(wd).await;

    // The answer's connection is the one that carried the most since the prompt was sent (a
    // model-list request, if any, carries a few hundred bytes).
    let connection = (first..server.connection_count())
        .map(|i| server.connection(i))
        .max_by_key(runnel_testkit::ConnectionLog::bytes_written)
        .unwrap_or_else(|| panic!("{how}: no connection for the answer"));
    let closed = connection
        .wait_closed_by_client(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{how}: the app kept the provider's connection open after Stop"));
    let latency = closed.saturating_duration_since(stopping);
    assert!(
        latency < STOP_BOUND,
        "{how}: the connection closed {latency:?} after the stop"
    );

    let answer = ui::wait_answer_end(wd).await;
    assert_eq!(answer.state, "stopped", "{how}: {answer:?}");
    let text = normalize(&answer.text);
    let full = normalize(full);
    assert!(
        text.len() >= 300 && text.len() < full.len() && full.starts_with(&text),
        "{how}: the stopped answer should keep the start of the text; it shows {} chars: {:?}…",
        text.len(),
        text.chars().take(80).collect::<String>()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = ui::last_answer(wd).await;
    assert_eq!(
        (later.state.as_str(), normalize(&later.text)),
        ("stopped", text),
        "{how}: the answer changed after it stopped"
    );
    println!("{how}: the connection closed {latency:?} after Stop was clicked");
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn gemini_streams_thinks_shows_an_error_and_stops() {
    alone(async || {
        let gemini = FakeServer::start().await;
        gemini.route(GEMINI_MODELS, Reply::json(200, &fixture_text("gemini_models.json")));
        let key = format!("AIza-e2e-{}", unique());
        let base = gemini.url();
        let closed = closed_url();
        let app = App::launch(Launch {
            name: "protocol-gemini",
            providers: None,
            env: vec![
                ("GEMINI_API_KEY", key.as_str()),
                ("GOOGLE_GEMINI_BASE_URL", base.as_str()),
                ("OLLAMA_HOST", closed.as_str()),
                ("LMSTUDIO_BASE_URL", closed.as_str()),
                ("LLAMACPP_BASE_URL", closed.as_str()),
                ("VLLM_BASE_URL", closed.as_str()),
            ],
        })
        .await;
        let wd = &app.wd;
        ui::choose_model(wd, "gemini/gemini-2.5-flash").await;

        // Text and thinking.
        let shown = answer(
            wd,
            &gemini,
            GEMINI_CHAT,
            Reply::sse(fixture("gemini_thinking.sse")).chunking(Chunking::Fixed(64)),
            "How many r's in strawberry?",
        )
        .await;
        assert_eq!(shown.state, "done", "{shown:?}");
        assert_eq!(normalize(&shown.text), "There are 3 r’s in “strawberry”.");
        assert!(
            shown.thinking.contains("The letter r appears at positions 3, 8 and 9"),
            "the model's thinking is shown: {shown:?}"
        );
        ui::screenshot(wd, "protocol-gemini-thinking").await;
        let chat = gemini
            .requests()
            .into_iter()
            .find(|r| r.path_without_query() == GEMINI_CHAT)
            .expect("a streamGenerateContent request");
        assert_eq!(chat.method, "POST");
        assert_eq!(
            chat.header("x-goog-api-key"),
            Some(key.as_str()),
            "the key goes in its header"
        );
        assert!(
            !chat.path.contains(&key) && !chat.path.contains("key="),
            "the key never goes in the URL: {}",
            chat.path
        );
        assert_eq!(chat.header("authorization"), None);
        assert_eq!(
            chat.json()["generationConfig"]["thinkingConfig"]["includeThoughts"],
            true,
            "a 2.5 model is asked for its thoughts: {}",
            chat.json()
        );
        for request in gemini.requests() {
            assert!(!request.path.contains(&key), "the key went in a URL: {}", request.path);
        }

        // An error object in the middle of the 200's stream.
        let failed = answer(
            wd,
            &gemini,
            GEMINI_CHAT,
            Reply::sse(fixture("gemini_error_midstream.sse")),
            "And now?",
        )
        .await;
        assert_error_kept_text("Gemini", &failed, "Sure, here is", "overloaded");
        ui::screenshot(wd, "protocol-gemini-error").await;

        // Stop.
        stop_mid_stream(
            "Gemini",
            wd,
            &gemini,
            GEMINI_CHAT,
            endless(Reply::sse, gemini_stream(LONG)),
            &anthropic_text_of(LONG),
        )
        .await;
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn openai_responses_streams_thinks_shows_an_error_and_stops() {
    alone(async || {
        let server = FakeServer::start().await;
        let providers = serde_json::json!([{
            "id": "resp", "name": "Responses box", "protocol": "openai-responses",
            "base_url": format!("{}/v1", server.url()), "models": ["o4-mini"], "key_required": false
        }])
        .to_string();
        let closed = closed_url();
        let app = App::launch(Launch {
            name: "protocol-responses",
            providers: Some(providers),
            env: vec![
                ("OLLAMA_HOST", closed.as_str()),
                ("LMSTUDIO_BASE_URL", closed.as_str()),
                ("LLAMACPP_BASE_URL", closed.as_str()),
                ("VLLM_BASE_URL", closed.as_str()),
            ],
        })
        .await;
        let wd = &app.wd;
        ui::choose_model(wd, "resp/o4-mini").await;

        // Text and the reasoning summary.
        let shown = answer(
            wd,
            &server,
            RESPONSES,
            Reply::sse(fixture("openai_responses_reasoning.sse")).chunking(Chunking::Fixed(64)),
            "How many r's in strawberry?",
        )
        .await;
        assert_eq!(shown.state, "done", "{shown:?}");
        assert_eq!(normalize(&shown.text), "There are 3 r’s in “strawberry”.");
        assert!(
            shown.thinking.contains("has r at positions 3, 8 and 9"),
            "the model's reasoning summary is shown: {shown:?}"
        );
        ui::screenshot(wd, "protocol-responses-thinking").await;
        let request = server
            .requests()
            .into_iter()
            .find(|r| r.path_without_query() == RESPONSES)
            .expect("a request to /v1/responses");
        assert_eq!(request.json()["model"], "o4-mini");
        assert_eq!(request.json()["stream"], true);

        // An `error` event after some text.
        let failed = answer(
            wd,
            &server,
            RESPONSES,
            Reply::sse(fixture("openai_responses_error.sse")),
            "And now?",
        )
        .await;
        assert_error_kept_text("Responses", &failed, "Sure, here is", "rate limit");
        ui::screenshot(wd, "protocol-responses-error").await;

        // Stop.
        stop_mid_stream(
            "Responses",
            wd,
            &server,
            RESPONSES,
            endless(Reply::sse, responses_stream(LONG)),
            &anthropic_text_of(LONG),
        )
        .await;
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn ollama_shows_an_error_line_and_stops() {
    alone(async || {
        let ollama = FakeServer::start().await;
        ollama.route(OLLAMA_TAGS, Reply::json(200, &fixture_text("ollama_tags.json")));
        // Its OpenAI-compatible model list, for once Settings switches to it.
        ollama.route("/v1/models", Reply::json(200, &fixture_text("openai_models.json")));
        let base = ollama.url();
        let closed = closed_url();
        let app = App::launch(Launch {
            name: "protocol-ollama",
            providers: None,
            env: vec![
                ("OLLAMA_HOST", base.as_str()),
                ("LMSTUDIO_BASE_URL", closed.as_str()),
                ("LLAMACPP_BASE_URL", closed.as_str()),
                ("VLLM_BASE_URL", closed.as_str()),
            ],
        })
        .await;
        let wd = &app.wd;
        ui::choose_model(wd, "ollama/llama3.2:latest").await;

        // An error line in place of the rest of the stream.
        let failed = answer(
            wd,
            &ollama,
            OLLAMA_CHAT,
            Reply::ndjson(fixture("ollama_error.ndjson")),
            "What is the answer?",
        )
        .await;
        assert_error_kept_text("Ollama", &failed, "The answer is", "unexpected EOF");
        ui::screenshot(wd, "protocol-ollama-error").await;

        // Stop.
        stop_mid_stream(
            "Ollama",
            wd,
            &ollama,
            OLLAMA_CHAT,
            endless(Reply::ndjson, ollama_stream(LONG)),
            &anthropic_text_of(LONG),
        )
        .await;

        // Settings switches Ollama to its OpenAI-compatible endpoint: the next answer goes there.
        ui::open_settings(wd).await;
        let row = "[data-testid=provider-row][data-provider=ollama]";
        let switch = ui::script(
            "const s = $(arguments[0] + ' [data-testid=provider-protocol]');
             if (!s) return false;
             if (s.value !== 'openai') { s.value = 'openai'; s.dispatchEvent(new Event('change')); }
             const url = $(arguments[0] + ' .base-url');
             return !!url && url.textContent.endsWith('/v1');",
        );
        wd.wait(
            "Ollama to speak OpenAI-compatible",
            Duration::from_secs(20),
            &switch,
            vec![serde_json::json!(row)],
        )
        .await;
        ui::screenshot(wd, "protocol-ollama-switched").await;
        ui::close_settings(wd).await;
        let compatible = answer(
            wd,
            &ollama,
            OPENAI_CHAT,
            Reply::sse(openai_sse(&["Through ", "the compatible ", "endpoint."])),
            "And now?",
        )
        .await;
        assert_eq!(compatible.state, "done", "{compatible:?}");
        assert_eq!(normalize(&compatible.text), "Through the compatible endpoint.");
        assert!(
            ollama
                .requests()
                .iter()
                .any(|request| request.path_without_query() == OPENAI_CHAT),
            "the answer came from /v1/chat/completions"
        );
        app.quit().await;
    });
}
