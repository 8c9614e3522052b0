//! Limits kept in the database, so every replica counts against the same one: fixed-window
//! counters ([`hit`]), and an exponential back-off per key ([`backoff_hit`]) for what must slow
//! down without ever locking its owner out for good (an account's sign-ins).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use crate::{
    Result, Writer,
    entities::rate_limit::{self, Column, Entity as RateLimits},
};

/// The `key` column's width; longer keys are cut to it (PostgreSQL would refuse them, and keys
/// are built from what clients send).
const KEY_MAX_CHARS: usize = 300;

/// What a hit on a limit decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit; the window ends after this long.
    Limited {
        retry_after: Duration,
    },
}

/// Counts one hit on `key` and says whether it is within `max` hits per `window`. A window starts
/// at a key's first hit and lasts `window`; the first hit after it starts a new one.
pub async fn hit(
    db: &impl Writer,
    key: &str,
    max: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Decision> {
    let span = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    let cutoff = now - span;
    let row = rate_limit::ActiveModel {
        key: Set(key.chars().take(KEY_MAX_CHARS).collect()),
        window_start: Set(now),
        hits: Set(1),
    };
    // One statement, so concurrent hits on two replicas cannot both read "under the limit".
    let expired = Expr::col((RateLimits, Column::WindowStart)).lte(cutoff);
    let on_conflict = OnConflict::column(Column::Key)
        .value(
            Column::Hits,
            Expr::case(expired.clone(), 1).finally(Expr::col((RateLimits, Column::Hits)).add(1)),
        )
        .value(
            Column::WindowStart,
            Expr::case(expired, now).finally(Expr::col((RateLimits, Column::WindowStart))),
        )
        .to_owned();
    let _turn = db.write_turn().await?;
    let counted = RateLimits::insert(row)
        .on_conflict(on_conflict)
        .exec_with_returning(db)
        .await?;
    if counted.hits <= i32::try_from(max).unwrap_or(i32::MAX) {
        return Ok(Decision::Allowed);
    }
    let ends = counted.window_start + span;
    let left = (ends - now).to_std().unwrap_or(Duration::ZERO);
    Ok(Decision::Limited {
        retry_after: round_up(left),
    })
}

pub use backoff::Backoff;

/// A throttle on repeated attempts: `free` attempts go at once; after that each attempt must
/// come at least the `backoff` ceiling after the one before (its base first, doubling with every
/// further attempt, up to its max). So the owner of the key is slowed down, never shut out: at
/// worst they wait the max once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub free: u32,
    pub backoff: Backoff,
}

impl Throttle {
    /// How long after attempt number `n` (counting from 1) the next one must wait.
    pub fn wait_after(&self, n: u32) -> Duration {
        if n < self.free {
            Duration::ZERO
        } else {
            self.backoff.ceiling(n - self.free + 1)
        }
    }
}

/// A back-off key with no attempt for this long starts afresh.
const BACKOFF_MEMORY: TimeDelta = TimeDelta::days(1);

/// Counts an attempt on `key` under `policy`: [`Decision::Limited`] while the key must still
/// wait (the attempt is not counted), otherwise counted and allowed, and the next attempt's
/// earliest time is set. Counted before the work it guards, so concurrent attempts cannot slip
/// past the count. [`forget`] starts the key afresh (after a success).
pub async fn backoff_hit(
    db: &impl Writer,
    key: &str,
    policy: Throttle,
    now: DateTime<Utc>,
) -> Result<Decision> {
    let key: String = key.chars().take(KEY_MAX_CHARS).collect();
    let txn = crate::begin_write(db).await?;
    // The row must exist for PostgreSQL to lock it; `window_start` here is the earliest time of
    // the next attempt.
    let fresh = rate_limit::ActiveModel {
        key: Set(key.clone()),
        window_start: Set(now),
        hits: Set(0),
    };
    RateLimits::insert(fresh)
        .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    let row = RateLimits::find_by_id(key.clone())
        .lock_exclusive()
        .one(&txn)
        .await?;
    let (hits, not_before) = row.map_or((0, now), |row| (row.hits, row.window_start));
    if not_before > now {
        return Ok(Decision::Limited {
            retry_after: round_up((not_before - now).to_std().unwrap_or(Duration::ZERO)),
        });
    }
    let previous = if now - not_before > BACKOFF_MEMORY {
        0
    } else {
        u32::try_from(hits).unwrap_or(0)
    };
    let count = previous.saturating_add(1);
    let wait = TimeDelta::from_std(policy.wait_after(count)).unwrap_or(TimeDelta::MAX);
    RateLimits::update_many()
        .col_expr(
            Column::Hits,
            Expr::value(i32::try_from(count).unwrap_or(i32::MAX)),
        )
        .col_expr(Column::WindowStart, Expr::value(now + wait))
        .filter(Column::Key.eq(key))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Decision::Allowed)
}

