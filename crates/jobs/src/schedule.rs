//! Periodic jobs: cron expressions in code, exactly one enqueue per tick across all workers.
//!
//! Each schedule has a row in `job_schedules` holding the last tick that fired. Firing a tick
//! is a compare-and-set in one transaction with the enqueue:
//! `UPDATE job_schedules SET last_tick_at = $tick WHERE name = $name AND last_tick_at < $tick`.
//! Of several workers racing for the same tick exactly one updates the row (PostgreSQL re-checks
//! the condition after waiting for the winner's row lock; SQLite has one writer), and only that
//! one enqueues.
//!
//! Missed ticks: when every worker was down across several ticks, the first worker back fires
//! the latest missed tick once and skips the older ones (no backfill, no burst). A schedule seen
//! for the first time fires at its next tick, not for ticks before it existed.

use std::{str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use croner::Cron;
use sea_orm::{ConnectionTrait, Value};
use tokio::sync::watch;

use crate::{Error, Job, Queue, Result, job::NewJob, sql::stmt};

/// One periodic job.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    name: String,
    cron: Cron,
    job: NewJob,
}

impl Schedule {
    pub(crate) fn new<J: Job>(name: &str, expr: &str, job: &J) -> Result<Self> {
        let cron = Cron::from_str(expr).map_err(|err| Error::Schedule {
            name: name.to_owned(),
            expr: expr.to_owned(),
            reason: err.to_string(),
        })?;
        Ok(Self {
            name: name.to_owned(),
            cron,
            job: NewJob::of(job)?,
        })
    }

    /// The latest tick at or before `now`.
    fn last_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_previous_occurrence(&now, true).ok()
    }

    fn next_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&now, false).ok()
    }
}

/// Fires every schedule whose latest tick has not fired yet. Returns how many jobs it enqueued.
pub(crate) async fn fire_due(queue: &Queue, schedules: &[Schedule]) -> Result<usize> {
    let now = queue.clock().now();
    let mut fired = 0;
    for schedule in schedules {
        let Some(tick) = schedule.last_tick(now) else {
            continue;
        };
        if fire(queue, schedule, tick, now).await? {
            fired += 1;
        }
    }
    Ok(fired)
}

async fn fire(
    queue: &Queue,
    schedule: &Schedule,
    tick: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let txn = db::begin_write(queue.db()).await?;
    let name = Value::from(schedule.name.as_str());
    let first_sight = txn
        .execute_raw(stmt(
            &txn,
            "INSERT INTO job_schedules (name, last_tick_at) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
            [name.clone(), Value::from(tick)],
        ))
        .await?
        .rows_affected()
        == 1;
    let won = !first_sight
        && txn
            .execute_raw(stmt(
                &txn,
                "UPDATE job_schedules SET last_tick_at = $1 WHERE name = $2 AND last_tick_at < $1",
                [Value::from(tick), name],
            ))
            .await?
            .rows_affected()
            == 1;
    if won {
        let enqueued = crate::queue::insert(&txn, &schedule.job, now, now, true).await?;
        tracing::info!(schedule = %schedule.name, %tick, job = enqueued.id, "scheduled job enqueued");
    } else if !first_sight {
        tracing::debug!(schedule = %schedule.name, %tick, "tick already fired");
    }
    txn.commit().await?;
    if won {
        queue.wake_local(queue.db());
    }
    Ok(won)
}

/// The scheduler loop of a running worker: fire, sleep until the next tick, repeat.
pub(crate) async fn run(queue: Queue, schedules: Vec<Schedule>, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(err) = fire_due(&queue, &schedules).await {
            tracing::warn!(error = %err, "firing scheduled jobs failed");
        }
        let now = queue.clock().now();
        let next = schedules.iter().filter_map(|s| s.next_tick(now)).min();
        // A manual clock does not move by itself: look again soon.
        let wait = match next {
            Some(next) if !queue.clock().is_manual() => {
                (next - now).to_std().unwrap_or(Duration::ZERO) + Duration::from_millis(5)
            }
            _ => Duration::from_secs(1),
        };
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Tick;

    impl Job for Tick {
        const NAME: &'static str = "tick";
        type Context = ();
        async fn run(&self, _: crate::JobContext<()>) -> Result<(), crate::BoxError> {
            Ok(())
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn ticks_are_found_on_either_side_of_now() {
        let schedule = Schedule::new("s", "*/5 * * * *", &Tick).unwrap();
        let now = at("2026-11-21T10:07:30Z");
        assert_eq!(schedule.last_tick(now), Some(at("2026-11-21T10:05:00Z")));
        assert_eq!(schedule.next_tick(now), Some(at("2026-11-21T10:10:00Z")));
        // A tick is its own latest tick.
        let tick = at("2026-11-21T10:10:00Z");
        assert_eq!(schedule.last_tick(tick), Some(tick));
    }

    #[test]
    fn a_bad_expression_names_the_schedule() {
        let err = Schedule::new("nightly", "61 * * * *", &Tick)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("nightly") && err.contains("61 * * * *"),
            "{err}"
        );
    }
}
