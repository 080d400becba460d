//! A key typed in Settings lands in the real Secret Service, and nowhere else: not in the page,
//! the history database, the log file or the app's output, even after it was used.

use std::path::Path;
use std::time::Duration;

use runnel_core::{KeyStore, KeychainStore};
use runnel_testkit::{Reply, fixture};
use serde::Deserialize;

use crate::app::keychain_service;
use crate::chat::unique;
use crate::fakes::{ANTHROPIC_MESSAGES, CLAUDE};
use crate::ui::{self, script};
use crate::webdriver::arg;
use crate::{Shared, on_shared_app};

/// What the page holds that a key could hide in.
#[derive(Deserialize)]
struct PageText {
    html: String,
    values: Vec<String>,
    storage: String,
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn keys_stay_in_the_keychain() {
    on_shared_app(async |s: &mut Shared| {
        let (wd, anthropic) = (&s.app.wd, &s.fakes.anthropic);
        let key = format!("sk-e2e-{}", unique());

        ui::open_settings(wd).await;
        let status = ui::save_key(wd, "fake-anthropic", &key).await;
        let row = wd
            .find(
                "[data-testid=provider-row][data-provider=fake-anthropic]",
                Duration::from_secs(5),
            )
            .await;
        wd.run::<()>("arguments[0].scrollIntoView({ block: 'center' });", vec![arg(&row)])
            .await;
        ui::screenshot(wd, "settings-key-saved").await;
        println!("key status shown: {status:?}");
        let stored = tokio::task::spawn_blocking(|| KeychainStore::new(&keychain_service()).get("fake-anthropic"))
            .await
            .expect("the keychain read")
            .expect("the keychain answers")
            .expect("the key is in the keychain");
        assert_eq!(stored.key.expose(), key);
        assert_eq!(
            stored.origin,
            anthropic.url(),
            "the key is bound to its provider's origin"
        );

        // Use it once, so that any log line about the request is written too.
        anthropic.route(ANTHROPIC_MESSAGES, Reply::sse(fixture("anthropic_text.sse")));
        ui::close_settings(wd).await;
        ui::choose_model(wd, CLAUDE).await;
        let before = anthropic.requests().len();
        ui::send(wd, "Hello with a key").await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        let request = anthropic
            .wait_requests(before + 1, Duration::from_secs(5))
            .await
            .pop()
            .expect("a request");
        assert_eq!(request.header("x-api-key"), Some(key.as_str()));

        let page: PageText = wd
            .read(
                &script(
                    "const all = (s) => Object.keys(s).map((k) => k + '=' + s.getItem(k)).join('\\n');
                     return {
                       html: document.documentElement.outerHTML,
                       values: Array.from(document.querySelectorAll('input, textarea, select')).map((el) => el.value),
                       storage: all(localStorage) + '\\n' + all(sessionStorage),
                     };",
                ),
                vec![],
            )
            .await;
        assert!(!page.html.contains(&key), "the key is in the page's HTML");
        assert!(page.values.iter().all(|v| !v.contains(&key)), "the key is in a field");
        assert!(!page.storage.contains(&key), "the key is in the page's storage");

        let data = s.app.data_dir();
        for required in ["runnel.sqlite3", "runnel.log"] {
            assert!(
                data.join(required).exists(),
                "{required} should exist in the data folder"
            );
        }
        assert_nowhere_in(&data, &key);
        assert!(
            !contains(&s.app.output(), key.as_bytes()),
            "the key is in the app's output (artifacts/e2e/logs/shared.log)"
        );
        ui::forget_key("fake-anthropic").await;
    });
}

/// Panics if any file under `dir` (the database with its -wal/-shm, the log…) holds `key`.
fn assert_nowhere_in(dir: &Path, key: &str) {
    for entry in std::fs::read_dir(dir).expect("listing the data folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            assert_nowhere_in(&path, key);
        } else {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            assert!(!contains(&bytes, key.as_bytes()), "the key is in {}", path.display());
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}
