//! The inspector's rows a window at a time. The page shows them in a virtual list and asks for
//! the rows it scrolls to (`stream_events`, `open_stream_file` with a [`Window`]); decoding the
//! recording again for each window would cost the whole stream every time, so the streams decoded
//! last are kept in a small cache ([`RowCache`], at most [`CACHED`] of them). A decoded stream
//! holds at most `Limits::inspector_rows` rows, whose data together is at most the recording's
//! bytes, so the cache is bounded too. The filter runs here, over every row kept, and its
//! matches for the last query are kept with the stream.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use runnel_core::inspect::COMMENT;

use crate::error::AppResult;
use crate::ipc_types::{EventRow, StreamEvents};
use crate::rows::DecodedStream;

/// The most rows one window carries.
pub const WINDOW_ROWS: u64 = 2_000;
/// The most decoded streams the cache keeps.
pub const CACHED: usize = 2;

/// The rows the page asks for: `count` rows (at most [`WINDOW_ROWS`]) from position `start` among
/// those passing `filter` (every word of it, ignoring case, in the row's event name — `comment`
/// for a comment line — or its data; empty: every row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// The position of the first row wanted.
    pub start: u64,
    /// How many rows are wanted.
    pub count: u64,
    /// The filter's words.
    pub filter: String,
}

/// Where a decoded stream came from, as it was then: a source that changed since (another
/// recording for the answer, a file written again) is decoded again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Answer `message_id`'s recording, saved at `saved_at` (unix ms) with `bytes` of body.
    Answer {
        /// The answer.
        message_id: i64,
        /// When its recording was saved.
        saved_at: i64,
        /// Its body's length.
        bytes: u64,
    },
    /// The `.sse` file at `path` and its sidecar (`None`: missing).
    File {
        /// The file.
        path: PathBuf,
        /// Its length and modification time.
        body: Option<(u64, Option<SystemTime>)>,
        /// Its sidecar's.
        sidecar: Option<(u64, Option<SystemTime>)>,
    },
}

impl Source {
    /// The `.sse` file at `path` (with `sidecar`) as it is now.
    pub fn file(path: &Path, sidecar: &Path) -> Self {
        let stamp = |path: &Path| {
            std::fs::metadata(path)
                .ok()
                .map(|metadata| (metadata.len(), metadata.modified().ok()))
        };
        Self::File {
            path: path.to_owned(),
            body: stamp(path),
            sidecar: stamp(sidecar),
        }
    }
}

/// The streams decoded last, most recent first.
#[derive(Default)]
pub struct RowCache {
    entries: Mutex<VecDeque<(Source, Arc<Cached>)>>,
}