/// Starts `key` afresh (a back-off after its owner got in).
pub async fn forget(db: &impl Writer, key: &str) -> Result<()> {
    let key: String = key.chars().take(KEY_MAX_CHARS).collect();
    let _turn = db.write_turn().await?;
    RateLimits::delete_by_id(key).exec(db).await?;
    Ok(())
}

/// "Retry after 0 seconds" would invite an immediate retry that fails again.
fn round_up(wait: Duration) -> Duration {
    Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
}

/// Forgets counters whose window ended before `older_than`.
pub async fn delete_stale(db: &impl Writer, older_than: DateTime<Utc>) -> Result<u64> {
    let _turn = db.write_turn().await?;
    Ok(RateLimits::delete_many()
        .filter(Column::WindowStart.lte(older_than))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DbConfig;

    fn policy() -> Throttle {
        Throttle {
            free: 3,
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(4)),
        }
    }

    #[test]
    fn the_wait_doubles_after_the_free_attempts_up_to_the_cap() {
        let waits: Vec<u64> = (1..=7).map(|n| policy().wait_after(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 1, 2, 4, 4, 4]);
        assert_eq!(policy().wait_after(u32::MAX), Duration::from_secs(4));
    }

    #[tokio::test]
    async fn a_key_is_slowed_down_never_shut_out_and_starts_afresh_when_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
        let db = crate::connect(&DbConfig::new(url)).await.unwrap();
        migrate(&db).await;
        let t0 = crate::now();
        let at = |secs: i64| t0 + TimeDelta::seconds(secs);
        let hit = |now| backoff_hit(&db, "login:account:a@example.com", policy(), now);

        for _ in 0..3 {
            assert_eq!(hit(at(0)).await.unwrap(), Decision::Allowed);
        }
        let limited = hit(at(0)).await.unwrap();
        assert_eq!(
            limited,
            Decision::Limited {
                retry_after: Duration::from_secs(1)
            }
        );
        assert_eq!(
            hit(at(1)).await.unwrap(),
            Decision::Allowed,
            "after the wait"
        );
        assert!(matches!(
            hit(at(2)).await.unwrap(),
            Decision::Limited { .. }
        ));
        assert_eq!(hit(at(3)).await.unwrap(), Decision::Allowed, "2 s after");
        assert_eq!(hit(at(7)).await.unwrap(), Decision::Allowed, "4 s after");
        assert_eq!(
            hit(at(11)).await.unwrap(),
            Decision::Allowed,
            "capped at 4 s"
        );

        forget(&db, "login:account:a@example.com").await.unwrap();
        assert_eq!(hit(at(11)).await.unwrap(), Decision::Allowed, "afresh");

        let a_day_later = at(12) + BACKOFF_MEMORY + TimeDelta::seconds(1);
        for _ in 0..3 {
            assert_eq!(hit(a_day_later).await.unwrap(), Decision::Allowed);
        }
    }

    async fn migrate(db: &sea_orm::DatabaseConnection) {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "CREATE TABLE rate_limits (key TEXT PRIMARY KEY, window_start TEXT NOT NULL, hits INTEGER NOT NULL)",
        )
        .await
        .unwrap();
    }
}
