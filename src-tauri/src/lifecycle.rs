//! The app's process: one instance per data folder, and quitting that saves running answers.
//!
//! A second launch on the same data folder hands over to the first (which comes to the front)
//! and exits before the window system is set up ([`hand_over_to_running_instance`]); two launches
//! at the same moment are settled by the single-instance plugin's setup, which still runs before
//! the app's own setup opens, migrates or marks the database. Quitting — closing the window, `AppHandle::exit`, SIGTERM or
//! SIGINT — first stops every running answer and waits until each is saved as stopped.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::data_dir;
use crate::state::AppState;

/// How long quitting waits for running answers to be saved.
pub const SAVE_ON_QUIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Set once running answers were saved for quitting: the next exit request goes through.
static SAVED_FOR_EXIT: AtomicBool = AtomicBool::new(false);

/// The single-instance plugin, keyed on the data folder (the default one too), so that apps on
/// different data folders run side by side and two on the same one never do, however each
/// spells it.
pub fn single_instance<R: Runtime>(data_dir: &Path) -> TauriPlugin<R> {
    tauri_plugin_single_instance::Builder::new()
        .callback(|app, _argv, _cwd| focus_main(app))
        .dbus_id(instance_key(data_dir))
        .build()
}

/// What a launch that handed over to the running instance prints (stderr) before it exits.
pub const HANDED_OVER: &str = "Runnel is already running on this data folder: it was brought to the front";

/// Hands this launch over to the instance already running on data folder `data_dir`, if there is
/// one: it comes to the front and this process exits with 0 before GTK, WebKit or the runtime
/// start (exiting from inside the plugin's setup, with those threads running, crashed now and
/// then). Speaks the plugin's own D-Bus protocol (its name, object path and method), so the
/// first instance needs nothing more. Without a session bus, or when the call fails, the launch
/// goes on and the plugin decides.
#[cfg(target_os = "linux")]
pub fn hand_over_to_running_instance(data_dir: &Path) {
    let name = format!("{}.SingleInstance", instance_key(data_dir));
    match forward_to_owner(&name) {
        Ok(true) => {
            eprintln!("{HANDED_OVER}");
            std::process::exit(0);
        }
        Ok(false) => {}
        Err(error) => eprintln!("warning: could not look for a running Runnel: {error}"),
    }
}

/// Calls the single-instance callback of `name`'s owner with this launch's arguments; false when
/// the name has no owner.
#[cfg(target_os = "linux")]
fn forward_to_owner(name: &str) -> zbus::Result<bool> {
    let connection = zbus::blocking::Connection::session()?;
    let bus = zbus::blocking::fdo::DBusProxy::new(&connection)?;
    if !bus.name_has_owner(zbus::names::BusName::try_from(name)?)? {
        return Ok(false);
    }
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    let argv: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let cwd = std::env::current_dir()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    connection.call_method(
        Some(name),
        path.as_str(),
        Some("org.SingleInstance.DBus"),
        "ExecuteCallback",
        &(argv, cwd),
    )?;
    Ok(true)
}

/// The single-instance key of a data folder, the same for every spelling of it (`/d`, `/d/`, a
/// link to it): a D-Bus name (Linux) made of the app's identifier and a hash of the folder's
/// canonical path ([`data_dir::canonical`], which creates the folder if it is missing).
fn instance_key(data_dir: &Path) -> String {
    // FNV-1a: stable across builds, unlike std's hasher.
    let hash = data_dir::canonical(data_dir)
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("dev.runnel.app.d{hash:016x}")
}

/// Brings the first instance's window to the front.
fn focus_main<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("another launch handed over to this instance");
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Handles the run loop's events: an exit request while answers stream is held until they are
/// stopped and saved.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    let RunEvent::ExitRequested { code, api, .. } = event else {
        return;
    };
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if state.streams.count() == 0 || SAVED_FOR_EXIT.load(Ordering::SeqCst) {
        return;
    }
    api.prevent_exit();
    let streams = state.streams.clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let running = streams.count();
        if streams.stop_all_and_wait(SAVE_ON_QUIT_TIMEOUT).await {
            tracing::info!(running, "stopped and saved the running answers before quitting");
        } else {
            tracing::warn!(running, "some answers were still saving when Runnel quit");
        }
        SAVED_FOR_EXIT.store(true, Ordering::SeqCst);
        app.exit(code.unwrap_or(0));
    });
}

/// SIGTERM and SIGINT quit the app like closing its window does (running answers are saved).
#[cfg(unix)]
pub fn quit_on_signals<R: Runtime>(app: &AppHandle<R>) {
    use tokio::signal::unix::{SignalKind, signal};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut terminate), Ok(mut interrupt)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            tracing::warn!("cannot listen for SIGTERM and SIGINT: they will not save running answers");
            return;
        };
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: quitting"),
            _ = interrupt.recv() => tracing::info!("SIGINT: quitting"),
        }
        app.exit(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_folder_has_its_own_valid_dbus_name() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        let key = instance_key(&a);
        assert_ne!(key, instance_key(&b));
        assert_eq!(key, instance_key(&a));
        // D-Bus name elements: [A-Za-z0-9_-], not starting with a digit.
        for element in key.split('.') {
            assert!(!element.starts_with(|c: char| c.is_ascii_digit()), "{key}");
            assert!(element.chars().all(|c| c.is_ascii_alphanumeric()), "{key}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn every_spelling_of_a_data_folder_has_one_instance_key() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        let key = instance_key(&dir);
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        for spelling in [
            format!("{}/", dir.display()),
            format!("{}/./", dir.display()),
            link.display().to_string(),
            format!("{}/", link.display()),
        ] {
            assert_eq!(instance_key(Path::new(&spelling)), key, "{spelling}");
        }
    }
}
