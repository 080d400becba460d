//! Models side by side in the real window: three fake providers (one fast, one rejecting the key
//! with a 401, one slow) answer one prompt in three columns at once (none answers before all
//! three requests have come, so columns started one after another fail); the slow column is stopped,
//! the failed one shows its error with Retry, the table sums them up, the fast answer is
//! continued as a chat (the stopped column its other version), and the run reopens after a
//! restart as it ended.

use std::time::Duration;

use runnel_testkit::{FakeServer, Rendezvous, Reply, fixture};
use serde_json::{Value, json};

use crate::alone;
use crate::app::{App, Launch};
use crate::chat::endless;
use crate::fakes::{OPENAI_CHAT, OPENAI_FIXTURE_TEXT};
use crate::ui::{self, normalize, script};

use crate::ui::UI_TIMEOUT;
const FAST: &str = "fast/model-a";
const FAILING: &str = "failing/model-b";
const SLOW: &str = "slow/model-c";
const PROMPT: &str = "Which stream ends first?";

/// The providers file for three OpenAI-style fakes, one model each, no key needed; the fast one
/// priced.
fn providers_file(servers: [(&str, &FakeServer); 3]) -> String {
    let entries: Vec<Value> = servers
        .iter()
        .map(|(model, server)| {
            let (id, model) = model.split_once('/').expect("provider/model");
            // The fast model alone has a price: $3 in, $10 out per million tokens.
            let prices = match id == "fast" {
                true => json!({ model: { "input": 3, "output": 10 } }),
                false => json!({}),
            };
            json!({
                "id": id, "name": format!("Fake {id}"), "protocol": "openai",
                "base_url": format!("{}/v1", server.url()), "models": [model], "key_required": false,
                "prices_as_of": "2025-10-01", "prices": prices
            })
        })
        .collect();
    Value::Array(entries).to_string()
}

/// Each column as the window shows it: `[model, state, text]`, in column order.
const COLUMNS: &str = "return Array.from(document.querySelectorAll('[data-testid=compare-column]')).map((c) =>
  [c.dataset.model, c.dataset.state, (c.querySelector('[data-testid=compare-text]') || {}).textContent || '']);";

async fn columns(wd: &crate::webdriver::WebDriver) -> Vec<(String, String, String)> {
    wd.read(COLUMNS, vec![]).await
}

/// Waits until `model`'s column is in `state`.
async fn wait_column(wd: &crate::webdriver::WebDriver, model: &str, state: &str) {
    let holds = script(
        "const c = $(`[data-testid=compare-column][data-model=\"${arguments[0]}\"]`); return !!c && c.dataset.state === arguments[1];",
    );
    wd.wait(
        &format!("{model} to be {state}"),
        ui::ANSWER_TIMEOUT,
        &holds,
        vec![json!(model), json!(state)],
    )
    .await;
}

