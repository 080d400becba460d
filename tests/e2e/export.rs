//! Export and import of a conversation in the real window: a chat answered by the fake OpenAI
//! provider is exported from the header's menu as Markdown and from its sidebar item as JSON into
//! a throwaway downloads folder (`XDG_DOWNLOAD_DIR`), "Show in folder" hands that folder to the
//! system opener, and the JSON file chosen in the import file input comes back as a new
//! conversation whose own JSON export is the same, ids and times of the import aside.

use std::path::Path;
use std::time::{Duration, Instant};

use runnel_testkit::{Chunking, Reply};
use serde_json::{Value, json};

use crate::alone;
use crate::app::{App, Launch};
use crate::fakes::{Fakes, GPT, OPENAI_CHAT, openai_sse};
use crate::ui::{self, UI_TIMEOUT, script};
use crate::webdriver::{WebDriver, keys};

/// The answer: prose and a code block, in several deltas.
const DELTAS: &[&str] = &[
    "Here is Rust:\n\n",
    "```rust\nfn main() {\n",
    "    println!(\"hi\");\n}\n```\n",
    "Done.",
];

/// Opens the export menu from `trigger` (a CSS selector), chooses `format`, and returns the path
/// the notice shows once it names a new file.
async fn export(wd: &WebDriver, trigger: &str, format: &str, previous: &str) -> String {
    let button = wd.find(trigger, UI_TIMEOUT).await;
    let open = script("return visible('[data-testid=export-menu]');");
    wd.click_until(&button, "the export menu", &open, vec![]).await;
    let choice = wd.find(&format!("[data-testid=export-{format}]"), UI_TIMEOUT).await;
    let saved = script(
        "const path = $('[data-testid=export-path]');
         return !!path && path.textContent !== arguments[0] && path.textContent;",
    );
    wd.click_until(&choice, &format!("the {format} export"), &saved, vec![json!(previous)])
        .await;
    wd.read(&script("return $('[data-testid=export-path]').textContent;"), vec![])
        .await
}

/// The JSON document at `path` without what an import changes (when it was exported, updated).
fn content(path: &str) -> Value {
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the JSON export")).expect("the export is JSON");
    let object = document.as_object_mut().expect("an object");
    object.remove("exported_at");
    object.remove("updated_at");
    document
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn a_conversation_exports_as_markdown_and_json_and_the_json_imports_back() {
    alone(async || {
        let fakes = Fakes::start().await;
        // Paced, so the stats under the answer (and in the export) are those of a stream.
        fakes.openai.route(
            OPENAI_CHAT,
            Reply::sse(openai_sse(DELTAS))
                .chunking(Chunking::Fixed(64))
                .delay(Duration::from_millis(40)),
        );
        let downloads = tempfile::tempdir().expect("a downloads folder");
        let downloads_path = downloads.path().display().to_string();
        let app = App::launch(Launch {
            name: "export",
            providers: Some(fakes.providers_file()),
            env: vec![("XDG_DOWNLOAD_DIR", downloads_path.as_str())],
        })
        .await;
        let wd = &app.wd;
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "Show me Rust?").await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");

        // Markdown, from the header's menu (a screenshot of the menu open for the README).
        let header = ".topbar [data-testid=conversation-export]";
        let button = wd.find(header, UI_TIMEOUT).await;
        let open = script("return visible('[data-testid=export-menu]');");
        wd.click_until(&button, "the export menu", &open, vec![]).await;
        ui::screenshot(wd, "export-menu").await;
        let first_choice = wd.find("[data-testid=export-markdown]", UI_TIMEOUT).await;
        let closed = script("return !visible('[data-testid=export-menu]');");
        wd.keys_until(&first_choice, keys::ESCAPE, "Esc to close the menu", &closed, vec![])
            .await;
        let markdown = export(wd, header, "markdown", "").await;
        assert_eq!(Path::new(&markdown), downloads.path().join("Show me Rust.md"));
        let text = std::fs::read_to_string(&markdown).expect("the Markdown export");
        for part in [
            "# Show me Rust?\n",
            "## You\n\nShow me Rust?\n",
            "## Answer: fake-openai/gpt-fake\n\nHere is Rust:\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\nDone.\n",
            "\n*fake-openai/gpt-fake · ",
            " · 4 tok · 9 in · ",
        ] {
            assert!(text.contains(part), "{part:?} in:\n{text}");
        }
        ui::screenshot(wd, "export-saved").await;

        // Show in folder: the folder the app wrote to goes to the system opener.
        let show = wd.find("[data-testid=export-show-folder]", UI_TIMEOUT).await;
        wd.click(&show).await.expect("clicking Show in folder");
        let deadline = Instant::now() + UI_TIMEOUT;
        while !app.opened_links().contains(&downloads_path) {
            assert!(Instant::now() < deadline, "opened: {:?}", app.opened_links());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // JSON, from the conversation's sidebar item.
        let item = "[data-testid=conversation-item].active [data-testid=conversation-export]";
        let json_path = export(wd, item, "json", &markdown).await;
        assert_eq!(Path::new(&json_path), downloads.path().join("Show me Rust.json"));
        let exported = content(&json_path);
        assert_eq!(
            (exported["format"].as_str(), exported["version"].as_u64()),
            (Some("runnel.conversation"), Some(1))
        );
        let messages = exported["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 2, "{exported}");
        assert_eq!(
            (&messages[1]["parent"], &messages[1]["model"]),
            (&json!(1), &json!(GPT))
        );
        assert_eq!(messages[1]["stats"]["output_tokens"], 4);

        let active = "return $('[data-testid=conversation-item].active').dataset.id;";
        let exported_id: String = wd.read(&script(active), vec![]).await;

        // Import: the file chosen in the file input comes back as a new conversation, shown.
        let input = wd.find("[data-testid=import-file]", UI_TIMEOUT).await;
        let _ = wd.find("[data-testid=import-conversation]", UI_TIMEOUT).await;
        let restored = script(
            "const items = document.querySelectorAll('[data-testid=conversation-item]');
             const notice = $('[data-testid=export-notice]').textContent;
             return items.length === 2 && notice.includes('Imported “Show me Rust?”')
                 && messages().length === 2 && messages()[1].text.includes('println!');",
        );
        wd.keys_until(&input, &json_path, "the import", &restored, vec![]).await;
        let imported_id: String = wd.read(&script(active), vec![]).await;
        assert_ne!(imported_id, exported_id, "the import is a new conversation, open");

        // Its own export is the same conversation.
        let again = export(wd, header, "json", &json_path).await;
        assert_eq!(Path::new(&again), downloads.path().join("Show me Rust (2).json"));
        assert_eq!(content(&again), exported);
        app.quit().await;
    });
}
