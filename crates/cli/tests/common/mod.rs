//! What every process test of `runnel` starts from.

#![allow(dead_code)] // each test binary uses its own subset

use std::process::{Child, Command, Output, Stdio};

/// `runnel` with a clean environment: no keys, no base URLs, no `RUNNEL_MODEL`, no providers
/// file, and a keychain
/// service of its own (`runnel-cli-test-{service}-{pid}`), so tests never meet the user's keys.
pub fn runnel(service: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runnel"));
    for var in runnel_testkit::user_env() {
        command.env_remove(var);
    }
    command
        .env(
            "RUNNEL_KEYCHAIN_SERVICE",
            format!("runnel-cli-test-{service}-{}", std::process::id()),
        )
        .stdin(Stdio::null());
    command
}

/// Runs `command` to its end: exit code (-1 for a signal), stdout, stderr.
pub fn output(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// Sends SIGINT to `child`, as Ctrl-C at a terminal does.
pub fn interrupt(child: &Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -INT {}", child.id());
}
