//! Apps of their own: history across a restart, the first run on the offline demo, and the dark
//! theme.

use std::time::Duration;

use runnel_testkit::{Reply, fixture};
use serde_json::Value;

use crate::alone;
use crate::app::{App, Launch};
use crate::fakes::{DEMO, Fakes, GPT, OPENAI_CHAT, OPENAI_FIXTURE_TEXT};
use crate::ui::{self, normalize, script};

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn history_survives_a_restart() {
    alone(async || {
        let fakes = Fakes::start().await;
        fakes.openai.route(OPENAI_CHAT, Reply::sse(fixture("openai_text.sse")));
        let mut app = App::launch(Launch {
            name: "restart",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        ui::choose_model(&app.wd, GPT).await;
        ui::send(&app.wd, "Remember the apples").await;
        assert_eq!(ui::wait_answer_end(&app.wd).await.state, "done");

        app.restart().await;
        let wd = &app.wd;
        let item = wd
            .find("[data-testid=conversation-item]", Duration::from_secs(10))
            .await;
        assert_eq!(wd.find_all("[data-testid=conversation-item]").await.len(), 1);
        let title = ui::text_of(wd, &item).await;
        assert!(title.contains("Remember the apples"), "the sidebar shows {title:?}");
        let opened = script("return messages().length === 2;");
        wd.click_until(&item, "the conversation to open", &opened, vec![]).await;
        let shown = ui::messages(wd).await;
        assert_eq!(
            (shown[0].role.as_str(), shown[0].text.as_str()),
            ("user", "Remember the apples")
        );
        assert_eq!((shown[1].role.as_str(), shown[1].state.as_str()), ("assistant", "done"));
        assert_eq!(normalize(&shown[1].text), normalize(OPENAI_FIXTURE_TEXT));
        assert!(
            shown[1].label.contains("gpt-fake"),
            "the answer names its model: {:?}",
            shown[1].label
        );
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn first_run_answers_from_the_demo() {
    alone(async || {
        let app = App::launch(Launch {
            name: "first-run",
            providers: None,
            env: vec![],
        })
        .await;
        let wd = &app.wd;
        let picker = wd.find("[data-testid=model-picker]", Duration::from_secs(5)).await;
        let model = ui::text_of(wd, &picker).await;
        assert!(
            model.contains(runnel_core::demo::DEMO_MODEL),
            "a first run starts on the demo model, not {model:?}"
        );
        ui::send(wd, "hello").await;
        let answer = ui::wait_answer_end(wd).await;
        assert_eq!(answer.state, "done", "{answer:?}");
        assert!(
            answer.text.trim_start().starts_with("Hello!"),
            "the demo answered {:?}",
            answer.text
        );
        // Markdown and code from the demo, caught mid-stream, for the README.
        ui::send(wd, "Show me some Rust code").await;
        ui::wait_answer_text(wd, 260).await;
        ui::screenshot(wd, "demo-streaming").await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "done");
        app.quit().await;
    });
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn dark_theme_follows_gtk() {
    alone(async || {
        let fakes = Fakes::start().await;
        let app = App::launch(Launch {
            name: "dark",
            providers: Some(fakes.providers_file()),
            env: vec![("GTK_THEME", "Adwaita:dark")],
        })
        .await;
        let wd = &app.wd;
        let theme: Value = wd
            .read(
                &script(
                    "let el = $('[data-testid=transcript]');
                     let bg = 'rgba(0, 0, 0, 0)';
                     while (el && /rgba\\(.*, 0\\)|transparent/.test(bg)) { bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
                     return { dark: matchMedia('(prefers-color-scheme: dark)').matches, bg };",
                ),
                vec![],
            )
            .await;
        assert_eq!(
            theme["dark"], true,
            "GTK_THEME=Adwaita:dark should make the page prefer dark"
        );
        let rgb: Vec<f64> = theme["bg"]
            .as_str()
            .unwrap_or_default()
            .split(|c: char| !c.is_ascii_digit() && c != '.')
            .filter_map(|n| n.parse().ok())
            .take(3)
            .collect();
        let luminance = rgb.iter().sum::<f64>() / (3.0 * 255.0);
        assert!(
            rgb.len() == 3 && luminance < 0.3,
            "the chat background is not dark: {theme}"
        );

        // The demo's long story: real prose to stop in the middle of.
        ui::choose_model(wd, DEMO).await;
        ui::send(wd, "Tell me a long story").await;
        ui::wait_answer_text(wd, 400).await;
        ui::click_stop(wd).await;
        assert_eq!(ui::wait_answer_end(wd).await.state, "stopped");
        ui::screenshot(wd, "stopped-dark").await;
        app.quit().await;
    });
}
