//! Putting jobs on the queue: in the caller's transaction, at a time, once per unique key.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use db::Writer;
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use tokio::sync::{Notify, futures::Notified};

use crate::{
    Clock, Job, Result,
    job::NewJob,
    sql::{ACTIVE, is_postgres, stmt},
};

/// The PostgreSQL channel workers `LISTEN` on; every enqueue notifies it when it commits.
pub(crate) const WAKE_TOPIC: &str = "jobs:wake";

/// The SQL expression that publishes a wake-up on the hub, built once.
pub(crate) static NOTIFY_WAKE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| db::notify_expression(WAKE_TOPIC));

/// A cheap-to-clone handle on the queue in the app's database.
///
/// Enqueueing takes any connection: the pool, or a transaction the caller holds. In a
/// transaction the job is written with the caller's rows: it exists if and only if they commit,
/// and no other connection sees it before that.
#[derive(Debug, Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    db: DatabaseConnection,
    /// The process's hub: on PostgreSQL, workers hear of new jobs on it ([`WAKE_TOPIC`]), over
    /// the one `LISTEN` connection the process holds.
    hub: db::Hub,
    clock: Clock,
    /// Wakes this process's workers. On PostgreSQL the hub's subscriber rings it after a commit;
    /// on SQLite `enqueue` rings it directly.
    wake: Notify,
    /// Whether the wake-up subscriber (PostgreSQL) has been started.
    pub(crate) listening: AtomicBool,
    /// When this handle last sent a `NOTIFY` (µs since `born`), to send at most one per window.
    last_notify: AtomicU64,
    born: Instant,
}

/// At most one `NOTIFY` per this window per queue handle. PostgreSQL serialises the commits of
/// notifying transactions (they take a global lock on the notification queue): measured with
/// pgbench, 32 clients committing an insert reached 10,200 tps without `pg_notify` and 4,000
/// with it. A skipped notification costs nothing when jobs arrive this often: the workers woken
/// by the previous one claim everything due before they sleep again.
const NOTIFY_WINDOW: Duration = Duration::from_millis(5);

/// The outcome of an enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Enqueued {
    pub id: i64,
    /// `true` when a pending job with the same unique key already existed and was returned.
    pub existing: bool,
}

impl Queue {
    /// The queue on `db`; `hub` is the process's hub (on PostgreSQL its `LISTEN` connection
    /// carries the wake-ups too, so pass the one the rest of the process uses).
    pub fn new(db: DatabaseConnection, hub: db::Hub) -> Self {
        Self::with_clock(db, hub, Clock::system())
    }

