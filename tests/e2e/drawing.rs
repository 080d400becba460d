//! How the window draws on this machine (src-tauri/src/drawing.rs). Without a GPU render node the
//! web view draws on the CPU, without compositing: Mesa's software OpenGL (the web process's
//! `llvmpipe` threads, which WebKit starts either way) then does next to none of the work while
//! an answer streams, where it did about 60 % of it when the window composited with it; and the
//! app's log says the window draws on the CPU.

use std::time::Duration;

use runnel_app::drawing::{self, Drawing};

use crate::chat::endless;
use crate::fakes::{GPT, OPENAI_CHAT};
use crate::{Shared, on_shared_app, procs, ui};

/// What the app logs when it makes the window draw on the CPU.
const DRAWS_ON_THE_CPU: &str = "the window draws on the CPU, without compositing";

/// The CPU clock ticks the process's software OpenGL threads and all its threads used so far.
fn thread_ticks(pid: u32) -> (u64, u64) {
    let (mut opengl, mut all) = (0, 0);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the web process's threads")
        .flatten()
    {
        let Some(stat) = procs::stat(&task.path().join("stat")) else {
            continue;
        };
        all += stat.ticks;
        if stat.name.starts_with("llvmpipe") {
            opengl += stat.ticks;
        }
    }
    (opengl, all)
}

#[test]
#[ignore = "needs a display, tauri-driver and a Secret Service: scripts/test runs it"]
fn without_a_gpu_the_window_draws_on_the_cpu_and_software_opengl_stays_idle_while_it_streams() {
    on_shared_app(async |s: &mut Shared| {
        let wd = &s.app.wd;
        let web = procs::web_process(&s.app.data_dir()).expect("the app's web process");
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
        // The app's own test of the machine (unit-tested in src-tauri/src/drawing.rs).
        if drawing::for_this_machine() == Drawing::Gpu {
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
