//! What a person does in the window, through the UI's test hooks (`data-testid`), and what the
//! window shows.

use std::time::{Duration, Instant};

use runnel_core::{KeyStore, KeychainStore};
use serde::Deserialize;
use serde_json::json;

use crate::webdriver::{Element, WebDriver, arg, keys};

/// How long an answer may take to end in these tests. These limits only bound a hang: every
/// wait ends as soon as its condition holds, and a busy 2-core machine can take seconds.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the window may take to show the effect of an action.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// Script helpers every script below may use.
const PRELUDE: &str = r#"
const $ = (css, root = document) => root.querySelector(css);
const visible = (css) => { const el = $(css); return !!el && el.getClientRects().length > 0; };
const messages = () => Array.from(document.querySelectorAll('[data-testid=message]')).map((m) => {
  const part = (id) => { const el = m.querySelector(`[data-testid=${id}]`); return el ? el.textContent : ''; };
  const head = m.cloneNode(true);
  head.querySelectorAll('[data-testid=message-text],[data-testid=message-stats],[data-testid=message-error],button')
    .forEach((el) => el.remove());
  return {
    role: m.dataset.role || '', state: m.dataset.state || '', busy: m.hasAttribute('aria-busy'),
    text: part('message-text'),
    stats: part('message-stats'), error: part('message-error'),
    thinking: (m.querySelector('.msg-thinking .thinking-text') || { textContent: '' }).textContent,
    label: head.textContent.replace(/\s+/g, ' ').trim(),
  };
});
"#;

/// A script with the [`PRELUDE`] helpers in scope.
pub fn script(body: &str) -> String {
    format!("{PRELUDE}\n{body}")
}

/// One message as the window shows it.
#[derive(Debug, Deserialize)]
pub struct Shown {
    /// `user` or `assistant`.
    pub role: String,
    /// `streaming`, `done`, `stopped` or `error` (user messages are `done`).
    pub state: String,
    /// The text of `message-text`, as rendered.
    pub text: String,
    /// The text of `message-stats`.
    pub stats: String,
    /// The text of `message-error`, if any.
    pub error: String,
    /// The model's thinking, as its collapsed block holds it (empty without one).
    pub thinking: String,
    /// Everything else the message shows (author or model name).
    pub label: String,
}

/// Every message of the transcript, in order.
pub async fn messages(wd: &WebDriver) -> Vec<Shown> {
    wd.read(&script("return messages();"), vec![]).await
}

/// The last answer of the transcript; panics if there is none.
pub async fn last_answer(wd: &WebDriver) -> Shown {
    messages(wd)
        .await
        .into_iter()
        .rev()
        .find(|m| m.role == "assistant")
        .expect("an answer in the transcript")
}

/// Waits until the last answer is no longer streaming and its text is in its final form (no
/// longer `aria-busy`: the ending formats it at the next frame), and returns it.
pub async fn wait_answer_end(wd: &WebDriver) -> Shown {
    let ended = script(
        "const last = messages().filter((m) => m.role === 'assistant').pop();
         return !!last && last.state !== 'streaming' && !last.busy;",
    );
    wd.wait(
        "the answer to end and show its final text",
        ANSWER_TIMEOUT,
        &ended,
        vec![],
    )
    .await;
    last_answer(wd).await
}

/// Waits until the last answer shows at least `chars` characters while still streaming.
pub async fn wait_answer_text(wd: &WebDriver, chars: usize) {
    let grown = script(
        "const last = messages().filter((m) => m.role === 'assistant').pop();
         if (last && last.state !== 'streaming') throw new Error(`the answer ended early: ${last.state}`);
         return !!last && last.text.length >= arguments[0];",
    );
    wd.wait("the answer to grow", ANSWER_TIMEOUT, &grown, vec![json!(chars)])
        .await;
}

