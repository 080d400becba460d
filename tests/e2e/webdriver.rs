//! A small W3C WebDriver client over reqwest, enough to drive the app through tauri-driver.
//!
//! tauri-driver has been seen to close a connection without answering, so the client keeps
//! connections alive and resends a request that got no answer only when resending cannot do
//! anything twice: reads (element lookups, read-only scripts, screenshots). Clicks and keystrokes
//! are never resent blindly: [`WebDriver::click_until`] and [`WebDriver::keys_until`] resend one
//! only while its effect is still missing.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The W3C key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How often a request that got no answer is sent again (reads only).
const READ_ATTEMPTS: u32 = 4;
/// How long a missing click effect is waited for before the click is sent again.
const EFFECT_GRACE: Duration = Duration::from_millis(1500);
/// How long a click's or keystroke's effect may take to show: only a bound for a hang (a busy
/// 2-core machine can take seconds), the wait ends as soon as the effect holds.
const EFFECT_TIMEOUT: Duration = Duration::from_secs(30);

/// W3C key codes for [`WebDriver::keys_until`].
pub mod keys {
    /// Escape.
    pub const ESCAPE: &str = "\u{E00C}";
    /// Enter (Return).
    pub const ENTER: &str = "\u{E007}";
    /// Control (held until the end of the keystrokes).
    pub const CONTROL: &str = "\u{E009}";
    /// The left arrow.
    pub const ARROW_LEFT: &str = "\u{E012}";
    /// The right arrow.
    pub const ARROW_RIGHT: &str = "\u{E014}";
}

/// Why a WebDriver command failed.
#[derive(Debug)]
pub enum WdError {
    /// No answer came back: the command may or may not have been carried out.
    Lost(String),
    /// The driver answered with an error.
    Driver {
        /// HTTP status.
        status: u16,
        /// The W3C error code, e.g. `no such element`.
        error: String,
        /// The driver's message.
        message: String,
    },
}

/// A reference to an element of the page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Element {
    fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

/// A session: one running app with its window.
pub struct WebDriver {
    http: reqwest::Client,
    session_url: String,
}

impl WebDriver {
    /// Creates a session on the driver at `base` (`http://127.0.0.1:PORT`); this starts the app.
    pub async fn new_session(base: &str, capabilities: Value) -> Result<WebDriver, WdError> {
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = send(&http, Method::POST, &format!("{base}/session"), Some(&body), None).await?;
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a new session without an id: {value}"));
        Ok(WebDriver {
            http,
            session_url: format!("{base}/session/{id}"),
        })
    }

