//! End-to-end tests of the real app: the real window (WebKitGTK) driven through tauri-driver,
//! talking to fake providers on 127.0.0.1, with history in a throwaway folder and keys in the real
//! Secret Service.
//!
//! They need a display, tauri-driver and a Secret Service, so they are ignored by a plain
//! `cargo test`; `scripts/e2e` (alone) and `scripts/test` (with everything) run them inside
//! `xvfb-run` and a private D-Bus session with an unlocked throwaway gnome-keyring.
//!
//! Tests run one at a time (a process-wide lock). The chat scenarios share one app and one pair
//! of fake providers, started by the first of them; a scenario that fails takes that app down
//! with it and the next one starts a fresh app. Restart, first run, the dark theme, the IPC
//! measurement and the resilience scenarios (start-up banner, quit, second launch, kill -9) start
//! apps of their own. Screenshots go to `artifacts/e2e/`, the driver's and
//! the app's output to `artifacts/e2e/logs/`.

mod a11y;
mod app;
mod chat;
mod compare;
mod cost;
#[cfg(target_os = "linux")]
mod drawing;
mod export;
mod fakes;
mod inspector;
mod ipc;
mod keys;
mod lifecycle;
mod procs;
mod protocols;
mod resilience;
mod security;
mod sources;
mod ui;
mod versions;
mod webdriver;
mod window;
mod window_bench;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::app::{App, Launch};
use crate::fakes::Fakes;

/// Tests take this lock: one app at a time on the display and the keychain.
static SERIAL: Mutex<()> = Mutex::new(());
/// The app and fakes the chat scenarios share, between tests.
static SHARED: Mutex<Option<Shared>> = Mutex::new(None);

/// The app the chat scenarios share, and its fake providers.
pub struct Shared {
    /// The running app.
    pub app: App,
    /// The providers it is pointed at.
    pub fakes: Fakes,
}

impl Shared {
    async fn start() -> Shared {
        let fakes = Fakes::start().await;
        let app = App::launch(Launch {
            name: "shared",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        Shared { app, fakes }
    }
}

/// The runtime every test runs on; the fake providers' tasks live on it between tests.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs a scenario on the shared app, in a new empty conversation. The app goes back to the
/// pool only if the scenario passed.
pub fn on_shared_app(scenario: impl AsyncFnOnce(&mut Shared)) {
    let _serial = serial();
    let taken = SHARED.lock().unwrap_or_else(PoisonError::into_inner).take();
    let mut shared = match taken {
        Some(shared) => shared,
        None => runtime().block_on(Shared::start()),
    };
    runtime().block_on(async {
        ui::new_conversation(&shared.app.wd).await;
        scenario(&mut shared).await;
    });
    *SHARED.lock().unwrap_or_else(PoisonError::into_inner) = Some(shared);
}

/// Runs a scenario that starts its own app(s).
pub fn alone(scenario: impl AsyncFnOnce()) {
    let _serial = serial();
    runtime().block_on(scenario());
}

/// `artifacts/e2e/` at the top of the repository (created on first use).
pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts").join("e2e");
    std::fs::create_dir_all(&dir).expect("creating artifacts/e2e");
    dir
}