/// Types `text` into the composer and clicks Send.
pub async fn send(wd: &WebDriver, text: &str) {
    let composer = wd.find("[data-testid=composer]", UI_TIMEOUT).await;
    wd.fill(&composer, text).await;
    let sent =
        script("return document.querySelectorAll('[data-testid=message][data-role=user]').length > arguments[0];");
    let before = messages(wd).await.iter().filter(|m| m.role == "user").count();
    let button = wd.find("[data-testid=send]", UI_TIMEOUT).await;
    wd.click_until(&button, "the message to be sent", &sent, vec![json!(before)])
        .await;
}

/// Clicks Stop and waits until the answer is no longer streaming.
pub async fn click_stop(wd: &WebDriver) {
    let stop = wd.find("[data-testid=stop]", UI_TIMEOUT).await;
    let stopped = script(
        "const last = messages().filter((m) => m.role === 'assistant').pop(); return last.state !== 'streaming';",
    );
    wd.click_until(&stop, "Stop to end the answer", &stopped, vec![]).await;
}

/// Presses Escape in the composer and waits until the answer is no longer streaming.
pub async fn press_escape(wd: &WebDriver) {
    let composer = wd.find("[data-testid=composer]", UI_TIMEOUT).await;
    let stopped = script(
        "const last = messages().filter((m) => m.role === 'assistant').pop(); return last.state !== 'streaming';",
    );
    wd.keys_until(&composer, keys::ESCAPE, "Esc to end the answer", &stopped, vec![])
        .await;
}

/// Opens the model picker: with Ctrl+K in the composer, or by clicking the model button.
pub async fn open_picker(wd: &WebDriver, with_keyboard: bool) {
    let open = script("return visible('[data-testid=model-option]');");
    if with_keyboard {
        let composer = wd.find("[data-testid=composer]", UI_TIMEOUT).await;
        let ctrl_k = format!("{}k", keys::CONTROL);
        wd.keys_until(&composer, &ctrl_k, "Ctrl+K to open the picker", &open, vec![])
            .await;
    } else {
        let button = wd.find("[data-testid=model-picker]", UI_TIMEOUT).await;
        wd.click_until(&button, "the picker to open", &open, vec![]).await;
    }
}

/// Chooses `model` (`provider/model`) in the open picker and waits until the model button names it.
pub async fn pick(wd: &WebDriver, model: &str) {
    let option = wd
        .find(
            &format!("[data-testid=model-option][data-model=\"{model}\"]"),
            UI_TIMEOUT,
        )
        .await;
    let id = model.split_once('/').map_or(model, |(_, id)| id);
    let chosen = script(
        "return !visible('[data-testid=model-option]')
           && $('[data-testid=model-picker]').textContent.includes(arguments[0]);",
    );
    wd.click_until(&option, &format!("{model} to be chosen"), &chosen, vec![json!(id)])
        .await;
}

/// Chooses `model` through the picker (opened by clicking).
pub async fn choose_model(wd: &WebDriver, model: &str) {
    open_picker(wd, false).await;
    pick(wd, model).await;
}

/// Opens Settings and waits for the provider rows.
pub async fn open_settings(wd: &WebDriver) {
    let button = wd.find("[data-testid=settings]", UI_TIMEOUT).await;
    let open = script("return visible('[data-testid=provider-row]');");
    wd.click_until(&button, "Settings to open", &open, vec![]).await;
}

/// Leaves Settings (the same button toggles it) and waits for the composer.
pub async fn close_settings(wd: &WebDriver) {
    let button = wd.find("[data-testid=settings]", UI_TIMEOUT).await;
    let closed = script("return visible('[data-testid=composer]') && !visible('[data-testid=provider-row]');");
    wd.click_until(&button, "Settings to close", &closed, vec![]).await;
}

