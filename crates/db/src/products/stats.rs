//! The price report: count, mean, percentiles and a histogram over every product, computed by
//! the database.
//!
//! A handful of aggregate reads in one snapshot: the count, extremes and mean in one pass, each
//! percentile as one step along the `(price_cents, id)` index, the histogram as one `GROUP BY`.
//! Nothing is loaded row by row, but the passes still read the whole index, so the report costs
//! more as the table grows: callers serve it from a cache refreshed in the background rather than
//! per request.

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, IsolationLevel,
    QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;

use crate::{
    Result,
    entities::product::{Column, Entity as Products},
};

/// How many equal-width buckets the histogram has.
pub const HISTOGRAM_BUCKETS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PriceStats {
    pub count: u64,
    pub min_cents: Option<i64>,
    pub max_cents: Option<i64>,
    pub mean_cents: Option<f64>,
    /// Nearest-rank percentiles.
    pub p50_cents: Option<i64>,
    pub p90_cents: Option<i64>,
    pub p99_cents: Option<i64>,
    /// Equal-width buckets from the lowest to the highest price; empty when there are no products.
    pub histogram: Vec<Bucket>,
}

/// Prices in `from_cents..=to_cents` (the last bucket) or `from_cents..to_cents` (the others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub from_cents: i64,
    pub to_cents: i64,
    pub count: u64,
}

/// Computes the report from one consistent view of the table (a repeatable-read transaction on
/// PostgreSQL; SQLite's read transactions are snapshots already).
pub async fn price_stats(db: &DatabaseConnection) -> Result<PriceStats> {
    let isolation = match db.get_database_backend() {
        DatabaseBackend::Postgres => Some(IsolationLevel::RepeatableRead),
        _ => None,
    };
    let access = isolation.map(|_| AccessMode::ReadOnly);
    let txn = db.begin_with_config(isolation, access).await?;
    let stats = compute(&txn).await?;
    txn.commit().await?;
    Ok(stats)
}

async fn compute(conn: &impl ConnectionTrait) -> Result<PriceStats> {
    let price = || Expr::col(Column::PriceCents);
    let (count, min, max, mean) = Products::find()
        .select_only()
        .expr(price().count())
        .expr(price().min())
        .expr(price().max())
        .expr(price().avg().cast_as("double precision"))
        .into_tuple::<(i64, Option<i64>, Option<i64>, Option<f64>)>()
        .one(conn)
        .await?
        .unwrap_or((0, None, None, None));
    let count = u64::try_from(count).unwrap_or(0);
    let (Some(min), Some(max)) = (min, max) else {
        return Ok(PriceStats {
            count,
            min_cents: None,
            max_cents: None,
            mean_cents: None,
            p50_cents: None,
            p90_cents: None,
            p99_cents: None,
            histogram: Vec::new(),
        });
    };
    Ok(PriceStats {
        count,
        min_cents: Some(min),
        max_cents: Some(max),
        mean_cents: mean,
        p50_cents: percentile(conn, count, 50).await?,
        p90_cents: percentile(conn, count, 90).await?,
        p99_cents: percentile(conn, count, 99).await?,
        histogram: histogram(conn, min, max).await?,
    })
}

/// Nearest rank: the smallest price with at least `p` % of the prices at or below it.
async fn percentile(conn: &impl ConnectionTrait, count: u64, p: u64) -> Result<Option<i64>> {
    let rank = nearest_rank(count, p);
    Ok(Products::find()
        .select_only()
        .column(Column::PriceCents)
        .order_by_asc(Column::PriceCents)
        .order_by_asc(Column::Id)
        .offset(rank - 1)
        .limit(1)
        .into_tuple::<i64>()
        .one(conn)
        .await?)
}

/// The 1-based rank of the `p`th percentile among `count` values (at least 1).
fn nearest_rank(count: u64, p: u64) -> u64 {
    let rank = (u128::from(p) * u128::from(count)).div_ceil(100);
    std::cmp::max(u64::try_from(rank).unwrap_or(count), 1)
}

/// The bucket width and count for prices from `min` to `max`: `HISTOGRAM_BUCKETS` buckets of
/// equal integer width, fewer when the span is narrower than that.
fn bucket_width(min: i64, max: i64) -> (i64, i64) {
    // In i128 so that any pair of i64 prices has a span that fits.
    let span = i128::from(max) - i128::from(min) + 1; // at least 1
    let n = HISTOGRAM_BUCKETS as i128;
    let width = (span + n - 1) / n; // ceil(span / n), at least 1
    let buckets = (span + width - 1) / width; // ceil(span / width), at most n
    (
        i64::try_from(width).unwrap_or(i64::MAX),
        i64::try_from(buckets).unwrap_or(1),
    )
}

async fn histogram(conn: &impl ConnectionTrait, min: i64, max: i64) -> Result<Vec<Bucket>> {
    let (width, buckets) = bucket_width(min, max);
    let cents = |i: i64| {
        let at = i128::from(min) + i128::from(i) * i128::from(width);
        i64::try_from(at.min(i128::from(max))).unwrap_or(max)
    };
    let mut out: Vec<Bucket> = (0..buckets)
        .map(|i| Bucket {
            from_cents: cents(i),
            to_cents: cents(i + 1),
            count: 0,
        })
        .collect();
    // Prices are never negative, so `price - min` cannot overflow.
    // Grouped by the output column's name: grouping by the expression again would bind its
    // parameters twice, and PostgreSQL cannot tell `($1 ..)` and `($3 ..)` are the same.
    let bucket = Expr::col(Column::PriceCents).sub(min).div(width);
    let counts = Products::find()
        .select_only()
        .expr_as(bucket, "bucket")
        .expr(Expr::col(Column::Id).count())
        .group_by(Expr::col("bucket"))
        .into_tuple::<(i64, i64)>()
        .all(conn)
        .await?;
    for (index, count) in counts {
        let last = out.len().saturating_sub(1);
        let index = usize::try_from(index).unwrap_or(0).min(last);
        if let Some(bucket) = out.get_mut(index) {
            bucket.count += u64::try_from(count).unwrap_or(0);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        assert_eq!(nearest_rank(100, 50), 50);
        assert_eq!(nearest_rank(100, 99), 99);
        assert_eq!(nearest_rank(5, 50), 3);
        assert_eq!(nearest_rank(1, 1), 1);
        assert_eq!(nearest_rank(u64::MAX, 100), u64::MAX);
    }

    #[test]
    fn buckets_cover_the_span_with_equal_widths() {
        assert_eq!(bucket_width(0, 999), (100, 10));
        assert_eq!(bucket_width(42, 42), (1, 1));
        assert_eq!(bucket_width(0, 4), (1, 5));
        let (width, buckets) = bucket_width(0, i64::MAX);
        assert!(width > 0 && buckets == 10);
    }
}
