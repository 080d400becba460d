//! The real app, started by tauri-driver (which runs WebKitWebDriver, which runs the app) with a
//! throwaway data folder and an environment of its own.
//!
//! The app inherits the driver's environment, so each [`App`] has its own driver. The driver runs
//! in a process group of its own (with WebKitWebDriver, the app and WebKit's helper processes),
//! which teardown ends as a whole; a watchdog shell ends that group and deletes the temporary
//! folder if this test process dies first, so nothing outlives a run.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::webdriver::WebDriver;

/// The app binary: the one cargo built for this test target, unless `RUNNEL_APP_BINARY` names
/// another (the window benchmark measures the build `scripts/run` starts).
pub fn app_binary() -> String {
    std::env::var("RUNNEL_APP_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_runnel-app").to_owned())
}
/// The window size every test runs at (tauri.conf.json's default).
pub const WINDOW: (u32, u32) = (1120, 760);

/// Variables of the test's own environment the app must not see besides the test kit's
/// (`runnel_testkit::user_env`: keys, base URLs, Runnel's settings, proxies): the app's own
/// folders and switches, and the desktop's theme.
const SCRUBBED_FOR_THE_APP: &[&str] = &[
    "RUNNEL_DATA_DIR",
    "RUNNEL_KEYCHAIN_SERVICE",
    "RUNNEL_IPC_BENCH",
    "GTK_THEME",
];

/// Removes from `command`'s environment every variable the app must not inherit from the test's.
fn scrub(command: &mut Command) {
    for name in runnel_testkit::user_env() {
        command.env_remove(name);
    }
    for name in SCRUBBED_FOR_THE_APP {
        command.env_remove(name);
    }
}

/// How an app is started.
pub struct Launch<'a> {
    /// A name for its log file (`artifacts/e2e/logs/<name>.log`).
    pub name: &'a str,
    /// The `RUNNEL_PROVIDERS_FILE` contents, if any.
    pub providers: Option<String>,
    /// More environment variables (`GTK_THEME`, `RUNNEL_IPC_BENCH`).
    pub env: Vec<(&'a str, &'a str)>,
}