/// Clicks `button` (a css selector inside `model`'s column) until `effect` holds.
async fn click_in_column(wd: &crate::webdriver::WebDriver, model: &str, button: &str, what: &str, effect: &str) {
    let css = format!("[data-testid=compare-column][data-model=\"{model}\"] {button}");
    let el = wd.find(&css, UI_TIMEOUT).await;
    wd.click_until(&el, what, &script(effect), vec![]).await;
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn three_models_side_by_side_one_failing_one_stopped_one_continued() {
    alone(async || {
        let (fast, failing, slow) = (
            FakeServer::start().await,
            FakeServer::start().await,
            FakeServer::start().await,
        );
        // The columns' requests are all in flight before any is answered.
        let columns_at_once = Rendezvous::new(3, UI_TIMEOUT);
        fast.route(
            OPENAI_CHAT,
            Reply::sse(fixture("openai_text.sse")).meet(&columns_at_once),
        );
        let rejected = std::str::from_utf8(&fixture("openai_error_401.json"))
            .expect("utf-8")
            .to_owned();
        failing.route(OPENAI_CHAT, Reply::json(401, &rejected).meet(&columns_at_once));
        slow.route(OPENAI_CHAT, endless().meet(&columns_at_once));
        let mut app = App::launch(Launch {
            name: "compare",
            providers: Some(providers_file([(FAST, &fast), (FAILING, &failing), (SLOW, &slow)])),
            env: vec![],
        })
        .await;
        let wd = &app.wd;

        ui::choose_compare_models(wd, &[FAST, FAILING, SLOW]).await;
        let prompt = wd.find("[data-testid=compare-prompt]", UI_TIMEOUT).await;
        wd.fill(&prompt, PROMPT).await;
        let go = wd.find("[data-testid=compare-send]", UI_TIMEOUT).await;
        wd.click_until(
            &go,
            "three columns",
            &script("return document.querySelectorAll('[data-testid=compare-column]').length === 3;"),
            vec![],
        )
        .await;

        assert!(
            columns_at_once.all_arrived(UI_TIMEOUT).await,
            "the columns' requests were not in flight at once: {} of 3 came",
            columns_at_once.arrived()
        );
        // The slow column streams while the others end on their own.
        let slow_connection = slow.wait_connection(0, UI_TIMEOUT).await;
        wait_column(wd, FAST, "done").await;
        wait_column(wd, FAILING, "error").await;
        let growing = script("const c = $(`[data-testid=compare-column][data-model=\"${arguments[0]}\"]`);
            return c.dataset.state === 'streaming' && c.querySelector('[data-testid=compare-text]').textContent.length > 200;");
        wd.wait(
            "the slow column to stream",
            ui::ANSWER_TIMEOUT,
            &growing,
            vec![json!(SLOW)],
        )
        .await;
        let error: String = wd
            .read(&script("return $('[data-testid=compare-column][data-model=\"failing/model-b\"] [data-testid=message-error]').textContent;"), vec![])
            .await;
        assert!(error.contains("Key rejected"), "the failed column says why: {error:?}");
        assert!(
            wd.find_now(&format!(
                "[data-testid=compare-column][data-model=\"{FAILING}\"] [data-testid=retry]"
            ))
            .await
            .is_some(),
            "the failed column offers Retry"
        );
        assert!(
            wd.find_now("[data-testid=compare-table]").await.is_none(),
            "no table while a column streams"
        );
        ui::screenshot(wd, "compare-streaming").await;

        // Stop the slow column alone: its connection closes, the others are untouched.
        let stopped =
            format!("return $('[data-testid=compare-column][data-model=\"{SLOW}\"]').dataset.state === 'stopped';");
        click_in_column(
            wd,
            SLOW,
            "[data-testid=compare-stop]",
            "the slow column to stop",
            &stopped,
        )
        .await;
        assert!(
            slow_connection
                .wait_closed_by_client(Duration::from_secs(5))
                .await
                .is_some(),
            "stopping the column closed its connection"
        );
        let shown = columns(wd).await;
        let states: Vec<(&str, &str)> = shown.iter().map(|(m, s, _)| (m.as_str(), s.as_str())).collect();
        assert_eq!(states, vec![(FAST, "done"), (FAILING, "error"), (SLOW, "stopped")]);
        assert_eq!(normalize(&shown[0].2), normalize(OPENAI_FIXTURE_TEXT));
        let stopped_text = normalize(&shown[2].2);
        assert!(
            stopped_text.starts_with("tok0 tok1"),
            "the stopped column keeps its text"
        );

        // Every column ended: the summary table, a row per model.
        wd.find("[data-testid=compare-table]", UI_TIMEOUT).await;
        let rows: Vec<Vec<String>> = wd
            .read(
                "return Array.from(document.querySelectorAll('[data-testid=compare-table] tbody tr')).map((tr) =>
                   [tr.dataset.model, tr.dataset.state, ...Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)]);",
                vec![],
            )
            .await;
        let models: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
        assert_eq!(models, vec![FAST, FAILING, SLOW]);
        assert!(
            rows[0][2].ends_with(" s") && rows[0][3].ends_with(" s"),
            "times: {:?}",
            rows[0]
        );
        assert_eq!(
            rows[0][6],
            OPENAI_FIXTURE_TEXT.chars().count().to_string(),
            "characters"
        );
        // The fixture's 19 prompt and 14 answer tokens at $3 and $10 per million; the others
        // have no price (and the stopped one no usage): no cost, not a guess.
        let header: String = wd
            .read(
                "return document.querySelector('[data-testid=compare-table] thead th[data-column=cost]').textContent;",
                vec![],
            )
            .await;
        assert_eq!(header, "Cost");
        let costs: Vec<&str> = rows.iter().map(|row| row[7].as_str()).collect();
        assert_eq!(costs, vec!["$0.0002", "–", "–"], "{rows:?}");
        let _: Value = wd
            .run(
                "document.querySelector('[data-testid=compare-table]').scrollIntoView({ block: 'end' }); return null;",
                vec![],
            )
            .await;
        ui::screenshot(wd, "compare-table").await;

        // Continue with the fast answer: a chat with the prompt and that answer, on its model.
        let continued =
            "return typeof messages === 'function' && messages().length === 2 && visible('[data-testid=composer]');";
        click_in_column(
            wd,
            FAST,
            "[data-testid=compare-keep]",
            "the chat with the kept answer",
            continued,
        )
        .await;
        let chat = ui::messages(wd).await;
        assert_eq!((chat[0].role.as_str(), chat[0].text.as_str()), ("user", PROMPT));
        assert_eq!(normalize(&chat[1].text), normalize(OPENAI_FIXTURE_TEXT));
        // The stopped column (it has text) is the answer's other version; the failed one, empty, is not.
        let versions = "const a = $('[data-testid=message][data-role=assistant]');
          return [a.dataset.version, a.dataset.versions, $('[data-testid=version-label]').textContent];";
        let shown: (String, String, String) = wd.read(&script(versions), vec![]).await;
        assert_eq!(shown, ("2".into(), "2".into(), "2 / 2".into()));
        let prev = wd.find("[data-testid=version-prev]", UI_TIMEOUT).await;
        let slow_shown = script(
            "const a = messages().filter((m) => m.role === 'assistant')[0];
             return a.state === 'stopped' && a.label.includes('model-c');",
        );
        wd.click_until(&prev, "the stopped column's answer, version 1", &slow_shown, vec![])
            .await;
        assert_eq!(normalize(&ui::last_answer(wd).await.text), stopped_text);
        let next = wd.find("[data-testid=version-next]", UI_TIMEOUT).await;
        let fast_shown =
            script("const a = messages().filter((m) => m.role === 'assistant')[0]; return a.state === 'done';");
        wd.click_until(&next, "the kept answer again", &fast_shown, vec![])
            .await;
        ui::send(wd, "And then?").await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        let sent = fast.requests();
        assert_eq!(
            sent.last().expect("the follow-up request").json()["messages"],
            json!([
                {"role": "user", "content": PROMPT},
                {"role": "assistant", "content": OPENAI_FIXTURE_TEXT},
                {"role": "user", "content": "And then?"}
            ]),
            "the conversation goes on with the kept answer in its history"
        );
        assert_eq!(slow.requests().len(), 1, "the other models were not asked again");

        // After a restart the run is in the sidebar, marked, and reopens as it ended.
        app.restart().await;
        let wd = &app.wd;
        let item = wd
            .find(
                "[data-testid=conversation-item][data-kind=compare] .conv-open",
                UI_TIMEOUT,
            )
            .await;
        wd.click_until(
            &item,
            "the run to reopen",
            &script("return document.querySelectorAll('[data-testid=compare-column]').length === 3;"),
            vec![],
        )
        .await;
        let reopened = columns(wd).await;
        let states: Vec<(&str, &str)> = reopened.iter().map(|(m, s, _)| (m.as_str(), s.as_str())).collect();
        assert_eq!(states, vec![(FAST, "done"), (FAILING, "error"), (SLOW, "stopped")]);
        assert_eq!(normalize(&reopened[2].2), stopped_text);
        wd.find("[data-testid=compare-table]", UI_TIMEOUT).await;
        app.quit().await;
    });
}
