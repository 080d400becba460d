//! Answer versions in the real window: Regenerate and "Another model" keep the earlier answers as
//! versions of the turn, `‹ ›` switches between them, the next message's request carries the
//! version shown (read on the fake provider), the versions are there after a restart, and an edit
//! is one more version.

use std::time::Duration;

use runnel_testkit::{Chunking, Reply};
use serde_json::json;

use crate::alone;
use crate::app::{App, Launch};
use crate::fakes::{DEMO, Fakes, GPT, openai_sse};
use crate::ui::{self, UI_TIMEOUT, normalize, script};
use crate::webdriver::WebDriver;

const QUESTION: &str = "Why is the sky blue?";
const FIRST: &str = "Sunlight scatters off the molecules of the air, and blue light, with its short \
    wavelength, scatters the most: the sky glows blue from every direction.";
const SECOND: &str = "Rayleigh scattering. Air molecules scatter short wavelengths far more than long \
    ones (about 5.5 times more for blue than for red), so scattered blue light fills the sky.";
const NEXT: &str = "And at sunset?";
const EDITED: &str = "Why is the sunset red?";
const EDITED_ANSWER: &str = "The light crosses more air, so the blue is scattered away first.";

/// The `n`th answer of the transcript (from 1): its version label, `data-version`,
/// `data-versions` and text.
const ANSWER: &str =
    "const a = document.querySelectorAll('[data-testid=message][data-role=assistant]')[arguments[0] - 1];
  if (!a) return null;
  const label = a.querySelector('[data-testid=version-label]');
  const nav = a.querySelector('[data-testid=versions]');
  return [nav && !nav.hidden && label ? label.textContent : '', a.dataset.version || '', a.dataset.versions || '',
    a.querySelector('[data-testid=message-text]').textContent, a.dataset.state];";

/// Waits until answer `n` shows version `label` (`2 / 3`), done, with `text`.
async fn wait_version(wd: &WebDriver, n: usize, label: &str, text: &str) {
    let holds = script(&format!(
        "const shown = (() => {{ {ANSWER} }})();
         return !!shown && shown[0] === arguments[1] && shown[4] === 'done'
           && shown[3].replace(/\\s+/g, ' ').trim() === arguments[2] ? shown : null;"
    ));
    let (index, count) = label.split_once(" / ").expect("a label like 2 / 3");
    let shown: (String, String, String, String, String) = serde_json::from_value(
        wd.wait(
            &format!("answer {n} to show version {label}: {text}"),
            ui::ANSWER_TIMEOUT,
            &holds,
            vec![json!(n), json!(label), json!(text)],
        )
        .await,
    )
    .expect("the answer's version");
    assert_eq!((shown.1.as_str(), shown.2.as_str()), (index, count), "data-version(s)");
}

/// Clicks `hook` (a button's `data-testid`) inside answer `n` (answers and questions alternate)
/// until `effect` holds.
async fn click_in_answer(wd: &WebDriver, n: usize, hook: &str, effect: &str) {
    let css = format!(
        ".transcript-list > [data-testid=message]:nth-child({}) [data-testid={hook}]",
        2 * n
    );
    let button = wd.find(&css, UI_TIMEOUT).await;
    wd.click_until(&button, &format!("{hook} in answer {n}"), &script(effect), vec![])
        .await;
}