/// A running app, its driver and its data folder.
pub struct App {
    /// The WebDriver session of the app's window.
    pub wd: WebDriver,
    driver: Driver,
    root: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl App {
    /// Starts the app and waits until its window shows the chat with a model chosen.
    pub async fn launch(launch: Launch<'_>) -> App {
        let root = tempfile::Builder::new()
            .prefix("runnel-e2e-")
            .tempdir()
            .expect("a temporary folder");
        let data_dir = root.path().join("data");
        let mut env: Vec<(String, String)> = vec![
            ("RUNNEL_DATA_DIR".into(), data_dir.display().to_string()),
            ("RUNNEL_KEYCHAIN_SERVICE".into(), keychain_service()),
            ("RUNNEL_LOG".into(), "debug".into()),
            ("PATH".into(), path_with_browser_recorder(root.path())),
        ];
        if let Some(providers) = &launch.providers {
            let file = root.path().join("providers.json");
            std::fs::write(&file, providers).expect("writing the providers file");
            env.push(("RUNNEL_PROVIDERS_FILE".into(), file.display().to_string()));
        }
        env.extend(launch.env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let log = crate::artifacts().join("logs").join(format!("{}.log", launch.name));
        let driver = Driver::start(&env, &log, root.path()).await;
        let wd = driver.open_app().await;
        App { wd, driver, root, env }
    }

    /// Sends `signal` (`TERM`: the system asks the app to quit; `KILL`: a crash) to the app, waits
    /// until it has exited, and starts it again on the same data folder.
    pub async fn signal_and_relaunch(&mut self, signal: &str) {
        let group = self.driver.child.id().to_string();
        let _ = Command::new("pkill")
            .args([&format!("-{signal}"), "-g", &group, "-x", "runnel-app"])
            .status();
        self.driver.wait_app_gone().await;
        self.wd.end_after_exit().await;
        self.wd = self.driver.open_app().await;
    }

    /// Runs the app binary a second time, outside the driver, with the same environment but for
    /// `changed` (`RUNNEL_DATA_DIR` spelled another way); waits up to `timeout` for it to exit.
    /// `None` if it was still running (it is then killed).
    pub async fn launch_again(&self, name: &str, changed: &[(&str, &str)], timeout: Duration) -> Option<ExitStatus> {
        let log = crate::artifacts().join("logs").join(format!("{name}.log"));
        let output = File::create(&log).expect("creating the second launch's log");
        let mut command = Command::new(app_binary());
        command
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("a second handle on the log"))
            .stderr(output);
        scrub(&mut command);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.envs(changed.iter().copied());
        let mut child = command.spawn().expect("running the app binary");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().expect("waiting for the second launch") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Quits the app (ending its session closes it) and starts it again on the same data folder
    /// and environment.
    pub async fn restart(&mut self) {
        self.wd.delete().await;
        self.driver.wait_app_gone().await;
        self.wd = self.driver.open_app().await;
    }

    /// Quits the app as the system asks it to (SIGTERM: it exits as when its window is closed,
    /// and what it saves at exit is saved; ending the WebDriver session kills it instead), runs
    /// `between` on its data folder and temporary folder (the providers file is `providers.json`
    /// there) while it is gone, and starts it again on the same data folder and environment, its
    /// window at the size and place the app gives it.
    pub async fn restart_after(&mut self, between: impl FnOnce(&Path, &Path)) {
        let group = self.driver.child.id().to_string();
        let _ = Command::new("pkill")
            .args(["-TERM", "-g", &group, "-x", "runnel-app"])
            .status();
        self.driver.wait_app_gone().await;
        self.wd.end_after_exit().await;
        between(&self.data_dir(), self.root.path());
        self.wd = self.driver.open_app_as_it_opens().await;
    }

    /// Quits the app and stops its driver.
    pub async fn quit(self) {
        self.wd.delete().await;
        drop(self);
    }

    /// The URLs the app handed to the system browser (`xdg-open`, a recorder here), in order.
    pub fn opened_links(&self) -> Vec<String> {
        std::fs::read_to_string(self.root.path().join(OPENED_LINKS))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The data folder (`RUNNEL_DATA_DIR`).
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// What the driver, WebKitWebDriver and the app wrote to stdout and stderr so far.
    pub fn output(&self) -> Vec<u8> {
        std::fs::read(&self.driver.log).unwrap_or_default()
    }
}

/// The file in an app's temporary folder where its "system browser" writes each URL it is given.
const OPENED_LINKS: &str = "opened-links";

/// `PATH` with a folder in front holding an `xdg-open` (the system opener `open_link` runs) that
/// only appends its argument to [`OPENED_LINKS`]: links the app opens are seen by the tests, and
/// no real browser ever starts.
fn path_with_browser_recorder(root: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).expect("creating the recorder's folder");
    let opener = bin.join("xdg-open");
    let script = format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/../{OPENED_LINKS}\"\n");
    std::fs::write(&opener, script).expect("writing the browser recorder");
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).expect("making it runnable");
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

/// The keychain service every app of this run keeps its keys under (`RUNNEL_KEYCHAIN_SERVICE`).
pub fn keychain_service() -> String {
    format!("runnel-e2e-{}", std::process::id())
}

/// tauri-driver on two free ports, in its own process group, with a watchdog.
struct Driver {
    child: Child,
    watchdog: Child,
    base: String,
    log: PathBuf,
}

impl Driver {
    async fn start(env: &[(String, String)], log: &Path, root: &Path) -> Driver {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: run the end-to-end tests through scripts/e2e (Xvfb, D-Bus, a keyring)"
        );
        std::fs::create_dir_all(log.parent().expect("a log folder")).expect("creating the log folder");
        let output = File::create(log).expect("creating the driver log");
        let [port, native_port] = free_ports();
        let mut command = Command::new("tauri-driver");
        command
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("a second handle on the log"))
            .stderr(output)
            .process_group(0);
        scrub(&mut command);
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run tauri-driver ({e}): cargo install tauri-driver --locked"));
        let watchdog = Command::new("sh")
            .args([
                "-c",
                r#"while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; kill -KILL "-$2" 2>/dev/null; rm -rf "$3""#,
                "watchdog",
                &std::process::id().to_string(),
                &child.id().to_string(),
                &root.display().to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("starting the watchdog");
        let driver = Driver {
            child,
            watchdog,
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_owned(),
        };
        driver.wait_ready().await;
        driver
    }

    /// Waits until tauri-driver and WebKitWebDriver behind it answer `/status`.
    async fn wait_ready(&self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = match http.get(format!("{}/status", self.base)).send().await {
                Ok(response) => response
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not become ready; see {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the app in a new session, sized as every test's window is, and waits for its window
    /// to be ready.
    async fn open_app(&self) -> WebDriver {
        let wd = self.open_app_as_it_opens().await;
        wd.set_window_size(WINDOW.0, WINDOW.1).await;
        wd
    }

    /// Starts the app in a new session and waits for its window to be ready, at the size and
    /// place the app gave it.
    async fn open_app_as_it_opens(&self) -> WebDriver {
        let capabilities = json!({ "tauri:options": { "application": app_binary() } });
        let wd = WebDriver::new_session(&self.base, capabilities)
            .await
            .unwrap_or_else(|e| panic!("starting the app failed: {e:?}; see {}", self.log.display()));
        // The model button shows a model's name once the page has loaded its settings.
        let ready = "const b = document.querySelector('[data-testid=model-picker]');
                     return document.readyState === 'complete' && !!b && /[A-Za-z0-9]/.test(b.textContent);";
        wd.wait("the window to show a model", Duration::from_secs(30), ready, vec![])
            .await;
        wd
    }

    /// Waits until the app process of this driver's group has exited.
    async fn wait_app_gone(&self) {
        let group = self.child.id().to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let running = Command::new("pgrep")
                .args(["-g", &group, "-x", "runnel-app"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if !running {
                return;
            }
            assert!(Instant::now() < deadline, "the app did not quit when its session ended");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = self.child.id();
        signal_group(group, "TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // tauri-driver exits on TERM; whatever else of its group is left goes now.
        signal_group(group, "KILL");
        let _ = self.child.wait();
        signal_group(self.watchdog.id(), "KILL");
        let _ = self.watchdog.wait();
    }
}

fn signal_group(group: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

/// Two distinct free ports (both are held until both are known).
fn free_ports() -> [u16; 2] {
    let listeners = [(); 2].map(|()| TcpListener::bind("127.0.0.1:0").expect("a free port"));
    listeners.map(|listener| listener.local_addr().expect("a bound address").port())
}
