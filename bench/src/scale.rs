//! `just bench --scale`: the same rows at 10,000 and at 1,000,000 products, side by side, with
//! the budgets of cost that does not grow with the table.

use std::fmt::Write as _;

use crate::{
    loads::{API_LIST, HTML_LIST, POINT_READ, STATS},
    report::{Budget, Round},
};

/// A list or page row at the large size keeps at least this share of its small-size throughput.
const MIN_KEPT: f64 = 0.80;
/// ... with at most this p99, ms.
const MAX_LIST_P99_MS: f64 = 25.0;
/// The report row's p99 at the large size, ms.
const MAX_STATS_P99_MS: f64 = 50.0;

#[derive(Debug)]
pub struct ScaleReport<'a> {
    small: &'a Round,
    large: &'a Round,
    budgets: Vec<Budget>,
}

impl<'a> ScaleReport<'a> {
    pub fn new(small: &'a Round, large: &'a Round) -> Self {
        let mut budgets = Vec::new();
        let (n_small, n_large) = (count(small.products_seeded), count(large.products_seeded));
        for endpoint in [API_LIST, HTML_LIST] {
            let (Some(s), Some(l)) = (app_row(small, endpoint), app_row(large, endpoint)) else {
                continue;
            };
            let kept = l.requests_per_sec / s.requests_per_sec.max(f64::MIN_POSITIVE);
            budgets.push(Budget {
                name: format!("{endpoint}: req/s at {n_large} ÷ at {n_small}, p99 at {n_large}"),
                target: format!("≥ {:.0} %, ≤ {MAX_LIST_P99_MS:.0} ms", MIN_KEPT * 100.0),
                actual: format!("{:.1} %, {:.1} ms", kept * 100.0, l.p99_ms),
                pass: kept >= MIN_KEPT && l.p99_ms <= MAX_LIST_P99_MS,
            });
        }
        if let Some(l) = app_row(large, STATS) {
            budgets.push(Budget {
                name: format!("{STATS}: p99 at {n_large}"),
                target: format!("≤ {MAX_STATS_P99_MS:.0} ms"),
                actual: format!("{:.1} ms", l.p99_ms),
                pass: l.p99_ms <= MAX_STATS_P99_MS,
            });
        }
        Self {
            small,
            large,
            budgets,
        }
    }

    pub fn budgets(&self) -> &[Budget] {
        &self.budgets
    }

    pub fn markdown(&self) -> String {
        let (small, large) = (self.small, self.large);
        let (n_small, n_large) = (count(small.products_seeded), count(large.products_seeded));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "### {}: {n_small} and {n_large} products\n\n| | Req/s at {n_small} | p99 ms | Req/s at {n_large} | p99 ms | kept |\n|---|---:|---:|---:|---:|---:|",
            small.backend
        );
        for endpoint in [POINT_READ, API_LIST, HTML_LIST, STATS] {
            let (Some(s), Some(l)) = (app_row(small, endpoint), app_row(large, endpoint)) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| `{endpoint}` | {:.0} | {:.2} | {:.0} | {:.2} | {:.1} % |",
                s.requests_per_sec,
                s.p99_ms,
                l.requests_per_sec,
                l.p99_ms,
                100.0 * l.requests_per_sec / s.requests_per_sec.max(f64::MIN_POSITIVE)
            );
        }
        let ms = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0} ms"));
        let _ = writeln!(
            out,
            "\nThe report computed on the first request after a start: {} at {n_small}, {} at {n_large}. Seeding took {:.1} s and {:.1} s.\n",
            ms(small.report_cold_ms),
            ms(large.report_cold_ms),
            small.seed_seconds,
            large.seed_seconds
        );
        let _ = writeln!(out, "| Budget | Target | Actual | |\n|---|---|---|---|");
        for b in &self.budgets {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                b.name,
                b.target,
                b.actual,
                if b.pass { "pass" } else { "FAIL" }
            );
        }
        out
    }
}

fn app_row<'r>(round: &'r Round, endpoint: &str) -> Option<&'r crate::wrk::Outcome> {
    round
        .rows
        .iter()
        .find(|r| r.endpoint == endpoint && r.server == "app")
        .map(|r| &r.outcome)
}

/// 10000 → "10k", 1000000 → "1M".
fn count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
