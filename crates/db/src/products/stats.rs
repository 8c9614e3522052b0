//! The price report: count, mean, percentiles and a histogram over every product.
//!
//! [`PriceStats::compute`] is plain CPU work over all prices (a sort dominates); callers run it
//! through the blocking bridge (`offload`), not on the async runtime.

use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use serde::Serialize;

use crate::{
    Result,
    entities::product::{Column, Entity as Products},
};

/// How many equal-width buckets the histogram has.
pub const HISTOGRAM_BUCKETS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub from_cents: i64,
    pub to_cents: i64,
    pub count: u64,
}

impl PriceStats {
    pub fn compute(mut prices: Vec<i64>) -> Self {
        prices.sort_unstable();
        let count = prices.len() as u64;
        let (Some(&min), Some(&max)) = (prices.first(), prices.last()) else {
            return Self {
                count: 0,
                min_cents: None,
                max_cents: None,
                mean_cents: None,
                p50_cents: None,
                p90_cents: None,
                p99_cents: None,
                histogram: Vec::new(),
            };
        };
        let sum: i128 = prices.iter().map(|&p| i128::from(p)).sum();
        Self {
            count,
            min_cents: Some(min),
            max_cents: Some(max),
            mean_cents: Some(sum as f64 / prices.len() as f64),
            p50_cents: Some(percentile(&prices, 50)),
            p90_cents: Some(percentile(&prices, 90)),
            p99_cents: Some(percentile(&prices, 99)),
            histogram: histogram(&prices, min, max),
        }
    }
}

/// Nearest rank: the smallest value with at least `p` % of the values at or below it.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

fn histogram(sorted: &[i64], min: i64, max: i64) -> Vec<Bucket> {
    // In i128 so that any pair of i64 prices has a span that fits.
    let (min, max) = (i128::from(min), i128::from(max));
    let span = max - min + 1; // at least 1
    let n = HISTOGRAM_BUCKETS as i128;
    let width = (span + n - 1) / n; // ceil(span / n), at least 1
    let buckets = (span + width - 1) / width; // ceil(span / width), at most n
    let cents = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
    let mut out: Vec<Bucket> = (0..buckets)
        .map(|i| Bucket {
            from_cents: cents(min + i * width),
            to_cents: cents((min + (i + 1) * width).min(max)),
            count: 0,
        })
        .collect();
    for &price in sorted {
        let index = usize::try_from((i128::from(price) - min) / width).unwrap_or(0);
        if let Some(bucket) = out.get_mut(index) {
            bucket.count += 1;
        }
    }
    out
}

/// Every price, for the report. 10,000 products are 80 KB; fine to hold for a report.
pub async fn all_prices(conn: &impl ConnectionTrait) -> Result<Vec<i64>> {
    Ok(Products::find()
        .select_only()
        .column(Column::PriceCents)
        .into_tuple::<i64>()
        .all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_products_give_an_empty_report() {
        let stats = PriceStats::compute(Vec::new());
        assert_eq!(stats.count, 0);
        assert_eq!(stats.p50_cents, None);
        assert!(stats.histogram.is_empty());
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let stats = PriceStats::compute((1..=100).rev().collect());
        assert_eq!((stats.min_cents, stats.max_cents), (Some(1), Some(100)));
        assert_eq!(stats.p50_cents, Some(50));
        assert_eq!(stats.p90_cents, Some(90));
        assert_eq!(stats.p99_cents, Some(99));
        assert_eq!(stats.mean_cents, Some(50.5));
    }

    #[test]
    fn the_histogram_covers_every_price_once() {
        let stats = PriceStats::compute(vec![0, 5, 10, 99, 100, 100, 250, 999]);
        let total: u64 = stats.histogram.iter().map(|b| b.count).sum();
        assert_eq!(total, 8);
        assert_eq!(stats.histogram.len(), HISTOGRAM_BUCKETS);
        assert_eq!(stats.histogram[0].from_cents, 0);
        assert_eq!(stats.histogram.last().map(|b| b.to_cents), Some(999));
        assert_eq!(
            stats.histogram[0].count, 4,
            "0, 5, 10 and 99 fall in [0, 100)"
        );
        assert_eq!(stats.histogram[1].count, 2, "100 twice falls in [100, 200)");
    }

    #[test]
    fn one_price_makes_one_bucket() {
        let stats = PriceStats::compute(vec![42, 42]);
        assert_eq!(
            stats.histogram,
            vec![Bucket {
                from_cents: 42,
                to_cents: 42,
                count: 2
            }]
        );
        assert_eq!(stats.p99_cents, Some(42));
    }
}