    pub fn with_clock(db: DatabaseConnection, hub: db::Hub, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                hub,
                clock,
                wake: Notify::new(),
                listening: AtomicBool::new(false),
                last_notify: AtomicU64::new(0),
                born: Instant::now(),
            }),
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    pub(crate) fn downgrade(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub(crate) fn hub(&self) -> &db::Hub {
        &self.inner.hub
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Enqueues `job` to run as soon as a worker is free.
    pub async fn enqueue<J: Job>(&self, conn: &impl Writer, job: &J) -> Result<Enqueued> {
        self.enqueue_at(conn, job, self.clock().now()).await
    }

    /// Enqueues `job` to run at `run_at` or later, never earlier.
    pub async fn enqueue_at<J: Job>(
        &self,
        conn: &impl Writer,
        job: &J,
        run_at: DateTime<Utc>,
    ) -> Result<Enqueued> {
        let new = NewJob::of(job)?;
        let _turn = conn.write_turn().await?;
        let notify = self.should_notify(conn);
        let enqueued = insert(conn, &new, run_at, self.clock().now(), notify).await?;
        self.wake_local(conn);
        Ok(enqueued)
    }

    /// Enqueues many jobs of one kind, 500 rows per statement. A job with a unique key is
    /// inserted on its own (it may turn out to exist already). Returns their ids.
    pub async fn enqueue_many<J: Job>(&self, conn: &impl Writer, jobs: &[J]) -> Result<Vec<i64>> {
        /// Values bound per row below; 500 rows stay well under both databases' limits.
        const PER_ROW: usize = 7;
        let _turn = conn.write_turn().await?;
        let mut ids = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(500) {
            let now = self.clock().now();
            let mut rows = Vec::with_capacity(chunk.len());
            let mut values = Vec::with_capacity(chunk.len() * PER_ROW);
            for job in chunk {
                let new = NewJob::of(job)?;
                if new.unique_key.is_some() {
                    ids.push(insert(conn, &new, now, now, true).await?.id);
                    continue;
                }
                let p: Vec<String> = (values.len() + 1..=values.len() + PER_ROW)
                    .map(|n| format!("${n}"))
                    .collect();
                rows.push(format!(
                    "({}, {}, {}, 'queued', {}, 0, {}, {}, NULL, {})",
                    p[0], p[1], p[2], p[3], p[4], p[5], p[6]
                ));
                values.extend([
                    Value::from(new.kind),
                    Value::from(new.queue),
                    Value::from(new.payload),
                    Value::from(new.priority),
                    Value::from(new.max_attempts),
                    Value::from(now),
                    Value::from(now),
                ]);
            }
            if rows.is_empty() {
                continue;
            }
            let sql = format!("{INSERT_COLUMNS} VALUES {} RETURNING id", rows.join(", "));
            let sql = with_notify(conn, sql, self.should_notify(conn));
            for row in conn.query_all_raw(stmt(conn, sql, values)).await? {
                ids.push(row.try_get_by_index::<i64>(0)?);
            }
        }
        self.wake_local(conn);
        Ok(ids)
    }

    /// On SQLite there is no `NOTIFY`: wake this process's workers directly. If the caller's
    /// transaction is still open they wait for its write lock, then see the job (or nothing).
    pub(crate) fn wake_local(&self, conn: &impl ConnectionTrait) {
        if !is_postgres(conn) {
            self.wake();
        }
    }

    /// Whether this enqueue should carry a `NOTIFY` (PostgreSQL only; see [`NOTIFY_WINDOW`]).
    fn should_notify(&self, conn: &impl ConnectionTrait) -> bool {
        if !is_postgres(conn) {
            return false;
        }
        let window = u64::try_from(NOTIFY_WINDOW.as_micros()).unwrap_or(u64::MAX);
        // Offset by one window, so the first enqueue of a fresh handle always notifies.
        let elapsed = u64::try_from(self.inner.born.elapsed().as_micros()).unwrap_or(u64::MAX);
        let now = elapsed.saturating_add(window);
        let last = self.inner.last_notify.load(Ordering::Relaxed);
        now.saturating_sub(last) >= window
            && self
                .inner
                .last_notify
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    pub(crate) fn wake(&self) {
        self.inner.wake.notify_waiters();
    }

    pub(crate) fn notified(&self) -> Notified<'_> {
        self.inner.wake.notified()
    }
}

const INSERT_COLUMNS: &str = "INSERT INTO jobs \
    (kind, queue, payload, state, priority, attempts, max_attempts, run_at, unique_key, created_at)";

/// On PostgreSQL the insert also notifies the workers' channel; the notification is delivered
/// when (and only if) the transaction commits.
fn with_notify(conn: &impl ConnectionTrait, insert: String, notify: bool) -> String {
    if notify && is_postgres(conn) {
        format!(
            "WITH ins AS ({insert}) SELECT ins.id FROM ins \
             CROSS JOIN (SELECT {}) AS notified",
            *NOTIFY_WAKE
        )
    } else {
        insert
    }
}

pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    new: &NewJob,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
    notify: bool,
) -> Result<Enqueued> {
    // No conflict target: the only unique index a new row can hit is the partial one on
    // `unique_key` (the id is generated). Naming it (`ON CONFLICT (unique_key) WHERE ...`) makes
    // SQLite match the index when it prepares the statement, against the connection's cached
    // schema, and a pooled connection that last ran before the migration fails with "ON CONFLICT
    // clause does not match any PRIMARY KEY or UNIQUE constraint" (seen in tests, 1 run in 4).
    let conflict = if new.unique_key.is_some() {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    let sql = format!(
        "{INSERT_COLUMNS} VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $7, $8){conflict} RETURNING id"
    );
    let sql = with_notify(conn, sql, notify);
    let values = [
        Value::from(new.kind),
        Value::from(new.queue),
        Value::from(new.payload.as_str()),
        Value::from(new.priority),
        Value::from(new.max_attempts),
        Value::from(run_at),
        Value::from(new.unique_key.clone()),
        Value::from(now),
    ];
    // A duplicate inserts nothing; the pending job with the key is the answer. If that job
    // finished between the two statements, the key is free again: insert once more.
    for _ in 0..3 {
        if let Some(row) = conn.query_one_raw(stmt(conn, &sql, values.clone())).await? {
            return Ok(Enqueued {
                id: row.try_get_by_index(0)?,
                existing: false,
            });
        }
        let existing = conn
            .query_one_raw(stmt(
                conn,
                format!("SELECT id FROM jobs WHERE unique_key = $1 AND state IN {ACTIVE}"),
                [Value::from(new.unique_key.clone())],
            ))
            .await?;
        if let Some(row) = existing {
            return Ok(Enqueued {
                id: row.try_get_by_index(0)?,
                existing: true,
            });
        }
    }
    Err(db::Error::Conflict(format!(
        "unique job key {:?} kept changing hands while enqueueing",
        new.unique_key
    ))
    .into())
}
