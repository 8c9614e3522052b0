//! Looking at and steering jobs: what the dashboard, `GET /api/jobs/{id}` and `app jobs` use.

use chrono::{DateTime, Utc};
use db::Writer;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use crate::{
    Error, Queue, Result, State,
    sql::{PENDING, stmt},
};

/// A job as stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Job)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub queue: String,
    pub state: State,
    pub priority: i16,
    pub attempts: i32,
    pub max_attempts: i32,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub unique_key: Option<String>,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// What the job last reported of its progress (see [`crate::progress`]), if it does.
    pub progress: Option<crate::Progress>,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: i64,
    kind: String,
    queue: String,
    state: String,
    priority: i16,
    attempts: i32,
    max_attempts: i32,
    payload: String,
    unique_key: Option<String>,
    run_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    progress_done: Option<i64>,
    progress_total: Option<i64>,
}

const COLUMNS: &str = "id, kind, queue, state, priority, attempts, max_attempts, payload, \
    unique_key, run_at, created_at, started_at, finished_at, last_error, progress_done, \
    progress_total";

impl From<Row> for JobRecord {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            queue: row.queue,
            // An unknown state can only come from a hand edit; show it as dead rather than fail.
            state: State::parse(&row.state).unwrap_or(State::Dead),
            priority: row.priority,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            payload: serde_json::from_str(&row.payload)
                .unwrap_or(serde_json::Value::String(row.payload)),
            unique_key: row.unique_key,
            run_at: row.run_at,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            last_error: row.last_error,
            progress: match (row.progress_done, row.progress_total) {
                (Some(done), Some(total)) => Some(crate::Progress::new(done, total)),
                _ => None,
            },
        }
    }
}

/// A filter for [`Queue::list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub states: Vec<State>,
    pub kind: Option<String>,
    pub limit: u64,
}

impl Queue {
    pub async fn get(&self, id: i64) -> Result<JobRecord> {
        let conn = self.db();
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        Row::find_by_statement(stmt(conn, sql, [Value::from(id)]))
            .one(conn)
            .await?
            .map(JobRecord::from)
            .ok_or(Error::NotFound(id))
    }

    /// The newest job enqueued with `unique_key`, whatever its state (finished ones too): how
    /// the work a page is waiting for went.
    pub async fn latest_with_key(&self, unique_key: &str) -> Result<Option<JobRecord>> {
        let conn = self.db();
        let sql =
            format!("SELECT {COLUMNS} FROM jobs WHERE unique_key = $1 ORDER BY id DESC LIMIT 1");
        Ok(
            Row::find_by_statement(stmt(conn, sql, [Value::from(unique_key)]))
                .one(conn)
                .await?
                .map(JobRecord::from),
        )
    }

    /// Newest first.
    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<JobRecord>> {
        let conn = self.db();
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        if !filter.states.is_empty() {
            let list = crate::sql::placeholders(values.len() + 1, filter.states.len());
            clauses.push(format!("state IN ({list})"));
            values.extend(filter.states.iter().map(|s| Value::from(s.as_str())));
        }
        if let Some(kind) = &filter.kind {
            values.push(Value::from(kind.as_str()));
            clauses.push(format!("kind = ${}", values.len()));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        values.push(Value::from(filter.limit.clamp(1, 1000)));
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs {filter_sql} ORDER BY id DESC LIMIT ${}",
            values.len()
        );
        let rows = Row::find_by_statement(stmt(conn, sql, values))
            .all(conn)
            .await?;
        Ok(rows.into_iter().map(JobRecord::from).collect())
    }

    /// How many jobs are in each state (every state listed, zeros included): the kinds'
    /// counts, added up.
    pub async fn counts(&self) -> Result<Vec<(State, u64)>> {
        let mut counts: Vec<(State, u64)> = State::ALL.iter().map(|s| (*s, 0)).collect();
        for (_, state, count) in self.counts_by_kind().await? {
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                slot.1 += count;
            }
        }
        Ok(counts)
    }

    /// How many jobs of each kind are in each state (only the pairs that have jobs): `/metrics`
    /// reports them as they are, the dashboard added up by state.
    pub async fn counts_by_kind(&self) -> Result<Vec<(String, State, u64)>> {
        let conn = self.db();
        let rows = conn
            .query_all_raw(stmt(
                conn,
                "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state",
                [],
            ))
            .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get_by_index(0)?;
            let state: String = row.try_get_by_index(1)?;
            let count: i64 = row.try_get_by_index(2)?;
            if let Some(state) = State::ALL.iter().find(|s| s.as_str() == state) {
                counts.push((kind, *state, u64::try_from(count).unwrap_or(0)));
            }
        }
        Ok(counts)
    }

    /// Runs a dead, cancelled or retrying job again now, with a fresh set of attempts.
    pub async fn retry(&self, id: i64) -> Result<JobRecord> {
        let sql = "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, \
             finished_at = NULL WHERE id = $2 AND state IN ('dead', 'cancelled', 'retrying')";
        let now = self.clock().now();
        self.change(
            id,
            sql,
            [Value::from(now), Value::from(id)],
            "retry",
            "dead, cancelled or retrying",
        )
        .await
    }

    /// Cancels a job that has not started (queued, or waiting to retry).
    pub async fn cancel(&self, id: i64) -> Result<JobRecord> {
        let sql = format!(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE id = $2 AND state IN {PENDING}"
        );
        let now = self.clock().now();
        self.change(
            id,
            &sql,
            [Value::from(now), Value::from(id)],
            "cancel",
            "queued or retrying",
        )
        .await
    }

    async fn change<const N: usize>(
        &self,
        id: i64,
        sql: &str,
        values: [Value; N],
        action: &'static str,
        allowed: &'static str,
    ) -> Result<JobRecord> {
        let conn = self.db();
        let turn = conn.write_turn().await?;
        let changed = conn.execute_raw(stmt(conn, sql, values)).await?;
        drop(turn);
        let job = self.get(id).await?;
        if changed.rows_affected() == 0 {
            return Err(Error::WrongState {
                id,
                state: job.state.to_string(),
                action,
                allowed,
            });
        }
        self.wake();
        if crate::sql::is_postgres(conn) {
            // Workers in other processes hear of a revived job now, not at their next poll.
            let notify = format!("SELECT {}", *crate::queue::NOTIFY_WAKE);
            conn.execute_unprepared(&notify).await?;
        }
        Ok(job)
    }

    /// Deletes finished jobs (succeeded, dead, cancelled) that finished before `before`.
    pub async fn purge(&self, before: DateTime<Utc>) -> Result<u64> {
        let conn = self.db();
        let _turn = conn.write_turn().await?;
        let sql = "DELETE FROM jobs WHERE state IN ('succeeded', 'dead', 'cancelled') \
                   AND finished_at < $1";
        let done = conn
            .execute_raw(stmt(conn, sql, [Value::from(before)]))
            .await?;
        Ok(done.rows_affected())
    }
}

/// Whether job `id` is visible on `conn`: inside the transaction that enqueued it, or anywhere
/// once that committed.
pub async fn exists(conn: &impl ConnectionTrait, id: i64) -> Result<bool> {
    let row = conn
        .query_one_raw(stmt(
            conn,
            "SELECT id FROM jobs WHERE id = $1",
            [Value::from(id)],
        ))
        .await?;
    Ok(row.is_some())
}
