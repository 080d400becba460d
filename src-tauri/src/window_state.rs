//! The window's size, position and maximized state across restarts: the Tauri window-state
//! plugin, with its file in Runnel's data folder and two guards of Runnel's own.
//!
//! The plugin keeps the state in memory while the window moves and writes it when the app exits.
//! Its file, [`STATE_FILE`], lives in the data folder (the plugin joins its file name to the OS
//! config folder, and an absolute path replaces that folder), so each data folder — several run
//! side by side — remembers its own window. The guards:
//! - a state file larger than [`MAX_STATE_FILE_BYTES`] or that is not the plugin's JSON is moved
//!   aside with a warning before the plugin reads it: the window opens at its default size and
//!   the next exit writes a good file (the plugin alone would read any size and ignore a broken
//!   file silently);
//! - after the saved state is restored, a window of which too little would be on any monitor's
//!   work area is brought back on ([`placement`]): the plugin keeps a saved position when any
//!   corner of the window touches a monitor, even a window a few pixels of which show, and it
//!   compares with whole monitors, taskbars and panels included.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tauri::plugin::TauriPlugin;
use tauri::{PhysicalPosition, PhysicalSize, Runtime, WebviewWindow};
use tauri_plugin_window_state::{StateFlags, WindowExt};

/// The window state's file in the data folder.
pub const STATE_FILE: &str = "window-state.json";

/// The largest state file read: one window's state is about 200 bytes.
pub const MAX_STATE_FILE_BYTES: u64 = 64 * 1024;

/// The window the state is kept for (tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

/// What is kept: the size, the position and whether the window is maximized.
fn flags() -> StateFlags {
    StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED
}

/// How much of a window must be on a work area for it to stay where it was put: enough to see
/// and grab its title bar.
pub const MIN_VISIBLE: (u32, u32) = (160, 48);

/// The window-state plugin with its file in `data_dir`, after the file was checked
/// ([`check_state_file`]), and the main window's saved place (`None` when none was saved);
/// `None` (with a warning) when the file's path is not valid UTF-8, which the plugin's file name
/// must be: the window then opens at its default size each time. The main window's state is
/// restored by [`restore`] in the app's setup, not by the plugin when the window is made, so
/// that [`bring_on_screen`] runs after it.
pub fn plugin<R: Runtime>(data_dir: &Path) -> Option<(TauriPlugin<R>, Option<Rect>)> {
    let file = data_dir.join(STATE_FILE);
    let Some(name) = file.to_str() else {
        tracing::warn!(file = %file.display(), "the window's size and position are not kept: the data folder's path is not UTF-8");
        return None;
    };
    let saved = check_state_file(&file);
    let plugin = tauri_plugin_window_state::Builder::new()
        .with_state_flags(flags())
        .with_filename(name)
        .skip_initial_state(MAIN_WINDOW)
        .build();
    Some((plugin, saved))
}

/// Restores `window`'s saved state, then brings it on screen if its saved place `saved` is off
/// every screen. Failures are logged: the window then stays as it is.
pub fn restore<R: Runtime>(window: &WebviewWindow<R>, saved: Option<Rect>) {
    if let Err(error) = window.restore_state(flags()) {
        tracing::warn!(%error, "restoring the window's size and position failed");
    }
    if let Some(saved) = saved
        && let Err(error) = bring_on_screen(window, saved)
    {
        tracing::warn!(%error, "checking that the window is on a screen failed");
    }
}

/// A rectangle of the screen, in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rect {
    /// The width and height `self` and `other` share (0 when they do not meet).
    fn overlap(&self, other: &Rect) -> (u32, u32) {
        let span = |a: i32, a_len: u32, b: i32, b_len: u32| {
            let start = i64::from(a).max(i64::from(b));
            let end = (i64::from(a) + i64::from(a_len)).min(i64::from(b) + i64::from(b_len));
            u32::try_from((end - start).max(0)).unwrap_or(u32::MAX)
        };
        (
            span(self.x, self.width, other.x, other.width),
            span(self.y, self.height, other.y, other.height),
        )
    }
}

/// Where a window at `window` must go so that it can be seen, given the monitors' work areas
/// (the first is the one to go to): `None` when enough of it is on one of them already (the
/// smaller of [`MIN_VISIBLE`] and its own size, each way) or there is no monitor; else centered on
/// the first work area, no larger than it.
pub fn placement(window: Rect, work_areas: &[Rect]) -> Option<Rect> {
    let target = work_areas.first()?;
    let needed = (MIN_VISIBLE.0.min(window.width), MIN_VISIBLE.1.min(window.height));
    let visible = work_areas.iter().any(|area| {
        let (width, height) = window.overlap(area);
        width >= needed.0 && height >= needed.1
    });
    if visible {
        return None;
    }
    let width = window.width.min(target.width);
    let height = window.height.min(target.height);
    let centered = |start: i32, room: u32, len: u32| {
        i32::try_from(i64::from(start) + i64::from((room - len) / 2)).unwrap_or(start)
    };
    Some(Rect {
        x: centered(target.x, target.width, width),
        y: centered(target.y, target.height, height),
        width,
        height,
    })
}