/// In the open Settings, types `key` into `provider`'s row and clicks Save; returns once the key
/// is in the keychain (read from this process) and the row's status says a key is set.
pub async fn save_key(wd: &WebDriver, provider: &str, key: &str) -> String {
    let row = format!("[data-testid=provider-row][data-provider=\"{provider}\"]");
    let input = wd.find(&format!("{row} [data-testid=api-key-input]"), UI_TIMEOUT).await;
    wd.fill(&input, key).await;
    let save = wd.find(&format!("{row} [data-testid=api-key-save]"), UI_TIMEOUT).await;
    let cleared = "return arguments[0].value === '';";
    wd.click_until(&save, "the key field to clear on Save", cleared, vec![arg(&input)])
        .await;
    let deadline = Instant::now() + UI_TIMEOUT;
    while stored_key(provider).await.as_deref() != Some(key) {
        assert!(Instant::now() < deadline, "the key never reached the keychain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = script(
        "const t = $(arguments[0] + ' [data-testid=api-key-status]').textContent;
         return /\\bset\\b|saved/i.test(t) && !/\\bno\\b|\\bnot\\b|unavailable/i.test(t) ? t : null;",
    );
    let shown = wd
        .wait("the key status to say set", UI_TIMEOUT, &status, vec![json!(row)])
        .await;
    shown.as_str().unwrap_or_default().to_owned()
}

/// The key the real keychain holds for `provider` under this run's service name.
pub async fn stored_key(provider: &str) -> Option<String> {
    let provider = provider.to_owned();
    tokio::task::spawn_blocking(move || {
        KeychainStore::new(&crate::app::keychain_service())
            .get(&provider)
            .unwrap_or_else(|e| panic!("reading the keychain failed: {e}"))
            .map(|stored| stored.key.expose().to_owned())
    })
    .await
    .expect("the keychain read")
}

/// Deletes `provider`'s key from the keychain (cleanup; the app is not told).
pub async fn forget_key(provider: &str) {
    let provider = provider.to_owned();
    tokio::task::spawn_blocking(move || KeychainStore::new(&crate::app::keychain_service()).delete(&provider))
        .await
        .expect("the keychain delete")
        .expect("deleting the key from the keychain");
}

/// Closes the picker if open and starts a new, empty conversation (which also leaves Settings).
pub async fn new_conversation(wd: &WebDriver) {
    if wd
        .read::<bool>(&script("return visible('[data-testid=model-option]');"), vec![])
        .await
    {
        let button = wd.find("[data-testid=model-picker]", UI_TIMEOUT).await;
        let closed = script("return !visible('[data-testid=model-option]');");
        wd.click_until(&button, "the picker to close", &closed, vec![]).await;
    }
    let button = wd.find("[data-testid=new-conversation]", UI_TIMEOUT).await;
    let empty = script("return visible('[data-testid=composer]') && messages().length === 0;");
    wd.click_until(&button, "an empty conversation", &empty, vec![]).await;
}

/// Opens the compare view (unless it shows already) and chooses each of `models` not chosen yet.
pub async fn choose_compare_models(wd: &WebDriver, models: &[&str]) {
    let shown = script("return visible('[data-testid=compare-prompt]');");
    if !wd.read::<bool>(&shown, vec![]).await {
        let open = wd.find("[data-testid=compare-open]", UI_TIMEOUT).await;
        wd.click_until(&open, "the compare view to open", &shown, vec![]).await;
    }
    let chosen = script(
        "return $(`[data-testid=compare-model][data-model=\"${arguments[0]}\"]`).getAttribute('aria-pressed') === 'true';",
    );
    for model in models {
        if wd.read::<bool>(&chosen, vec![json!(model)]).await {
            continue; // still chosen from a run before
        }
        let chip = wd
            .find(
                &format!("[data-testid=compare-model][data-model=\"{model}\"]"),
                UI_TIMEOUT,
            )
            .await;
        wd.click_until(&chip, &format!("{model} to be chosen"), &chosen, vec![json!(model)])
            .await;
    }
}

/// Lets the page settle (a screenshot right after an action may show an earlier frame), then
/// saves a screenshot as `artifacts/e2e/<name>.png`.
pub async fn screenshot(wd: &WebDriver, name: &str) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let png = wd.screenshot().await;
    let path = crate::artifacts().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// An element's `textContent` (WebKitWebDriver's own "element text" comes back empty for some
/// visible elements, such as the sidebar's conversation items).
pub async fn text_of(wd: &WebDriver, el: &Element) -> String {
    wd.read("return arguments[0].textContent;", vec![arg(el)]).await
}

/// Text with every run of whitespace made one space, trimmed: rendered Markdown keeps the words
/// and their order, not the line breaks.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
