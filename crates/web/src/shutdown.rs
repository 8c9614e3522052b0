//! Shutdown as the parts of the app that outlive one response see it.
//!
//! When the server stops (SIGTERM), it *begins* shutdown: it stops accepting, asks every
//! connection to close once its request is answered, and long-lived streams end themselves — an
//! event stream sends its last event and finishes, a WebSocket closes with 1001 ("going away").
//! The drain then waits for every connection and socket it tracks, up to a deadline; after that
//! shutdown is *forced* and whatever remains is cut off. Nothing a client does can keep the
//! process alive past the deadline.

use std::future::Future;

use tokio_util::{
    sync::{CancellationToken, WaitForCancellationFutureOwned},
    task::{TaskTracker, task_tracker::TaskTrackerToken},
};

/// Cheap to clone; every clone sees the same shutdown.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    /// Set at SIGTERM, before `begun` when the server has a leave delay: `/ready` says 503.
    leaving: CancellationToken,
    begun: CancellationToken,
    forced: CancellationToken,
    tasks: TaskTracker,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Completes once shutdown has begun: a stream that would otherwise run for ever ends here.
    pub fn begun(&self) -> WaitForCancellationFutureOwned {
        self.begun.clone().cancelled_owned()
    }

    pub fn has_begun(&self) -> bool {
        self.begun.is_cancelled()
    }

    /// Whether this process is on its way out (its readiness check fails from then on).
    pub fn is_leaving(&self) -> bool {
        self.leaving.is_cancelled()
    }

    pub(crate) fn leave(&self) {
        self.leaving.cancel();
    }

    /// Completes once the drain deadline has passed: the work that is still going is cut off.
    pub fn forced(&self) -> WaitForCancellationFutureOwned {
        self.forced.clone().cancelled_owned()
    }

    /// Keeps the drain waiting until the returned token is dropped (a WebSocket, whose
    /// connection hyper no longer tracks once it is upgraded).
    pub fn hold(&self) -> TaskTrackerToken {
        self.tasks.token()
    }

    /// Runs `task` on the runtime; the drain waits for it.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.tasks.spawn(task));
    }

    /// How many tracked tasks are still running.
    pub(crate) fn running(&self) -> usize {
        self.tasks.len()
    }

    pub(crate) fn begin(&self) {
        self.leave();
        self.begun.cancel();
    }

    pub(crate) fn force(&self) {
        self.begin();
        self.forced.cancel();
    }

    /// Completes when every tracked task has ended (call after [`Shutdown::begin`]).
    pub(crate) async fn drained(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}
