//! How the window draws on this machine (src-tauri/src/drawing.rs). Without a GPU render node the
//! web view draws on the CPU, without compositing: Mesa's software OpenGL (the web process's
//! `llvmpipe` threads, which WebKit starts either way) then does next to none of the work while
//! an answer streams, where it did about 60 % of it when the window composited with it; and the
//! app's log says the window draws on the CPU.

use std::time::Duration;

use crate::chat::endless;
use crate::fakes::{GPT, OPENAI_CHAT};
use crate::{Shared, on_shared_app, ui};

/// What the app logs when it makes the window draw on the CPU.
const DRAWS_ON_THE_CPU: &str = "the window draws on the CPU, without compositing";

/// Whether this machine has a GPU render node this user can open and Mesa is not told to render
/// in software: the app's own test of it, as the machine running the tests answers it.
fn machine_has_a_gpu() -> bool {
    let software =
        std::env::var("LIBGL_ALWAYS_SOFTWARE").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"));
    let node = std::fs::read_dir("/dev/dri")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
        .any(|entry| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(entry.path())
                .is_ok()
        });
    node && !software
}

/// The web process that `app_pid` started.
fn web_process(app_pid: u32) -> u32 {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(app_pid) && head.contains("(WebKitWebProc") {
            found.push(pid);
        }
    }
    assert_eq!(found.len(), 1, "one web process of app {app_pid}: {found:?}");
    found[0]
}

/// The CPU clock ticks the process's software OpenGL threads and all its threads used so far.
fn thread_ticks(pid: u32) -> (u64, u64) {
    let (mut opengl, mut all) = (0, 0);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the web process's threads")
        .flatten()
    {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        // After the comm: state is field 3, utime field 14, stime field 15.
        let fields: Vec<u64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect();
        let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
        all += ticks;
        if head.contains("(llvmpipe") {
            opengl += ticks;
        }
    }
    (opengl, all)
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn without_a_gpu_the_window_draws_on_the_cpu_and_software_opengl_stays_idle_while_it_streams() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        let web = web_process(s.app.pid());
        ui::choose_model(wd, GPT).await;
        s.fakes.openai.route(OPENAI_CHAT, endless());
        ui::send(wd, "Count for a long time").await;
        ui::wait_answer_text(wd, 200).await;
        let before = thread_ticks(web);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = thread_ticks(web);
        ui::click_stop(wd).await;
        ui::wait_answer_end(wd).await;
        let log = String::from_utf8_lossy(&s.app.output()).into_owned();
        if machine_has_a_gpu() {
            assert!(
                !log.contains(DRAWS_ON_THE_CPU),
                "a GPU is here, yet the app draws on the CPU"
            );
            return;
        }
        assert!(
            log.contains(DRAWS_ON_THE_CPU),
            "no GPU here, and the app did not say it draws on the CPU"
        );
        let (opengl, all) = (after.0 - before.0, after.1 - before.1);
        assert!(all > 0, "the web process did some work while the answer streamed");
        assert!(
            opengl * 20 <= all,
            "software OpenGL used {opengl} of the web process's {all} clock ticks while the answer streamed"
        );
        println!("while streaming: software OpenGL {opengl} of the web process's {all} clock ticks");
    });
}
