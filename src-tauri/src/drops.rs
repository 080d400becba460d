//! Files dropped onto the window. The webview gives the page no paths of its own, and the page
//! gets no event API (capabilities), so the app takes the window's drop events in Rust and hands
//! the paths to the page over a `Channel` it registered (`watch_file_drops`): the page then opens
//! an `.sse` file into the stream inspector with `open_stream_file`, as for a typed path.

use std::path::PathBuf;
use std::sync::Mutex;

use tauri::ipc::Channel;

/// Where dropped files' paths go: the page's channel, once it registered one.
#[derive(Default)]
pub struct FileDrops(Mutex<Option<Channel<Vec<String>>>>);

impl FileDrops {
    /// Sends dropped files' paths to `channel` from now on (a page loaded again registers anew).
    pub fn watch(&self, channel: Channel<Vec<String>>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(channel);
    }

    /// Files were dropped onto the window: the page gets their paths, if it is watching.
    pub fn dropped(&self, paths: &[PathBuf]) {
        let paths: Vec<String> = paths.iter().map(|path| path.display().to_string()).collect();
        if paths.is_empty() {
            return;
        }
        let watcher = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(channel) = watcher.as_ref()
            && let Err(error) = channel.send(paths)
        {
            tracing::warn!(%error, "could not hand dropped files to the page");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tauri::ipc::InvokeResponseBody;

    use super::*;

    #[test]
    fn dropped_paths_reach_the_page_once_it_watches() {
        let drops = FileDrops::default();
        drops.dropped(&[PathBuf::from("/tmp/early.sse")]);
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        drops.watch(Channel::new(move |body: InvokeResponseBody| {
            let InvokeResponseBody::Json(json) = body else {
                panic!("paths come as JSON");
            };
            sink.lock()
                .unwrap()
                .push(serde_json::from_str::<Vec<String>>(&json).unwrap());
            Ok(())
        }));
        drops.dropped(&[]);
        drops.dropped(&[PathBuf::from("/tmp/a.sse"), PathBuf::from("/tmp/b b.sse")]);
        assert_eq!(
            *received.lock().unwrap(),
            [vec!["/tmp/a.sse".to_owned(), "/tmp/b b.sse".to_owned()]],
            "nothing before watching, nothing for an empty drop"
        );
    }
}
