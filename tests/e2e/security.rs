//! The window's own defences, from inside the real page: the CSP refuses inline scripts and
//! remote images put into the DOM, and the capabilities refuse every command outside the app's
//! list (plugins, core plugins, and the app's own `ipc_bench`, granted only with
//! `RUNNEL_IPC_BENCH=1`). WebDriver's own script execution is how the page is driven; what it
//! inserts is subject to the page's policy like anything else.

use std::time::Duration;

use runnel_testkit::{FakeServer, Reply};
use serde::Deserialize;
use serde_json::json;

use crate::{Shared, on_shared_app};

/// What the page saw after inserting an inline script, remote resources and a `data:` image.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Refused {
    /// Whether the inline script's body ran.
    inline_ran: bool,
    /// Whether the remote script's body ran (the loopback server would have served it).
    remote_ran: bool,
    /// `load` or `error` for the remote image.
    remote_image: Option<String>,
    /// `load` or `error` for the `data:` image the CSP allows (the control).
    data_image: Option<String>,
    /// `securitypolicyviolation` events: `directive blockedURI`.
    violations: Vec<String>,
}

const INSERT: &str = r#"
const [origin, done] = arguments;
const violations = [];
const onViolation = (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`);
document.addEventListener('securitypolicyviolation', onViolation);
window.__e2eInline = false;
window.__e2eRemote = false;
const inserted = [];
const add = (el) => { document.body.appendChild(el); inserted.push(el); return el; };

const inline = document.createElement('script');
inline.textContent = 'window.__e2eInline = true;';
add(inline);

const remoteScript = document.createElement('script');
remoteScript.src = origin + '/e2e.js';
add(remoteScript);

const result = { remoteImage: null, dataImage: null };
const remote = document.createElement('img');
remote.onload = () => (result.remoteImage = 'load');
remote.onerror = () => (result.remoteImage = 'error');
remote.src = origin + '/e2e.png';
add(remote);

// A 1×1 PNG: images from data: are allowed, so this one must load.
const data = document.createElement('img');
data.onload = () => (result.dataImage = 'load');
data.onerror = () => (result.dataImage = 'error');
data.src = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
add(data);

const started = performance.now();
(function poll() {
  const settled = result.remoteImage !== null && result.dataImage !== null;
  const reported = violations.some((v) => v.startsWith('img-src')) && violations.filter((v) => v.startsWith('script-src')).length >= 2;
  if ((settled && reported) || performance.now() - started > 20000) {
    document.removeEventListener('securitypolicyviolation', onViolation);
    inserted.forEach((el) => el.remove());
    done({ inlineRan: window.__e2eInline, remoteRan: window.__e2eRemote, violations, ...result });
  } else {
    setTimeout(poll, 50);
  }
})();
"#;

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn the_csp_refuses_inline_scripts_and_remote_loads_in_the_real_window() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        // A server on 127.0.0.1 that would serve both a script and an image.
        let remote = FakeServer::start().await;
        remote.route(
            "/e2e.js",
            Reply::json(200, "window.__e2eRemote = true;").header("content-type", "text/javascript"),
        );
        remote.route(
            "/e2e.png",
            Reply::json(200, "not really a png").header("content-type", "image/png"),
        );

        let seen: Refused = wd
            .run_async(INSERT, vec![json!(remote.url())], Duration::from_secs(40))
            .await;
        println!("CSP in the real window: {seen:?}");
        assert!(!seen.inline_ran, "an inline script inserted into the page ran");
        assert!(!seen.remote_ran, "a script from another origin ran");
        assert_eq!(
            seen.data_image.as_deref(),
            Some("load"),
            "the control: data: images load"
        );
        assert_eq!(seen.remote_image.as_deref(), Some("error"), "a remote image loaded");
        let port = remote.addr().port().to_string();
        assert!(
            seen.violations
                .iter()
                .any(|v| v.starts_with("img-src") && v.contains(&port)),
            "the remote image was reported as a violation: {:?}",
            seen.violations
        );
        assert!(
            seen.violations
                .iter()
                .any(|v| v.starts_with("script-src") && v.ends_with(" inline")),
            "the inline script was reported as a violation: {:?}",
            seen.violations
        );
        assert!(
            seen.violations
                .iter()
                .any(|v| v.starts_with("script-src") && v.contains(&port)),
            "the remote script was reported as a violation: {:?}",
            seen.violations
        );
        assert_eq!(remote.connection_count(), 0, "the page reached the remote server");
    });
}

/// What became of one `invoke`.
#[derive(Debug, Deserialize)]
struct Invoked {
    command: String,
    ok: bool,
    /// The value, or the error as text.
    detail: String,
}

const INVOKE_ALL: &str = r#"
const [commands, done] = arguments;
const T = window.__TAURI_INTERNALS__;
const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
Promise.all(commands.map(([command, args]) => {
  let call;
  try {
    call = T.invoke(command, args);
  } catch (e) {
    return { command, ok: false, detail: 'threw: ' + text(String(e)) };
  }
  return call.then((v) => ({ command, ok: true, detail: text(v) }), (e) => ({ command, ok: false, detail: text(e) }));
})).then(done, (e) => done([{ command: 'all', ok: false, detail: String(e) }]));
"#;

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn commands_outside_the_apps_list_are_refused_in_the_real_window() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        let refused = [
            // Plugins the app does not have, core plugins it does not grant, and its own
            // benchmark command (granted only with RUNNEL_IPC_BENCH=1).
            ("plugin:fs|read_file", json!({ "path": "/etc/hostname" })),
            ("plugin:shell|open", json!({ "path": "https://example.com" })),
            (
                "plugin:http|fetch",
                json!({ "clientConfig": { "url": "http://127.0.0.1:9/", "method": "GET" } }),
            ),
            (
                "plugin:event|listen",
                json!({ "event": "runnel://e2e", "target": { "kind": "Any" }, "handler": 0 }),
            ),
            ("plugin:event|emit", json!({ "event": "runnel://e2e", "payload": null })),
            ("plugin:app|version", json!({})),
            ("plugin:path|resolve_directory", json!({ "directory": 1 })),
            ("plugin:webview|print", json!({ "label": "main" })),
            ("plugin:window|title", json!({ "label": "main" })),
            (
                "ipc_bench",
                json!({ "mode": "channel", "count": 1, "size": 1, "onEvent": "__CHANNEL__:0" }),
            ),
        ];
        // The control: a command on the list answers.
        let mut commands = vec![json!(["app_info", {}])];
        commands.extend(refused.iter().map(|(command, args)| json!([command, args])));
        let results: Vec<Invoked> = wd
            .run_async(INVOKE_ALL, vec![json!(commands)], Duration::from_secs(30))
            .await;
        for result in &results {
            println!("{}: ok={} {}", result.command, result.ok, result.detail);
        }
        assert_eq!(results.len(), refused.len() + 1);
        assert!(
            results[0].ok && results[0].detail.contains("data_dir"),
            "app_info is granted: {:?}",
            results[0]
        );
        for result in &results[1..] {
            assert!(!result.ok, "{} was allowed: {}", result.command, result.detail);
            assert!(
                result.detail.contains("not allowed"),
                "{} was refused by the ACL, not by something else: {}",
                result.command,
                result.detail
            );
        }
    });
}