/// Clicks `‹` or `›` (`hook`) under answer `n` and waits until it shows version `label` with `text`.
async fn switch(wd: &WebDriver, n: usize, hook: &str, label: &str, text: &str) {
    let shows = format!(
        "const a = document.querySelectorAll('[data-testid=message][data-role=assistant]')[{}];
         const l = a && a.querySelector('[data-testid=version-label]');
         return !!l && l.textContent === {label:?};",
        n - 1
    );
    click_in_answer(wd, n, hook, &shows).await;
    wait_version(wd, n, label, text).await;
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn answers_kept_as_versions_switch_carry_the_one_shown_and_survive_a_restart() {
    alone(async || {
        let fakes = Fakes::start().await;
        for text in [FIRST, SECOND] {
            let words: Vec<&str> = text.split_inclusive(' ').collect();
            // An event a write, a few milliseconds apart: numbers like a real answer's.
            let reply = Reply::sse(openai_sse(&words))
                .chunking(Chunking::Fixed(200))
                .delay(Duration::from_millis(15));
            fakes.openai.enqueue(reply);
        }
        fakes
            .openai
            .enqueue(Reply::sse(openai_sse(&["Reds ", "and ", "oranges."])));
        let words: Vec<&str> = EDITED_ANSWER.split_inclusive(' ').collect();
        fakes.openai.enqueue(Reply::sse(openai_sse(&words)));
        let mut app = App::launch(Launch {
            name: "versions",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        let wd = &app.wd;
        ui::choose_model(wd, GPT).await;
        ui::send(wd, QUESTION).await;
        assert_eq!(normalize(&ui::wait_answer_end(wd).await.text), FIRST);

        // Regenerate: the new answer is version 2 of 2.
        click_in_answer(
            wd,
            1,
            "regenerate",
            "return document.querySelector('[data-testid=message][data-role=assistant]').dataset.version === '2';",
        )
        .await;
        wait_version(wd, 1, "2 / 2", SECOND).await;

        // Another model: the picker says what choosing does, and the demo answers version 3.
        click_in_answer(wd, 1, "answer-again", "return visible('[data-testid=picker-heading]');").await;
        let heading = wd.find("[data-testid=picker-heading]", UI_TIMEOUT).await;
        assert_eq!(ui::text_of(wd, &heading).await, "Answer again with…");
        ui::pick(wd, DEMO).await;
        let demo = script(&format!(
            "const shown = (() => {{ {ANSWER} }})(); return !!shown && shown[0] === '3 / 3' && shown[4] === 'done' ? shown[3] : null;"
        ));
        let demo_text: String = serde_json::from_value(
            wd.wait(
                "the demo's answer, version 3 / 3",
                ui::ANSWER_TIMEOUT,
                &demo,
                vec![json!(1)],
            )
            .await,
        )
        .expect("the demo's text");
        let demo_text = normalize(&demo_text);
        assert!(ui::last_answer(wd).await.label.contains("runnel-demo"));

        // ‹ goes back: version 2, then 1, each with its own text and model.
        switch(wd, 1, "version-prev", "2 / 3", SECOND).await;
        assert!(ui::last_answer(wd).await.label.contains("gpt-fake"));
        let dismiss = wd.find("[data-testid=dismiss-hint]", UI_TIMEOUT).await;
        let gone = script("return !visible('[data-testid=first-run-hint]');");
        wd.click_until(&dismiss, "the demo's hint to go", &gone, vec![]).await;
        ui::screenshot(wd, "versions").await;
        switch(wd, 1, "version-prev", "1 / 3", FIRST).await;

        // The conversation goes on from the version shown: the request carries version 1.
        ui::choose_model(wd, GPT).await;
        ui::send(wd, NEXT).await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        let sent = fakes.openai.requests();
        assert_eq!(sent.len(), 3, "the demo answered version 3 itself");
        assert_eq!(
            sent[2].json()["messages"],
            json!([
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": FIRST},
                {"role": "user", "content": NEXT}
            ]),
            "the history carries the version shown"
        );

        // After a restart the versions are there, the one shown still shown.
        app.restart().await;
        let wd = &app.wd;
        let item = wd.find("[data-testid=conversation-item] .conv-open", UI_TIMEOUT).await;
        wd.click_until(
            &item,
            "the conversation to reopen",
            &script("return messages().length === 4;"),
            vec![],
        )
        .await;
        wait_version(wd, 1, "1 / 3", FIRST).await;
        let later = wd.read::<Option<Vec<String>>>(&script(ANSWER), vec![json!(2)]).await;
        assert_eq!(
            later.map(|shown| shown[0].clone()),
            Some(String::new()),
            "one version: no switcher"
        );
        switch(wd, 1, "version-next", "2 / 3", SECOND).await;
        assert_eq!(ui::messages(wd).await.len(), 2, "version 2 has no next turn");
        switch(wd, 1, "version-next", "3 / 3", &demo_text).await;

        // An edit of the question is one more version of the turn, sent without the turn it edits.
        let edit = wd
            .find("[data-testid=message][data-role=user] [data-action=edit]", UI_TIMEOUT)
            .await;
        wd.click_until(
            &edit,
            "the editor to open",
            &script("return visible('[data-testid=edit-input]');"),
            vec![],
        )
        .await;
        let input = wd.find("[data-testid=edit-input]", UI_TIMEOUT).await;
        wd.fill(&input, EDITED).await;
        let save = wd.find("[data-testid=edit-save]", UI_TIMEOUT).await;
        wd.click_until(
            &save,
            "the edit to be sent",
            &script("return !visible('[data-testid=edit-input]');"),
            vec![],
        )
        .await;
        wait_version(wd, 1, "4 / 4", EDITED_ANSWER).await;
        assert_eq!(ui::messages(wd).await[0].text, EDITED);
        assert_eq!(
            fakes.openai.requests().last().expect("the edit's request").json()["messages"],
            json!([{"role": "user", "content": EDITED}])
        );
        switch(wd, 1, "version-prev", "3 / 4", &demo_text).await;
        assert_eq!(
            ui::messages(wd).await[0].text,
            QUESTION,
            "the edited question comes back with its answers"
        );
        app.quit().await;
    });
}
