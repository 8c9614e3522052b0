//! Waking workers on PostgreSQL: the queue's runners subscribe to [`WAKE_TOPIC`] on the process's
//! hub, so the wake-ups share the hub's one `LISTEN` connection with job progress and the
//! app's own topics.

use std::{
    sync::{Weak, atomic::Ordering},
    time::Duration,
};

use sea_orm::DbBackend;
use tokio::sync::broadcast::error::RecvError;

use crate::{Queue, queue::WAKE_TOPIC};

/// How often the subscriber checks whether anyone still holds the queue.
const CHECK_EVERY: Duration = Duration::from_secs(10);

/// Starts the queue's wake-up subscriber unless it runs already (only on PostgreSQL). It rings
/// the queue's wake-up for every notification and ends once every handle on the queue is
/// dropped. Notifications lost while the hub reconnects are covered by the workers' poll.
pub(crate) fn ensure_listening(queue: &Queue) {
    if queue.db().get_database_backend() != DbBackend::Postgres {
        return;
    }
    if queue.inner().listening.swap(true, Ordering::AcqRel) {
        return;
    }
    let hub = queue.hub().clone();
    let weak = queue.downgrade();
    tokio::spawn(async move {
        let mut wake_ups = hub.subscribe(WAKE_TOPIC).await;
        // The task must not keep the hub (and its `LISTEN` connection) alive on its own.
        drop(hub);
        loop {
            tokio::select! {
                received = wake_ups.recv() => match received {
                    // Lagged: several wake-ups at once, one is as good as all of them.
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        let Some(queue) = upgrade(&weak) else { return };
                        queue.wake();
                    }
                    Err(RecvError::Closed) => return,
                },
                () = tokio::time::sleep(CHECK_EVERY) => {
                    if weak.strong_count() == 0 {
                        return;
                    }
                }
            }
        }
    });
}

fn upgrade(weak: &Weak<crate::queue::Inner>) -> Option<Queue> {
    weak.upgrade().map(Queue::from_inner)
}
