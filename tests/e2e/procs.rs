//! The app's processes and threads as `/proc` shows them: the app (found by its data folder),
//! WebKit's processes under it, and each one's name, parent and CPU time. Read by the window
//! benchmark (CPU, memory, perf) and the drawing test.

use std::collections::HashMap;
use std::path::Path;

/// What `/proc/PID/stat` (or `/proc/PID/task/TID/stat`) says of a process or thread.
pub struct Stat {
    /// Its name (`comm`, at most 15 bytes: `WebKitWebProces`, `llvmpipe-0`).
    pub name: String,
    /// Its parent's process id.
    pub ppid: u32,
    /// The CPU time it used so far, user and system, in clock ticks.
    pub ticks: u64,
}

/// Reads the stat file at `path` (`pid (comm) state ppid …`: the comm may hold spaces and
/// parentheses, so the fields are read after its last `)`).
pub fn stat(path: &Path) -> Option<Stat> {
    let stat = std::fs::read_to_string(path).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_owned();
    // After the comm: state is field 3, ppid field 4, utime field 14, stime field 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |k: usize| fields.get(k - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Some(Stat {
        name,
        ppid: u32::try_from(field(4)).unwrap_or(0),
        ticks: field(14) + field(15),
    })
}

/// The process whose `RUNNEL_DATA_DIR` is `data_dir` (the app) and its descendants (WebKit's web
/// and network processes): the app's first.
pub fn app_tree(data_dir: &Path) -> Vec<u32> {
    let wanted = format!("RUNNEL_DATA_DIR={}", data_dir.display());
    let mut parents: HashMap<u32, u32> = HashMap::new();
    let mut app = None;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
            continue;
        };
        let Some(stat) = stat(&entry.path().join("stat")) else {
            continue;
        };
        parents.insert(pid, stat.ppid);
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let is_app = std::fs::read_link(entry.path().join("exe"))
            .is_ok_and(|exe| exe.file_name().is_some_and(|name| name == "runnel-app"));
        if is_app && environ.split(|&b| b == 0).any(|var| var == wanted.as_bytes()) {
            app = Some(pid);
        }
    }
    let app = app.expect("the app's process");
    let in_tree = |mut pid: u32| loop {
        if pid == app {
            return true;
        }
        match parents.get(&pid) {
            Some(&parent) if parent > 1 => pid = parent,
            _ => return false,
        }
    };
    let mut tree: Vec<u32> = parents
        .keys()
        .copied()
        .filter(|&pid| pid != app && in_tree(pid))
        .collect();
    tree.insert(0, app);
    tree
}

/// WebKit's web process of the app whose data folder is `data_dir`.
pub fn web_process(data_dir: &Path) -> Option<u32> {
    app_tree(data_dir)
        .into_iter()
        .skip(1)
        .find(|pid| stat(Path::new(&format!("/proc/{pid}/stat"))).is_some_and(|s| s.name.starts_with("WebKitWebProc")))
}
