//! Fixed-window counters in the database, so every replica counts against the same limit.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter,
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
    // Round up: "retry after 0 seconds" would invite an immediate retry that fails again.
    Ok(Decision::Limited {
        retry_after: Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0)),
    })
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
