//! Where models and keys come from, in apps of their own: a local Ollama server (a fake one at
//! `OLLAMA_HOST`, speaking Ollama's own API) is detected, its own models appear in the picker and
//! an answer streams from it, its thinking shown and the server's own tokens/s under it; an `OPENAI_API_KEY` wins over a keychain key for the same host, Settings says so, and the
//! env key is the one sent.

use std::time::Duration;

use runnel_core::{ApiKey, KeyStore, KeychainStore, StoredKey};
use runnel_testkit::{FakeServer, Reply};
use serde_json::json;

use crate::alone;
use crate::app::{App, Launch, keychain_service};
use crate::chat::unique;
use crate::fakes::{OPENAI_CHAT, openai_sse};
use crate::ui::{self, normalize, script};

/// A model only the fake Ollama server knows (the preset's built-in list has no such name).
const LOCAL_MODEL: &str = "e2e-local:7b";
/// Ollama's own chat and model-list paths.
const OLLAMA_CHAT: &str = "/api/chat";
const OLLAMA_TAGS: &str = "/api/tags";

/// An Ollama `/api/chat` answer as the server writes it: a line of thinking, three of text, then
/// `done: true` with its counters (4 tokens in 0.1 s of the server's time).
fn ollama_ndjson(model: &str) -> Vec<u8> {
    let line = |message: serde_json::Value| json!({ "model": model, "created_at": "2025-03-10T14:32:01Z", "message": message, "done": false });
    let mut lines = vec![line(
        json!({ "role": "assistant", "content": "", "thinking": "The user greets me." }),
    )];
    for text in ["Hello ", "from the ", "local server."] {
        lines.push(line(json!({ "role": "assistant", "content": text })));
    }
    lines.push(json!({
        "model": model, "created_at": "2025-03-10T14:32:02Z", "message": { "role": "assistant", "content": "" },
        "done_reason": "stop", "done": true, "total_duration": 200_000_000, "load_duration": 1_000_000,
        "prompt_eval_count": 9, "prompt_eval_duration": 50_000_000, "eval_count": 4, "eval_duration": 100_000_000
    }));
    lines
        .iter()
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        .into_bytes()
}

