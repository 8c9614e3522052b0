//! The statements a worker runs: claim, finish, extend its leases, rescue others', give back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use db::Writer;
use sea_orm::Value;

use crate::{
    Backoff, Result, State,
    sql::{PENDING, ids_in, ids_json, is_postgres, placeholders, stmt},
};

/// A job this worker holds the lease on.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Succeeded,
    /// Retried unless it was the last attempt.
    Failed(String),
    /// Retrying cannot help (the payload does not decode): dead at once.
    Fatal(String),
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Claims up to `limit` due jobs from `queues`: one statement. On PostgreSQL `SKIP LOCKED`
/// lets concurrent workers take different rows without waiting; SQLite has one writer at a time,
/// so the statement needs no lock clause.
pub(crate) async fn claim(
    conn: &impl Writer,
    worker: &str,
    queues: &[String],
    limit: usize,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>> {
    let _turn = conn.write_turn().await?;
    let lock = if is_postgres(conn) {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
         locked_until = $2, started_at = $3 \
         WHERE id IN (SELECT id FROM jobs \
           WHERE state IN {PENDING} AND run_at <= $3 AND queue IN ({queues}) \
           ORDER BY priority DESC, run_at, id LIMIT $4 {lock}) \
         RETURNING id, kind, payload, attempts, max_attempts",
        queues = placeholders(5, queues.len()),
    );
    let mut values = vec![
        Value::from(worker),
        Value::from(now + chrono(lease)),
        Value::from(now),
        Value::from(i64::try_from(limit).unwrap_or(i64::MAX)),
    ];
    values.extend(queues.iter().map(|q| Value::from(q.as_str())));
    let rows = conn.query_all_raw(stmt(conn, sql, values)).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        claimed.push(Claimed {
            id: row.try_get_by_index(0)?,
            kind: row.try_get_by_index(1)?,
            payload: row.try_get_by_index(2)?,
            attempts: row.try_get_by_index(3)?,
            max_attempts: row.try_get_by_index(4)?,
        });
    }
    Ok(claimed)
}

/// When the next pending job of `queues` is due, if any.
pub(crate) async fn next_due(
    conn: &impl Writer,
    queues: &[String],
) -> Result<Option<DateTime<Utc>>> {
    let sql = format!(
        "SELECT MIN(run_at) FROM jobs WHERE state IN {PENDING} AND queue IN ({})",
        placeholders(1, queues.len())
    );
    let values = queues.iter().map(|q| Value::from(q.as_str()));
    let row = conn.query_one_raw(stmt(conn, sql, values)).await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<Option<DateTime<Utc>>>(0)?,
        None => None,
    })
}

/// Records finished attempts: all successes in one statement, each failure on its own.
/// Only rows this worker still holds are touched: if its lease expired and another worker took
/// the job over, that worker's outcome counts.
pub(crate) async fn finish(
    conn: &impl Writer,
    worker: &str,
    done: &[(Claimed, Outcome)],
    backoff: &Backoff,
    now: DateTime<Utc>,
) -> Result<()> {
    let _turn = conn.write_turn().await?;
    let succeeded: Vec<i64> = done
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Succeeded))
        .map(|(job, _)| job.id)
        .collect();
    if !succeeded.is_empty() {
        let sql = format!(
            "UPDATE jobs SET state = 'succeeded', finished_at = $1, locked_by = NULL, \
             locked_until = NULL WHERE locked_by = $2 AND state = 'running' AND {}",
            ids_in(conn, 3)
        );
        let values = [Value::from(now), Value::from(worker), ids_json(&succeeded)];
        conn.execute_raw(stmt(conn, sql, values)).await?;
    }
    for (job, outcome) in done {
        let (error, fatal) = match outcome {
            Outcome::Succeeded => continue,
            Outcome::Failed(error) => (error, false),
            Outcome::Fatal(error) => (error, true),
        };
        let dead = fatal || job.attempts >= job.max_attempts;
        let (state, run_at, finished_at) = if dead {
            (State::Dead, now, Some(now))
        } else {
            (
                State::Retrying,
                now + chrono(backoff.equal_jitter(u32::try_from(job.attempts).unwrap_or(0))),
                None,
            )
        };
        let sql = "UPDATE jobs SET state = $1, run_at = $2, finished_at = $3, last_error = $4, \
                   locked_by = NULL, locked_until = NULL \
                   WHERE id = $5 AND locked_by = $6 AND state = 'running'";
        let values = [
            Value::from(state.as_str()),
            Value::from(run_at),
            Value::from(finished_at),
            Value::from(truncate(error)),
            Value::from(job.id),
            Value::from(worker),
        ];
        conn.execute_raw(stmt(conn, sql, values)).await?;
    }
    Ok(())
}

/// Keeps the error column readable: the first 4,000 bytes of the message.
fn truncate(error: &str) -> String {
    let mut end = error.len().min(4000);
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    error[..end].to_owned()
}

/// Pushes the lease of the jobs this worker is running further out (the heartbeat).
pub(crate) async fn extend(
    conn: &impl Writer,
    worker: &str,
    ids: &[i64],
    until: DateTime<Utc>,
) -> Result<()> {
    let _turn = conn.write_turn().await?;
    let sql = format!(
        "UPDATE jobs SET locked_until = $1 WHERE locked_by = $2 AND state = 'running' AND {}",
        ids_in(conn, 3)
    );
    let values = [Value::from(until), Value::from(worker), ids_json(ids)];
    conn.execute_raw(stmt(conn, sql, values)).await?;
    Ok(())
}

/// Jobs whose lease ran out (their worker died or lost the database) become due again, or dead
/// if that was their last attempt. Returns how many.
pub(crate) async fn rescue_expired(conn: &impl Writer, now: DateTime<Utc>) -> Result<u64> {
    let _turn = conn.write_turn().await?;
    let sql = "UPDATE jobs SET \
         state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'retrying' END, \
         finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
         run_at = $1, locked_by = NULL, locked_until = NULL, \
         last_error = 'lease expired: the worker running it stopped (crash, kill or lost database) \
                       before recording an outcome' \
         WHERE state = 'running' AND locked_until < $1";
    let done = conn
        .execute_raw(stmt(conn, sql, [Value::from(now)]))
        .await?;
    Ok(done.rows_affected())
}

/// At shutdown: jobs this worker claimed but did not finish go back to the queue, due now, and
/// the interrupted attempt is not counted.
pub(crate) async fn give_back(conn: &impl Writer, worker: &str, now: DateTime<Utc>) -> Result<u64> {
    let _turn = conn.write_turn().await?;
    let sql = "UPDATE jobs SET \
         state = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'queued' END, \
         attempts = attempts - 1, run_at = $1, locked_by = NULL, locked_until = NULL \
         WHERE locked_by = $2 AND state = 'running'";
    let done = conn
        .execute_raw(stmt(conn, sql, [Value::from(now), Value::from(worker)]))
        .await?;
    Ok(done.rows_affected())
}