/// Moves `window`, restored to `saved`, onto the primary monitor's work area (else the first
/// monitor's), no larger than it, when too little of `saved` is on any monitor's work area
/// ([`placement`]).
pub fn bring_on_screen<R: Runtime>(window: &WebviewWindow<R>, saved: Rect) -> tauri::Result<()> {
    let rect = |position: PhysicalPosition<i32>, size: PhysicalSize<u32>| Rect {
        x: position.x,
        y: position.y,
        width: size.width,
        height: size.height,
    };
    let mut areas: Vec<Rect> = window
        .available_monitors()?
        .iter()
        .map(|monitor| rect(monitor.work_area().position, monitor.work_area().size))
        .collect();
    if let Some(primary) = window.primary_monitor()? {
        let primary = rect(primary.work_area().position, primary.work_area().size);
        areas.retain(|area| *area != primary);
        areas.insert(0, primary);
    }
    let Some(to) = placement(saved, &areas) else {
        return Ok(());
    };
    tracing::warn!(?saved, ?to, "the window would have opened off screen: brought back on");
    window.set_size(PhysicalSize::new(to.width, to.height))?;
    window.set_position(PhysicalPosition::new(to.x, to.y))
}

/// Why a state file is not read.
#[derive(Debug, thiserror::Error)]
pub enum StateFileProblem {
    /// Larger than [`MAX_STATE_FILE_BYTES`].
    #[error("it is {0} bytes, more than the {MAX_STATE_FILE_BYTES} a window state can take")]
    TooLarge(u64),
    /// Not the plugin's JSON (a map from window labels to states).
    #[error("it is not a window state: {0}")]
    Invalid(#[from] serde_json::Error),
    /// It could not be read.
    #[error("it cannot be read: {0}")]
    Unreadable(#[from] std::io::Error),
}

/// One window's state as tauri-plugin-window-state 2 writes it (its `WindowState`, every field
/// required as the plugin reads it): a file that does not read as a map of these would be
/// ignored by the plugin without a word.
#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "every field is read to check the file's shape; only the place is used"
)]
struct SavedWindow {
    width: u32,
    height: u32,
    x: i32,
    y: i32,
    prev_x: i32,
    prev_y: i32,
    maximized: bool,
    visible: bool,
    decorated: bool,
    fullscreen: bool,
}

impl SavedWindow {
    /// Where the window goes when it is restored: its size, and its position before it was
    /// maximized if it was (the plugin places it so).
    fn place(&self) -> Rect {
        let (x, y) = if self.maximized {
            (self.prev_x, self.prev_y)
        } else {
            (self.x, self.y)
        };
        Rect {
            x,
            y,
            width: self.width,
            height: self.height,
        }
    }
}

/// The main window's saved place in the state file at `file`, if the plugin can read the file
/// (`Ok(None)` when it is missing or holds no state of the main window): at most
/// [`MAX_STATE_FILE_BYTES`] of window states.
pub fn saved_place(file: &Path) -> Result<Option<Rect>, StateFileProblem> {
    let size = match std::fs::metadata(file) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    if size > MAX_STATE_FILE_BYTES {
        return Err(StateFileProblem::TooLarge(size));
    }
    let text = std::fs::read(file)?;
    let states = serde_json::from_slice::<HashMap<String, SavedWindow>>(&text)?;
    Ok(states.get(MAIN_WINDOW).map(SavedWindow::place))
}