/// A base URL on 127.0.0.1 where nothing listens (connections are refused at once).
fn closed_base_url() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("a bound address");
    format!("http://{addr}/v1")
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn a_local_ollama_server_is_detected_offers_its_models_and_answers() {
    alone(async || {
        let ollama = FakeServer::start().await;
        let models = json!({
            "models": [
                { "name": LOCAL_MODEL, "model": LOCAL_MODEL, "size": 4_661_224_676_u64, "digest": "a80c4f17acd5" },
                { "name": "e2e-other:latest", "model": "e2e-other:latest", "size": 1_000, "digest": "b1" }
            ]
        });
        ollama.route(OLLAMA_TAGS, Reply::json(200, &models.to_string()));
        ollama.route(OLLAMA_CHAT, Reply::ndjson(ollama_ndjson(LOCAL_MODEL)));
        let ollama_url = ollama.url();
        let closed = closed_base_url();
        let app = App::launch(Launch {
            name: "local-ollama",
            providers: None,
            // The other local servers are looked for too: point them where nothing answers.
            env: vec![
                ("OLLAMA_HOST", ollama_url.as_str()),
                ("LMSTUDIO_BASE_URL", closed.as_str()),
                ("LLAMACPP_BASE_URL", closed.as_str()),
            ],
        })
        .await;
        let wd = &app.wd;
        assert!(
            ollama
                .wait_requests(1, Duration::from_secs(20))
                .await
                .iter()
                .any(|r| r.path_without_query() == OLLAMA_TAGS),
            "the app asked the local server for its models"
        );

        // The picker offers the server's own models (not the preset's built-in list).
        ui::open_picker(wd, false).await;
        let option = format!("[data-testid=model-option][data-model=\"ollama/{LOCAL_MODEL}\"]");
        wd.find(&option, Duration::from_secs(20)).await;
        let offered: Vec<String> = wd
            .read(
                &script(
                    "return Array.from(document.querySelectorAll('[data-testid=model-option]'))
                       .map((o) => o.dataset.model).filter((m) => m.startsWith('ollama/'));",
                ),
                vec![],
            )
            .await;
        assert_eq!(
            offered,
            [format!("ollama/{LOCAL_MODEL}"), "ollama/e2e-other:latest".to_owned()],
            "the picker offers exactly the local server's models"
        );
        let available: bool = wd
            .read(
                &format!("return document.querySelector('{option}').getAttribute('aria-disabled') !== 'true';"),
                vec![],
            )
            .await;
        assert!(available, "a local model needs no key");
        ui::pick(wd, &format!("ollama/{LOCAL_MODEL}")).await;
        ui::screenshot(wd, "local-ollama-picked").await;

        // An answer streams from it.
        let before = ollama.requests().len();
        ui::send(wd, "Hello, local model").await;
        let answer = ui::wait_answer_end(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        assert_eq!(normalize(&answer.text), "Hello from the local server.");
        assert!(
            answer.thinking.contains("The user greets me"),
            "the model's thinking is shown: {answer:?}"
        );
        assert!(
            answer.stats.contains("server 40 tok/s"),
            "the server's own rate: 4 tokens in its 0.1 s: {answer:?}"
        );
        assert!(
            answer.label.contains(LOCAL_MODEL),
            "the answer names its model: {:?}",
            answer.label
        );
        let chat = ollama
            .wait_requests(before + 1, Duration::from_secs(10))
            .await
            .into_iter()
            .rev()
            .find(|r| r.path_without_query() == OLLAMA_CHAT)
            .expect("a chat request to the local server");
        assert_eq!(chat.json()["model"], LOCAL_MODEL);
        assert_eq!(chat.json()["stream"], true);
        assert_eq!(chat.header("authorization"), None, "no key goes to a local server");
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn an_env_key_wins_over_the_keychain_is_shown_as_the_source_and_is_the_one_sent() {
    alone(async || {
        let openai = FakeServer::start().await;
        openai.route(
            OPENAI_CHAT,
            Reply::sse(openai_sse(&["Answered ", "with the ", "env key."])),
        );
        let openai_url = format!("{}/v1", openai.url());
        let env_key = format!("sk-e2e-env-{}", unique());
        let keychain_key = format!("sk-e2e-keychain-{}", unique());
        // A keychain key bound to the same origin: it would be sent if the env var did not win.
        let stored = StoredKey::for_url(ApiKey::new(keychain_key.clone()), &openai_url).expect("an http URL");
        tokio::task::spawn_blocking(move || KeychainStore::new(&keychain_service()).set("openai", &stored))
            .await
            .expect("the keychain write")
            .expect("storing the keychain key");
        let closed = closed_base_url();
        let app = App::launch(Launch {
            name: "env-key",
            providers: None,
            env: vec![
                ("OPENAI_API_KEY", env_key.as_str()),
                ("OPENAI_BASE_URL", openai_url.as_str()),
                ("OLLAMA_HOST", closed.as_str()),
                ("LMSTUDIO_BASE_URL", closed.as_str()),
                ("LLAMACPP_BASE_URL", closed.as_str()),
            ],
        })
        .await;
        let wd = &app.wd;

        // Settings names the env var as the source; the keychain key cannot be deleted from here
        // (it is not the one in use).
        ui::open_settings(wd).await;
        let row = "[data-testid=provider-row][data-provider=openai]";
        let status = script(
            "const s = $(arguments[0] + ' [data-testid=api-key-status]');
             return s && s.dataset.key === 'env' ? s.textContent : null;",
        );
        let shown = wd
            .wait(
                "the OpenAI key status to say env",
                Duration::from_secs(20),
                &status,
                vec![json!(row)],
            )
            .await;
        assert_eq!(shown, "From OPENAI_API_KEY");
        let delete_hidden: bool = wd
            .read(
                &script("const d = $(arguments[0] + ' [data-testid=api-key-delete]'); return !d || d.hidden;"),
                vec![json!(row)],
            )
            .await;
        assert!(delete_hidden, "Delete is offered for a key that comes from the env");
        // A provider whose key is not set says which env var it would read first.
        let reads: String = wd
            .read(
                &script("return $('[data-testid=provider-row][data-provider=anthropic] [data-testid=api-key-env]').textContent;"),
                vec![],
            )
            .await;
        assert_eq!(reads, "Reads ANTHROPIC_API_KEY first");
        wd.run::<()>(
            &script("$(arguments[0]).scrollIntoView({ block: 'center' });"),
            vec![json!(row)],
        )
        .await;
        ui::screenshot(wd, "settings-env-key").await;
        ui::close_settings(wd).await;

        // Used: the env key is the one the provider receives.
        ui::choose_model(wd, "openai/gpt-4o-mini").await;
        ui::send(wd, "Which key?").await;
        let answer = ui::wait_answer_end(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        assert_eq!(normalize(&answer.text), "Answered with the env key.");
        let request = openai
            .wait_requests(1, Duration::from_secs(10))
            .await
            .into_iter()
            .find(|r| r.path_without_query() == OPENAI_CHAT)
            .expect("a chat request");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {env_key}").as_str())
        );
        app.quit().await;
        ui::forget_key("openai").await;
    });
}
