//! Apps of their own that lose nothing: a start-up problem shown in a banner, quitting mid-answer,
//! a second launch (on the data folder spelled as the first did or otherwise), and a crash
//! (`kill -9`) mid-answer.
//!
//! Quitting is driven with SIGTERM (what the system sends at logout or shutdown): closing the
//! window through WebDriver makes WebKitWebDriver end the app with SIGKILL. A closed window reaches
//! the same code (`RunEvent::ExitRequested`, lifecycle.rs) as SIGTERM does.

use std::time::Duration;

use runnel_testkit::{Chunking, Reply, fixture};
use serde_json::Value;

use crate::alone;
use crate::app::{App, Launch};
use crate::fakes::{Fakes, GPT, OPENAI_CHAT, OPENAI_FIXTURE_TEXT, openai_sse};
use crate::ui::{self, normalize, script};

/// Words a paced stream sends per second.
const WORDS_PER_SECOND: usize = 20;

/// A stream of `words` words (`w0`, `w1`…), one SSE event per write, `WORDS_PER_SECOND` a second.
fn paced(words: usize) -> Reply {
    let deltas: Vec<String> = (0..words).map(|i| format!("w{i} ")).collect();
    let deltas: Vec<&str> = deltas.iter().map(String::as_str).collect();
    let body = openai_sse(&deltas);
    let sizes = String::from_utf8(body.clone())
        .expect("an ASCII stream")
        .split_inclusive("\n\n")
        .map(str::len)
        .collect();
    Reply::sse(body)
        .chunking(Chunking::Sizes(sizes))
        .delay(Duration::from_millis(1000 / WORDS_PER_SECOND as u64))
}

/// The words of a shown answer.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Opens the only conversation of a relaunched app and returns its last answer.
async fn reopen_only_conversation(app: &App) -> ui::Shown {
    let wd = &app.wd;
    let item = wd
        .find("[data-testid=conversation-item]", Duration::from_secs(10))
        .await;
    let opened = script("return messages().length === 2;");
    wd.click_until(&item, "the conversation to open", &opened, vec![]).await;
    ui::last_answer(wd).await
}

