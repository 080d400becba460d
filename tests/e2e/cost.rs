//! What an answer cost, in the real window: the fake OpenAI-style provider's model is priced in
//! the providers file (`fakes::gpt_price`), its stream reports 9 prompt tokens and one answer
//! token per delta; the demo model has no price.

use runnel_testkit::Reply;

use crate::fakes::{DEMO, GPT, OPENAI_CHAT, openai_sse};
use crate::ui::{self, UI_TIMEOUT, script};
use crate::webdriver::WebDriver;
use crate::{Shared, on_shared_app};

/// The text of the first element `css` matches in the last answer.
const IN_LAST_ANSWER: &str = "const answers = document.querySelectorAll('[data-testid=message][data-role=assistant]');
  const last = answers[answers.length - 1];
  const el = last && last.querySelector(arguments[0]);
  return el ? el.textContent : null;";

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn an_answer_shows_its_cost_and_the_conversation_sums_the_priced_ones() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        s.fakes
            .openai
            .route(OPENAI_CHAT, Reply::sse(openai_sse(&["Two ", "words"])));
        ui::choose_model(wd, GPT).await;
        ui::send(wd, "What does this cost?").await;
        let answer = ui::wait_answer_end(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        // 9 prompt tokens × $3 + 2 answer tokens × $10, per million.
        let cost = last_answer_cost(wd).await;
        assert_eq!(cost.as_deref(), Some("$0.000047"));
        let total = script(
            "const el = $('[data-testid=conversation-cost]'); return !!el && !el.hidden && el.textContent === arguments[0];",
        );
        wd.wait(
            "the conversation's cost",
            UI_TIMEOUT,
            &total,
            vec![serde_json::json!("Conversation: $0.000047")],
        )
        .await;
        ui::screenshot(wd, "answer-cost").await;

        // The demo model has no price: its answer shows no cost, and the sum says so.
        ui::choose_model(wd, DEMO).await;
        ui::send(wd, "And this one?").await;
        let answer = ui::wait_answer_end(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        let cost = last_answer_cost(wd).await;
        assert_eq!(cost, None, "no price, no cost: {answer:?}");
        wd.wait(
            "the conversation's cost to name the unpriced answer",
            UI_TIMEOUT,
            &total,
            vec![serde_json::json!("Conversation: $0.000047 · 1 answer not priced")],
        )
        .await;
    });
}

/// The text of the last answer's `message-cost`, `None` when it shows none.
async fn last_answer_cost(wd: &WebDriver) -> Option<String> {
    wd.read(
        &script(IN_LAST_ANSWER),
        vec![serde_json::json!("[data-testid=message-cost]")],
    )
    .await
}
