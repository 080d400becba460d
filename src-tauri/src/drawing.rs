//! How the window's web view draws, chosen for the machine (docs/PERFORMANCE.md, "Drawing without
//! a GPU"). WebKitGTK composites the page with OpenGL. Without a GPU render node this user can
//! open (a virtual machine, a remote desktop, Xvfb), that OpenGL is Mesa's software rasterizer:
//! measured, each frame of a streaming answer then cost about 50 ms of CPU on two threads, frames
//! came 55 ms apart, and the compositor went on drawing for 3–5 s after the page stopped
//! changing. There the web view draws on the CPU without compositing: about two thirds of the
//! CPU at a token-like pace, and words on screen about six times sooner.

use std::fs::OpenOptions;
use std::path::Path;

/// How the web view draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawing {
    /// WebKit's default: composited with OpenGL on the GPU.
    Gpu,
    /// No GPU to composite on: drawn on the CPU, without compositing.
    Cpu,
}

/// Where the kernel puts the GPUs' render nodes (`renderD128`, …).
const RENDER_NODES: &str = "/dev/dri";

/// How this machine's web view should draw: on the CPU when Mesa is told to render in software
/// (`LIBGL_ALWAYS_SOFTWARE`) or no render node can be opened, else on the GPU.
pub fn for_this_machine() -> Drawing {
    choose(
        Path::new(RENDER_NODES),
        std::env::var("LIBGL_ALWAYS_SOFTWARE").ok().as_deref(),
    )
}

fn choose(render_nodes: &Path, always_software: Option<&str>) -> Drawing {
    let software = always_software.is_some_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"));
    let gpu = std::fs::read_dir(render_nodes)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
        .any(|entry| OpenOptions::new().read(true).write(true).open(entry.path()).is_ok());
    if gpu && !software { Drawing::Gpu } else { Drawing::Cpu }
}

/// Makes `window`'s web view draw as `drawing` says (WebKit's hardware acceleration policy; it
/// may change after the page has loaded).
pub fn apply(window: &tauri::WebviewWindow, drawing: Drawing) {
    if drawing == Drawing::Gpu {
        return;
    }
    let applied = window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    match applied {
        Ok(()) => tracing::info!(
            "no GPU to composite on (no render node, or software OpenGL): the window draws on the CPU, without compositing"
        ),
        Err(error) => tracing::warn!(%error, "could not make the window draw without compositing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_that_opens_means_the_gpu() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert_eq!(choose(dir.path(), None), Drawing::Gpu);
        assert_eq!(choose(dir.path(), Some("0")), Drawing::Gpu);
        assert_eq!(choose(dir.path(), Some("")), Drawing::Gpu);
    }

    #[test]
    fn no_render_node_or_software_gl_means_the_cpu() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(choose(dir.path(), None), Drawing::Cpu, "an empty folder");
        assert_eq!(choose(&dir.path().join("missing"), None), Drawing::Cpu, "no folder");
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert_eq!(choose(dir.path(), None), Drawing::Cpu, "a card but no render node");
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert_eq!(
            choose(dir.path(), Some("1")),
            Drawing::Cpu,
            "Mesa told to render in software"
        );
        assert_eq!(choose(dir.path(), Some("true")), Drawing::Cpu);
    }

    #[test]
    fn a_render_node_this_user_cannot_open_means_the_cpu() {
        let dir = tempfile::tempdir().unwrap();
        // A folder named like a node cannot be opened for writing, as a node without permission.
        std::fs::create_dir(dir.path().join("renderD128")).unwrap();
        assert_eq!(choose(dir.path(), None), Drawing::Cpu);
    }
}
