//! Waking workers on PostgreSQL: one `LISTEN` connection per [`Queue`], shared by its runners.

use std::{
    sync::{Weak, atomic::Ordering},
    time::Duration,
};

use sea_orm::{DbBackend, sqlx::postgres::PgListener};

use crate::{Queue, queue::CHANNEL};

/// Starts the queue's `LISTEN` task unless it runs already (only on PostgreSQL). It rings the
/// queue's wake-up for every notification and ends once every handle on the queue is dropped
/// or the pool is closed. If the connection drops, sqlx reconnects; the workers' poll covers
/// notifications lost in between.
pub(crate) fn ensure_listening(queue: &Queue) {
    let db = queue.db();
    // Checked first: `get_postgres_connection_pool` panics on any other backend.
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    if queue.inner().listening.swap(true, Ordering::AcqRel) {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    let weak = queue.downgrade();
    tokio::spawn(async move {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "cannot LISTEN for new jobs; polling only");
                return;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "cannot LISTEN for new jobs; polling only");
            return;
        }
        loop {
            tokio::select! {
                received = listener.recv() => match received {
                    Ok(_) => {
                        let Some(queue) = upgrade(&weak) else { return };
                        queue.wake();
                    }
                    Err(_) if pool.is_closed() => return,
                    Err(err) => {
                        tracing::warn!(error = %err, "LISTEN connection failed; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
                () = tokio::time::sleep(Duration::from_secs(10)) => {
                    if weak.strong_count() == 0 || pool.is_closed() {
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