    /// Sends one command; a read (`resendable`) that got no answer is sent again.
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        resendable: bool,
        timeout: Option<Duration>,
    ) -> Result<Value, WdError> {
        let url = format!("{}{path}", self.session_url);
        let attempts = if resendable { READ_ATTEMPTS } else { 1 };
        let mut attempt = 1;
        loop {
            match send(&self.http, method.clone(), &url, body.as_ref(), timeout).await {
                Err(WdError::Lost(why)) if attempt < attempts => {
                    eprintln!("webdriver: no answer to {method} {path} ({why}); sending it again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                result => return result,
            }
        }
    }

    /// Runs a script that changes nothing (so it may be resent) and returns its value.
    pub async fn read<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>) -> T {
        let body = json!({ "script": script, "args": args });
        let value = self
            .command(Method::POST, "/execute/sync", Some(body), true, None)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e:?}\n{script}"));
        decode(value, script)
    }

    /// Runs a script once (it may act on the page) and returns its value.
    pub async fn run<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>) -> T {
        let body = json!({ "script": script, "args": args });
        let value = self
            .command(Method::POST, "/execute/sync", Some(body), false, None)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e:?}\n{script}"));
        decode(value, script)
    }

    /// Runs an asynchronous script once: it ends by calling its last argument with the result.
    pub async fn run_async<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>, timeout: Duration) -> T {
        let ms = u64::try_from(timeout.as_millis()).expect("a timeout in ms");
        self.command(Method::POST, "/timeouts", Some(json!({ "script": ms })), true, None)
            .await
            .unwrap_or_else(|e| panic!("setting the script timeout failed: {e:?}"));
        let body = json!({ "script": script, "args": args });
        let value = self
            .command(
                Method::POST,
                "/execute/async",
                Some(body),
                false,
                Some(timeout + Duration::from_secs(10)),
            )
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e:?}\n{script}"));
        decode(value, script)
    }

    /// Polls `script` (read-only) until it returns something other than `null` or `false`, and
    /// returns that; panics after `timeout`, saying what was awaited and what the script returned last.
    pub async fn wait(&self, what: &str, timeout: Duration, script: &str, args: Vec<Value>) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value: Value = self.read(script, args.clone()).await;
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return value;
            }
            if Instant::now() > deadline {
                panic!("timed out after {timeout:?} waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The first element matching `css`, if there is one now.
    pub async fn find_now(&self, css: &str) -> Option<Element> {
        let body = json!({ "using": "css selector", "value": css });
        match self.command(Method::POST, "/element", Some(body), true, None).await {
            Ok(value) => Some(element(&value)),
            Err(WdError::Driver { error, .. }) if error == "no such element" => None,
            Err(e) => panic!("finding {css:?} failed: {e:?}"),
        }
    }

    /// The first element matching `css`, waiting up to `timeout` for it to appear.
    pub async fn find(&self, css: &str, timeout: Duration) -> Element {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.find_now(css).await {
                return found;
            }
            if Instant::now() > deadline {
                panic!("no element matches {css:?} after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Every element matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let body = json!({ "using": "css selector", "value": css });
        let value = self
            .command(Method::POST, "/elements", Some(body), true, None)
            .await
            .unwrap_or_else(|e| panic!("finding {css:?} failed: {e:?}"));
        value
            .as_array()
            .map(|list| list.iter().map(element).collect())
            .unwrap_or_default()
    }

    /// Clicks once; never resent.
    pub async fn click(&self, el: &Element) -> Result<(), WdError> {
        self.command(
            Method::POST,
            &format!("/element/{}/click", el.0),
            Some(json!({})),
            false,
            None,
        )
        .await
        .map(drop)
    }

    /// Clicks `el`, then waits until `effect` (a read-only script) holds; the click is sent again
    /// only if its request got no answer and the effect is still missing after a grace period.
    pub async fn click_until(&self, el: &Element, what: &str, effect: &str, args: Vec<Value>) {
        let deadline = Instant::now() + EFFECT_TIMEOUT;
        for attempt in 1..=3 {
            match self.click(el).await {
                Ok(()) => {
                    self.wait(what, deadline.saturating_duration_since(Instant::now()), effect, args)
                        .await;
                    return;
                }
                Err(WdError::Lost(why)) => {
                    eprintln!("webdriver: click #{attempt} for {what} got no answer ({why})");
                    if self.holds_within(EFFECT_GRACE, effect, &args).await {
                        return;
                    }
                }
                Err(e) => panic!("clicking for {what} failed: {e:?}"),
            }
        }
        panic!("clicking for {what} never got an answer");
    }

    /// Types `keys` into `el` (special keys from [`keys`]), then waits until `effect` holds; sent
    /// again only as [`WebDriver::click_until`] resends a click.
    pub async fn keys_until(&self, el: &Element, keys: &str, what: &str, effect: &str, args: Vec<Value>) {
        let deadline = Instant::now() + EFFECT_TIMEOUT;
        for attempt in 1..=3 {
            match self.send_keys(el, keys).await {
                Ok(()) => {
                    self.wait(what, deadline.saturating_duration_since(Instant::now()), effect, args)
                        .await;
                    return;
                }
                Err(WdError::Lost(why)) => {
                    eprintln!("webdriver: keys #{attempt} for {what} got no answer ({why})");
                    if self.holds_within(EFFECT_GRACE, effect, &args).await {
                        return;
                    }
                }
                Err(e) => panic!("typing for {what} failed: {e:?}"),
            }
        }
        panic!("typing for {what} never got an answer");
    }

    /// Replaces the value of a text field with `text` and checks it arrived whole.
    pub async fn fill(&self, el: &Element, text: &str) {
        let value_is = "return arguments[0].value === arguments[1];";
        for attempt in 1..=3 {
            self.command(
                Method::POST,
                &format!("/element/{}/clear", el.0),
                Some(json!({})),
                true,
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("clearing {el:?} failed: {e:?}"));
            match self.send_keys(el, text).await {
                Ok(()) => break,
                Err(WdError::Lost(why)) => eprintln!("webdriver: typing #{attempt} got no answer ({why})"),
                Err(e) => panic!("typing into {el:?} failed: {e:?}"),
            }
        }
        let typed: bool = self.read(value_is, vec![el.to_json(), json!(text)]).await;
        assert!(typed, "the field did not receive {text:?}");
    }

    async fn send_keys(&self, el: &Element, text: &str) -> Result<(), WdError> {
        let body = json!({ "text": text });
        self.command(
            Method::POST,
            &format!("/element/{}/value", el.0),
            Some(body),
            false,
            None,
        )
        .await
        .map(drop)
    }

    async fn holds_within(&self, grace: Duration, effect: &str, args: &[Value]) -> bool {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            let value: Value = self.read(effect, args.to_vec()).await;
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Sets the window's size (screenshots then look the same whatever the screen).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        let body = json!({ "width": width, "height": height });
        self.command(Method::POST, "/window/rect", Some(body), true, None)
            .await
            .unwrap_or_else(|e| panic!("resizing the window failed: {e:?}"));
    }

    /// Moves and resizes the window (outer position and size, in CSS pixels).
    pub async fn set_window_rect(&self, rect: WindowRect) {
        let body = json!({ "x": rect.x, "y": rect.y, "width": rect.width, "height": rect.height });
        self.command(Method::POST, "/window/rect", Some(body), true, None)
            .await
            .unwrap_or_else(|e| panic!("moving the window failed: {e:?}"));
    }

    /// Minimises the window (the driver may refuse it where no window manager can iconify).
    pub async fn minimize_window(&self) -> Result<(), WdError> {
        self.command(
            Method::POST,
            "/window/minimize",
            Some(json!({})),
            false,
            Some(Duration::from_secs(10)),
        )
        .await
        .map(|_| ())
    }

    /// The window's outer position and size, in CSS pixels.
    pub async fn window_rect(&self) -> WindowRect {
        let value = self
            .command(Method::GET, "/window/rect", None, true, None)
            .await
            .unwrap_or_else(|e| panic!("reading the window's place failed: {e:?}"));
        serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("a window rect, not {value}: {e}"))
    }

    /// A PNG of the page as it is painted now.
    pub async fn screenshot(&self) -> Vec<u8> {
        // WebKit takes the snapshot at the page's next rendering update, and a window that draws
        // on the CPU (src-tauri/src/drawing.rs) has none while its page is idle: the request then
        // never returns. A pixel in a corner that changes shade ten times a second, almost
        // transparent, gives it one; it goes once the snapshot is taken.
        self.run::<()>(
            "const tick = document.createElement('div');
             tick.id = 'e2e-snapshot-tick';
             tick.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
             document.body.append(tick);
             let n = 0;
             const beat = () => { if (!tick.isConnected) return; tick.style.background = `rgba(0,0,0,${++n % 2 ? 0.01 : 0.02})`; setTimeout(beat, 100); };
             beat();",
            vec![],
        )
        .await;
        let taken = self
            .command(Method::GET, "/screenshot", None, true, None)
            .await
            .unwrap_or_else(|e| panic!("taking a screenshot failed: {e:?}"));
        self.run::<()>("document.getElementById('e2e-snapshot-tick')?.remove();", vec![])
            .await;
        base64_decode(taken.as_str().expect("a screenshot is a base64 string"))
    }

    /// Ends a session whose app is already gone (closed or killed): errors are expected.
    pub async fn end_after_exit(&self) {
        let _ = self
            .command(Method::DELETE, "", None, false, Some(Duration::from_secs(10)))
            .await;
    }

    /// Ends the session: the app quits.
    pub async fn delete(&self) {
        match self.command(Method::DELETE, "", None, true, None).await {
            // A resent delete finds the session already gone.
            Ok(_) => {}
            Err(WdError::Driver { error, .. }) if error == "invalid session id" => {}
            Err(e) => panic!("ending the session failed: {e:?}"),
        }
    }
}

/// A window's outer position and size, as WebDriver's window rect gives them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct WindowRect {
    /// Left edge.
    pub x: i64,
    /// Top edge.
    pub y: i64,
    /// Outer width.
    pub width: i64,
    /// Outer height.
    pub height: i64,
}

/// An element's reference as a script argument.
pub fn arg(el: &Element) -> Value {
    el.to_json()
}

async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<&Value>,
    timeout: Option<Duration>,
) -> Result<Value, WdError> {
    let mut request = http
        .request(method, url)
        .timeout(timeout.unwrap_or(Duration::from_secs(60)));
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.map_err(|e| WdError::Lost(e.to_string()))?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|e| WdError::Lost(e.to_string()))?;
    let mut json: Value = serde_json::from_slice(&bytes).map_err(|_| {
        WdError::Lost(format!(
            "status {status}, not JSON: {}",
            String::from_utf8_lossy(&bytes)
        ))
    })?;
    let value = json["value"].take();
    if status >= 400 {
        return Err(WdError::Driver {
            status,
            error: value["error"].as_str().unwrap_or_default().to_owned(),
            message: value["message"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Ok(value)
}

fn element(value: &Value) -> Element {
    Element(
        value[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("not an element reference: {value}"))
            .to_owned(),
    )
}

fn decode<T: DeserializeOwned>(value: Value, script: &str) -> T {
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("unexpected script result {value} ({e}) from\n{script}"))
}

/// Standard base64 (with padding, whitespace ignored), as screenshots come.
fn base64_decode(text: &str) -> Vec<u8> {
    fn sextet(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    }
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for group in digits.chunks(4) {
        let bits = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | sextet(c) << (18 - 6 * i));
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..group.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGVsbG8="), b"hello");
        assert_eq!(base64_decode("aGVsbG8h"), b"hello!");
        assert_eq!(base64_decode("aGk=\n"), b"hi");
    }

    /// A driver that answers `{"value": 1}` to everything (and a session id to `POST /session`),
    /// but hangs up without an answer on the first request whose path ends with `drop_first`.
    /// Returns its base URL and the requests it received.
    async fn flaky_driver(drop_first: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut dropped = false;
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                let request = loop {
                    let mut chunk = [0u8; 4096];
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => break None,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0usize);
                        if buf.len() >= head_end + 4 + length {
                            break text.lines().next().map(str::to_owned);
                        }
                    }
                };
                let Some(line) = request else { continue };
                let path = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
                log.lock().unwrap().push(path.clone());
                if !dropped && path.ends_with(drop_first) {
                    dropped = true;
                    continue; // the socket closes without an answer
                }
                let body = if path == "POST /session" {
                    r#"{"value":{"sessionId":"s"}}"#
                } else {
                    r#"{"value":1}"#
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
            }
        });
        (base, seen)
    }

    #[tokio::test]
    async fn a_read_without_an_answer_is_sent_again() {
        let (base, seen) = flaky_driver("/execute/sync").await;
        let wd = WebDriver::new_session(&base, json!({})).await.unwrap();
        assert_eq!(wd.read::<u32>("return 1;", vec![]).await, 1);
        let sent = seen.lock().unwrap().clone();
        assert_eq!(
            sent,
            [
                "POST /session",
                "POST /session/s/execute/sync",
                "POST /session/s/execute/sync"
            ]
        );
    }

    #[tokio::test]
    async fn a_click_without_an_answer_is_not_sent_again() {
        let (base, seen) = flaky_driver("/click").await;
        let wd = WebDriver::new_session(&base, json!({})).await.unwrap();
        let clicked = wd.click(&Element("e".into())).await;
        assert!(matches!(clicked, Err(WdError::Lost(_))), "{clicked:?}");
        assert_eq!(
            seen.lock().unwrap().clone(),
            ["POST /session", "POST /session/s/element/e/click"]
        );
    }
}