impl RowCache {
    /// `window` of the stream from `source`: decoded by `decode` unless it is cached. One stream
    /// is decoded at a time, after the oldest was let go when the cache is full, so at most
    /// [`CACHED`] streams are held (and a window in flight may hold one more a moment).
    pub fn window(
        &self,
        source: Source,
        window: &Window,
        decode: impl FnOnce() -> AppResult<DecodedStream>,
    ) -> AppResult<StreamEvents> {
        let cached = {
            let mut entries = self.lock();
            match entries.iter().position(|(cached, _)| *cached == source) {
                Some(at) => {
                    let entry = entries.remove(at).expect("found at that position");
                    let cached = entry.1.clone();
                    entries.push_front(entry);
                    cached
                }
                None => {
                    entries.truncate(CACHED - 1);
                    let cached = Arc::new(Cached::new(decode()?));
                    entries.push_front((source, cached.clone()));
                    cached
                }
            }
        };
        Ok(cached.window(window))
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<(Source, Arc<Cached>)>> {
        // A panic while decoding leaves the entries as they were: a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A decoded stream and the rows its last filter matched.
struct Cached {
    stream: DecodedStream,
    /// The last filter's words (joined by one space) and the positions of the rows passing it.
    matched: Mutex<Option<(String, Arc<[u32]>)>>,
}

impl Cached {
    fn new(stream: DecodedStream) -> Self {
        Self {
            stream,
            matched: Mutex::new(None),
        }
    }

    fn window(&self, window: &Window) -> StreamEvents {
        let words = words(&window.filter);
        let rows = &self.stream.rows;
        let wanted = |total: usize| {
            let start = usize::try_from(window.start).unwrap_or(usize::MAX).min(total);
            let count = usize::try_from(window.count.min(WINDOW_ROWS)).unwrap_or(0);
            start..(start + count).min(total)
        };
        let (total, shown) = if words.is_empty() {
            (rows.len(), rows[wanted(rows.len())].to_vec())
        } else {
            let matched = self.matched(&words);
            let shown = matched[wanted(matched.len())]
                .iter()
                .map(|&at| rows[at as usize].clone())
                .collect();
            (matched.len(), shown)
        };
        StreamEvents {
            start: window.start,
            rows: shown,
            total: total as u64,
            more: self.stream.more,
            summary: self.stream.summary.clone(),
            timeline: self.stream.timeline.clone(),
        }
    }

    /// The positions of the rows passing `words`.
    fn matched(&self, words: &[String]) -> Arc<[u32]> {
        let key = words.join(" ");
        let mut matched = self.matched.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((query, positions)) = matched.as_ref()
            && *query == key
        {
            return positions.clone();
        }
        let positions: Arc<[u32]> = (0u32..)
            .zip(&self.stream.rows)
            .filter(|(_, row)| passes(row, words))
            .map(|(at, _)| at)
            .collect();
        *matched = Some((key, positions.clone()));
        positions
    }
}

/// The filter's words, lower-cased.
fn words(filter: &str) -> Vec<String> {
    filter.split_whitespace().map(str::to_lowercase).collect()
}

/// Whether every one of `words` is in `row`'s event name (`comment` for a comment line) or its
/// data, ignoring case: the page's `rowMatches` (`ui/src/inspector/rows.ts`).
fn passes(row: &EventRow, words: &[String]) -> bool {
    let name = if row.event == COMMENT {
        "comment".to_owned()
    } else {
        row.event.to_lowercase()
    };
    let data = row.data.to_lowercase();
    words
        .iter()
        .all(|word| name.contains(word.as_str()) || data.contains(word.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use runnel_core::Metrics;

    use crate::ipc_types::{ProtocolId, Stats, StreamSummary};

    fn row(event: &str, data: &str) -> EventRow {
        EventRow {
            at_ms: 0.0,
            event: event.into(),
            bytes: data.len() as u64,
            data: data.into(),
            fields: Vec::new(),
            decoded: Vec::new(),
        }
    }

    fn stream(rows: Vec<EventRow>, more: u64) -> DecodedStream {
        DecodedStream {
            summary: StreamSummary {
                protocol: ProtocolId("openai".into()),
                model: None,
                status: Some(200),
                events: rows.len() as u64 + more,
                bytes: 0,
                ttfb_ms: None,
                truncated: false,
                stats: Stats::new(&Metrics::default(), None),
            },
            timeline: crate::timeline::of(&rows),
            rows,
            more,
        }
    }

    fn window(start: u64, count: u64, filter: &str) -> Window {
        Window {
            start,
            count,
            filter: filter.into(),
        }
    }

    fn data(events: &StreamEvents) -> Vec<&str> {
        events.rows.iter().map(|row| row.data.as_str()).collect()
    }

    #[test]
    fn a_window_is_the_rows_asked_for_at_most_the_cap_and_says_how_many_there_are() {
        let rows: Vec<EventRow> = (0..5_000).map(|n| row("message", &n.to_string())).collect();
        let cached = Cached::new(stream(rows, 7));
        let middle = cached.window(&window(10, 3, ""));
        assert_eq!((middle.start, middle.total, middle.more), (10, 5_000, 7));
        assert_eq!(data(&middle), ["10", "11", "12"]);
        assert_eq!(cached.window(&window(0, u64::MAX, "")).rows.len(), WINDOW_ROWS as usize);
        assert_eq!(data(&cached.window(&window(4_998, 10, ""))), ["4998", "4999"]);
        assert!(cached.window(&window(u64::MAX, 10, "")).rows.is_empty());
    }

    #[test]
    fn the_filter_pages_over_the_rows_that_pass_every_word() {
        let rows = vec![
            row("message", "Hello World"),
            row(COMMENT, " keep-alive"),
            row("ping", "{}"),
            row("message", "hello again"),
            row(COMMENT, " world"),
        ];
        let cached = Cached::new(stream(rows, 0));
        let hello = cached.window(&window(0, 10, "HELLO"));
        assert_eq!((hello.total, data(&hello)), (2, vec!["Hello World", "hello again"]));
        assert_eq!(data(&cached.window(&window(1, 1, "  hello "))), ["hello again"]);
        assert_eq!(data(&cached.window(&window(0, 10, "comment world"))), [" world"]);
        assert_eq!(cached.window(&window(0, 10, "ping {}")).total, 1);
        assert_eq!(cached.window(&window(0, 10, "nothing")).total, 0);
    }

    #[test]
    fn the_cache_decodes_a_source_once_keeps_the_last_two_and_decodes_a_changed_one_again() {
        let cache = RowCache::default();
        let answer = |message_id, saved_at| Source::Answer {
            message_id,
            saved_at,
            bytes: 1,
        };
        let decodes = std::cell::Cell::new(0);
        let fetch = |source: Source| {
            cache
                .window(source, &window(0, 1, ""), || {
                    decodes.set(decodes.get() + 1);
                    Ok(stream(vec![row("message", "x")], 0))
                })
                .unwrap()
        };
        fetch(answer(1, 10));
        fetch(answer(1, 10));
        assert_eq!(decodes.get(), 1, "a window of a cached stream decodes nothing");
        fetch(answer(2, 10));
        fetch(answer(1, 10));
        assert_eq!(decodes.get(), 2);
        fetch(answer(3, 10));
        assert_eq!(cache.lock().len(), CACHED);
        fetch(answer(1, 10));
        assert_eq!(decodes.get(), 3, "the most recent stays");
        fetch(answer(2, 10));
        assert_eq!(decodes.get(), 4, "the oldest went");
        fetch(answer(1, 11));
        assert_eq!(decodes.get(), 5, "a recording saved again is decoded again");
        let failed = cache.window(answer(9, 0), &window(0, 1, ""), || {
            Err(crate::error::AppError::NotFound("gone".into()))
        });
        assert!(failed.is_err());
        assert!(
            cache.lock().iter().all(|(source, _)| *source != answer(9, 0)),
            "an error is not cached"
        );
    }
}