/// The states of the assistant messages in the app's database, oldest first.
fn saved_answer_states(app: &App) -> Vec<String> {
    let db = rusqlite::Connection::open(app.data_dir().join(runnel_app::startup::DATABASE_FILE))
        .expect("opening the app's database");
    let mut statement = db
        .prepare("SELECT state FROM messages WHERE role = 'assistant' ORDER BY id")
        .expect("a query");
    statement
        .query_map([], |row| row.get(0))
        .expect("reading states")
        .collect::<Result<_, _>>()
        .expect("states")
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn a_bad_providers_file_shows_a_banner_and_the_built_ins_still_answer() {
    alone(async || {
        let app = App::launch(Launch {
            name: "bad-providers-file",
            providers: Some("[\n  {\"id\": \"mine\",, }\n]".into()),
            env: vec![],
        })
        .await;
        let wd = &app.wd;
        let banner = wd
            .find(
                "[data-testid=startup-problem][data-kind=providers_file]",
                Duration::from_secs(10),
            )
            .await;
        let shown: Value = wd
            .read(
                "const b = arguments[0];
                 return { role: b.getAttribute('role'), text: b.textContent,
                          visible: b.getClientRects().length > 0 };",
                vec![crate::webdriver::arg(&banner)],
            )
            .await;
        assert_eq!(shown["role"], "alert");
        assert_eq!(shown["visible"], true);
        let text = shown["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("providers.json") && text.contains("line 2, column"),
            "the banner names the file and the place: {text:?}"
        );
        ui::screenshot(wd, "startup-problem-banner").await;

        // The built-in demo answers anyway.
        ui::send(wd, "hello").await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");

        let dismiss = wd
            .find("[data-testid=dismiss-startup-problem]", Duration::from_secs(5))
            .await;
        let gone = script("return !visible('[data-testid=startup-problem]');");
        wd.click_until(&dismiss, "the banner to go", &gone, vec![]).await;
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn quitting_mid_answer_saves_it_as_stopped() {
    alone(async || {
        let fakes = Fakes::start().await;
        fakes.openai.route(OPENAI_CHAT, paced(2_000));
        let mut app = App::launch(Launch {
            name: "quit-mid-answer",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        ui::choose_model(&app.wd, GPT).await;
        ui::send(&app.wd, "Talk for a long time").await;
        ui::wait_answer_text(&app.wd, 60).await;
        let shown = words(&ui::last_answer(&app.wd).await.text);

        app.signal_and_relaunch("TERM").await;
        assert_eq!(saved_answer_states(&app), ["stopped"]);
        let answer = reopen_only_conversation(&app).await;
        assert_eq!(answer.state, "stopped", "{answer:?}");
        let saved = words(&answer.text);
        assert!(
            saved.starts_with(&shown),
            "everything shown before quitting was saved: shown {} words, saved {}",
            shown.len(),
            saved.len()
        );
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn a_second_launch_on_any_spelling_of_the_data_folder_exits_and_leaves_the_first_one_streaming() {
    alone(async || {
        let fakes = Fakes::start().await;
        // 20 s of answer: the other launches happen in the middle of it.
        fakes.openai.route(OPENAI_CHAT, paced(20 * WORDS_PER_SECOND));
        let app = App::launch(Launch {
            name: "single-instance",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        let wd = &app.wd;
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "Keep talking").await;
        ui::wait_answer_text(wd, 20).await;

        // The same folder, spelled as it is, with a trailing slash, and through a link.
        let data = app.data_dir();
        let link = data.with_file_name("data-link");
        std::os::unix::fs::symlink(&data, &link).expect("a link to the data folder");
        let spellings = [
            ("single-instance-second", None),
            ("single-instance-slash", Some(format!("{}/", data.display()))),
            ("single-instance-link", Some(link.display().to_string())),
        ];
        for (name, spelling) in &spellings {
            let env: Vec<(&str, &str)> = spelling.iter().map(|dir| ("RUNNEL_DATA_DIR", dir.as_str())).collect();
            let status = app.launch_again(name, &env, Duration::from_secs(60)).await;
            let status = status.unwrap_or_else(|| panic!("the launch on {spelling:?} still ran after 60 s"));
            assert!(status.success(), "the launch on {spelling:?} exited with {status}");
            let output = std::fs::read_to_string(crate::artifacts().join("logs").join(format!("{name}.log")))
                .expect("the launch's output");
            assert!(
                output.contains(runnel_app::lifecycle::HANDED_OVER),
                "the launch on {spelling:?} did not hand over before the window system started: {output}"
            );
        }
        assert_eq!(
            ui::last_answer(wd).await.state,
            "streaming",
            "the first window still streams"
        );
        assert_eq!(
            saved_answer_states(&app),
            ["streaming"],
            "the answer was not marked interrupted"
        );

        let answer = ui::wait_answer_end(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        assert_eq!(words(&answer.text).len(), 20 * WORDS_PER_SECOND);
        assert_eq!(saved_answer_states(&app), ["done"]);
        let log = std::fs::read_to_string(app.data_dir().join(runnel_app::LOG_FILE)).unwrap_or_default();
        assert_eq!(
            log.matches("Runnel started").count(),
            1,
            "no other launch set up (none opened the database)"
        );
        assert_eq!(
            log.matches("another launch handed over to this instance").count(),
            spellings.len(),
            "{log}"
        );
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn a_crash_mid_answer_loses_at_most_a_second_and_retry_works() {
    alone(async || {
        let fakes = Fakes::start().await;
        fakes.openai.route(OPENAI_CHAT, paced(2_000));
        let mut app = App::launch(Launch {
            name: "crash",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        ui::choose_model(&app.wd, GPT).await;
        ui::send(&app.wd, "Talk until you crash").await;
        ui::wait_answer_text(&app.wd, 300).await;
        let shown = words(&ui::last_answer(&app.wd).await.text);

        app.signal_and_relaunch("KILL").await;
        let answer = reopen_only_conversation(&app).await;
        assert_eq!(answer.state, "error", "{answer:?}");
        assert!(
            answer.error.contains("cut off"),
            "the answer is marked interrupted: {:?}",
            answer.error
        );
        let saved = words(&answer.text);
        let kept = saved.len().min(shown.len());
        assert_eq!(saved[..kept], shown[..kept], "the saved text is the text shown");
        let lost = shown.len().saturating_sub(saved.len());
        assert!(
            lost <= WORDS_PER_SECOND,
            "at most a second of shown text is lost: {lost} words of {} (at {WORDS_PER_SECOND} a second)",
            shown.len()
        );

        fakes.openai.route(OPENAI_CHAT, Reply::sse(fixture("openai_text.sse")));
        let retry = app.wd.find("[data-testid=retry]", Duration::from_secs(10)).await;
        let restarted = script(
            "const last = messages().filter((m) => m.role === 'assistant').pop();
             return !!last && (last.state === 'streaming' || last.state === 'done');",
        );
        app.wd
            .click_until(&retry, "the retried answer to start", &restarted, vec![])
            .await;
        let answer = ui::wait_answer_end(&app.wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        assert_eq!(normalize(&answer.text), normalize(OPENAI_FIXTURE_TEXT));
        app.quit().await;
    });
}
