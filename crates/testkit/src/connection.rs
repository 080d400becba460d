//! What the fake server observed on one connection: body bytes written and
//! when the client closed it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// The live record of one accepted connection; clones share the same record.
#[derive(Clone, Debug)]
pub struct ConnectionLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    written: AtomicUsize,
    closed_by_client: Mutex<Option<Instant>>,
    changed: watch::Sender<()>,
}

impl ConnectionLog {
    pub(crate) fn new() -> ConnectionLog {
        ConnectionLog {
            inner: Arc::new(Inner {
                written: AtomicUsize::new(0),
                closed_by_client: Mutex::new(None),
                changed: watch::Sender::new(()),
            }),
        }
    }

    /// Body bytes written so far (payload only: no headers, no chunk-size lines).
    pub fn bytes_written(&self) -> usize {
        self.inner.written.load(Ordering::SeqCst)
    }

    /// When the server saw the client close the connection, if it has.
    pub fn closed_by_client(&self) -> Option<Instant> {
        *self
            .inner
            .closed_by_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until at least `n` body bytes were written; panics on timeout.
    pub async fn wait_written(&self, n: usize, timeout: Duration) {
        let reached = self.wait_until(timeout, || self.bytes_written() >= n).await;
        assert!(
            reached,
            "timed out after {timeout:?} waiting for {n} body bytes written (have {}, closed by client: {:?})",
            self.bytes_written(),
            self.closed_by_client()
        );
    }

    /// Waits until the server has written nothing more for `quiet` (the client stopped reading and
    /// the socket's buffers are full, or the body ended) and returns the body bytes written then;
    /// `None` if writes still went on after `timeout`.
    pub async fn wait_stalled(&self, quiet: Duration, timeout: Duration) -> Option<usize> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.inner.changed.subscribe();
        loop {
            let written = self.bytes_written();
            changes.borrow_and_update();
            let quiet_until = tokio::time::Instant::now() + quiet;
            if quiet_until > deadline {
                return None;
            }
            // Closing is a change too: a close while quiet does not restart the wait.
            let stalled = loop {
                match tokio::time::timeout_at(quiet_until, changes.changed()).await {
                    Err(_) => break true,
                    Ok(_) if self.bytes_written() != written => break false,
                    Ok(_) => {}
                }
            };
            if stalled {
                return Some(written);
            }
        }
    }

    /// Waits for the client to close the connection and returns the `Instant`
    /// the server observed it (a read returned 0 or failed, or a write failed);
    /// `None` on timeout.
    pub async fn wait_closed_by_client(&self, timeout: Duration) -> Option<Instant> {
        self.wait_until(timeout, || self.closed_by_client().is_some()).await;
        self.closed_by_client()
    }

    pub(crate) fn add_written(&self, n: usize) {
        self.inner.written.fetch_add(n, Ordering::SeqCst);
        self.inner.changed.send_replace(());
    }

    /// Records the client's close now; only the first observation counts.
    pub(crate) fn mark_closed_by_client(&self) {
        let now = Instant::now();
        self.inner
            .closed_by_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(now);
        self.inner.changed.send_replace(());
    }

    /// Waits until `done()` holds or `timeout` passes; returns whether it holds.
    async fn wait_until(&self, timeout: Duration, done: impl Fn() -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.inner.changed.subscribe();
        while !done() {
            if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
                return done();
            }
        }
        true
    }
}
