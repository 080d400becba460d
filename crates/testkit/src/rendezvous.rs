//! A meeting point for replies, shared by any number of servers: proof that a client's requests
//! were in flight at the same time, without timing anything.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// A point where replies wait for each other. A reply that [meets](crate::Reply::meet) here sends
/// nothing, not even its status line, until `parties` requests have arrived here (on any server
/// holding a reply that meets here). When they have, every reply goes on, so the client must have
/// sent all of them before it got an answer to any: requests sent one after another never meet.
/// A reply still waiting after `patience` becomes a 504 whose error message says how many came,
/// so such a client fails with a clear error instead of hanging.
#[derive(Clone)]
pub struct Rendezvous {
    parties: usize,
    patience: Duration,
    arrived: Arc<watch::Sender<usize>>,
}

impl Rendezvous {
    /// A rendezvous of `parties` requests, each waiting at most `patience` for the others.
    pub fn new(parties: usize, patience: Duration) -> Rendezvous {
        Rendezvous {
            parties,
            patience,
            arrived: Arc::new(watch::Sender::new(0)),
        }
    }

    /// How many requests have arrived so far.
    pub fn arrived(&self) -> usize {
        *self.arrived.borrow()
    }

    /// Waits until every request due here has arrived, at most `timeout`; whether they all did.
    pub async fn all_arrived(&self, timeout: Duration) -> bool {
        let mut arrivals = self.arrived.subscribe();
        let all_came = arrivals.wait_for(|arrived| *arrived >= self.parties);
        matches!(tokio::time::timeout(timeout, all_came).await, Ok(Ok(_)))
    }

    /// Counts a request in and waits for the others, at most the patience; whether they all came.
    pub(crate) async fn meet(&self) -> bool {
        self.arrived.send_modify(|arrived| *arrived += 1);
        self.all_arrived(self.patience).await
    }

    /// The error message a request gets when the others did not come in time.
    pub(crate) fn missed(&self) -> String {
        format!(
            "testkit: {} of the {} requests due at this rendezvous arrived within {:?}: they were not in flight at the same time",
            self.arrived(),
            self.parties,
            self.patience
        )
    }
}

impl fmt::Debug for Rendezvous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendezvous")
            .field("parties", &self.parties)
            .field("patience", &self.patience)
            .field("arrived", &self.arrived())
            .finish()
    }
}

/// The same rendezvous, not one with equal settings.
impl PartialEq for Rendezvous {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.arrived, &other.arrived)
    }
}

impl Eq for Rendezvous {}