/// Checks the state file at `file` and returns the main window's saved place ([`saved_place`]).
/// A file the plugin must not read is moved aside (to `window-state.json.corrupt-<ms>`), with a
/// warning naming it and why, so the window opens at its default size and the next exit writes
/// a good one.
pub fn check_state_file(file: &Path) -> Option<Rect> {
    let problem = match saved_place(file) {
        Ok(place) => return place,
        Err(problem) => problem,
    };
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    let mut aside = file.as_os_str().to_owned();
    aside.push(format!(".corrupt-{ms}"));
    let aside = PathBuf::from(aside);
    match std::fs::rename(file, &aside) {
        Ok(()) => {
            tracing::warn!(file = %file.display(), moved_to = %aside.display(), %problem, "the window state file was not used: the window opens at its default size");
        }
        Err(error) => {
            // Left in place, a file the plugin cannot parse is ignored by it; an oversized one
            // that cannot be moved is emptied, so it is never read whole.
            if matches!(problem, StateFileProblem::TooLarge(_)) {
                let _ = std::fs::write(file, b"{}");
            }
            tracing::warn!(file = %file.display(), %problem, %error, "the window state file was not used and could not be moved aside: the window opens at its default size");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCREEN: Rect = Rect {
        x: 0,
        y: 0,
        width: 1280,
        height: 800,
    };

    fn window(x: i32, y: i32) -> Rect {
        Rect {
            x,
            y,
            width: 1000,
            height: 700,
        }
    }

    #[test]
    fn a_window_on_a_screen_stays_where_it_is() {
        assert_eq!(placement(window(100, 50), &[SCREEN]), None);
        // Mostly off, but its title bar can be seen and grabbed.
        assert_eq!(placement(window(1280 - 200, 800 - 60), &[SCREEN]), None);
        assert_eq!(placement(window(-800, 0), &[SCREEN]), None);
        // On the second monitor.
        let right = Rect { x: 1280, ..SCREEN };
        assert_eq!(placement(window(1500, 20), &[SCREEN, right]), None);
    }

    #[test]
    fn a_window_off_every_screen_comes_back_centered_on_the_first() {
        let far = placement(window(50_000, -40_000), &[SCREEN]);
        assert_eq!(
            far,
            Some(Rect {
                x: 140,
                y: 50,
                width: 1000,
                height: 700
            })
        );
        // A corner on screen is not enough (the plugin keeps such a position).
        assert!(placement(window(1275, 795), &[SCREEN]).is_some());
        // Only on a monitor that is gone.
        let second = Rect { x: 1280, ..SCREEN };
        assert!(placement(window(2800, 100), &[SCREEN, second]).is_some());
        // Extremes do not overflow.
        assert!(placement(window(i32::MAX, i32::MIN), &[SCREEN]).is_some());
    }

    #[test]
    fn a_window_larger_than_the_screen_is_shrunk_to_it() {
        let huge = Rect {
            x: 5_000,
            y: 5_000,
            width: 40_000,
            height: 30_000,
        };
        let area = Rect {
            x: 0,
            y: 32,
            width: 1280,
            height: 768,
        };
        assert_eq!(placement(huge, &[area]), Some(area));
    }

    #[test]
    fn a_small_window_counts_as_seen_when_all_of_it_is() {
        let small = Rect {
            x: 10,
            y: 10,
            width: 100,
            height: 40,
        };
        assert_eq!(placement(small, &[SCREEN]), None);
    }

    #[test]
    fn no_monitor_moves_nothing() {
        assert_eq!(placement(window(50_000, 0), &[]), None);
    }

    const GOOD: &str = r#"{"main":{"width":900,"height":600,"x":10,"y":20,"prev_x":0,"prev_y":0,"maximized":false,"visible":true,"decorated":true,"fullscreen":false}}"#;

    /// The files beside `file` that were moved aside.
    fn moved_aside(file: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("window-state.json.corrupt-")
            })
            .collect()
    }

    #[test]
    fn a_good_or_missing_state_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(STATE_FILE);
        assert!(matches!(saved_place(&file), Ok(None)));
        assert_eq!(check_state_file(&file), None);
        std::fs::write(&file, GOOD).unwrap();
        let place = Rect {
            x: 10,
            y: 20,
            width: 900,
            height: 600,
        };
        assert_eq!(check_state_file(&file), Some(place));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), GOOD);
        // Maximized, it goes back to where it was before.
        let maximized = GOOD
            .replace("\"maximized\":false", "\"maximized\":true")
            .replace("\"prev_x\":0", "\"prev_x\":-5");
        std::fs::write(&file, maximized).unwrap();
        assert_eq!(check_state_file(&file), Some(Rect { x: -5, y: 0, ..place }));
        // Another window's state only.
        std::fs::write(&file, GOOD.replace("\"main\"", "\"other\"")).unwrap();
        assert_eq!(check_state_file(&file), None);
        assert!(moved_aside(&file).is_empty());
    }

    #[test]
    fn a_broken_state_file_is_moved_aside() {
        for broken in ["{\"main\": {\"width\": 9", "[1, 2]", r#"{"main":{"width":900}}"#, ""] {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join(STATE_FILE);
            std::fs::write(&file, broken).unwrap();
            assert!(
                matches!(saved_place(&file), Err(StateFileProblem::Invalid(_))),
                "{broken:?}"
            );
            assert_eq!(check_state_file(&file), None);
            assert!(!file.exists());
            let aside = moved_aside(&file);
            assert_eq!(aside.len(), 1);
            assert_eq!(std::fs::read_to_string(&aside[0]).unwrap(), broken);
        }
    }

    #[test]
    fn an_oversized_state_file_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(STATE_FILE);
        let padded = format!("{GOOD}{}", " ".repeat(MAX_STATE_FILE_BYTES as usize));
        std::fs::write(&file, &padded).unwrap();
        let problem = saved_place(&file).unwrap_err();
        assert!(matches!(problem, StateFileProblem::TooLarge(n) if n == padded.len() as u64));
        assert!(problem.to_string().contains("more than the 65536"), "{problem}");
        assert_eq!(check_state_file(&file), None);
        assert!(!file.exists());
        assert_eq!(moved_aside(&file).len(), 1);
    }
}
