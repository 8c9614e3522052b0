//! Exponential backoff: after `n` failures, wait up to `base * 2^(n-1)`, never more than `max`.
//!
//! One schedule serves every "wait, then try again" in the app, each with the jitter that fits:
//! job retries use [`Backoff::equal_jitter`] (never at once, spread over the upper half), upstream
//! retries [`Backoff::full_jitter`] (anywhere from zero: many clients after one outage spread
//! out the most), and the sign-in throttle the bare [`Backoff::ceiling`] (a person should be able
//! to predict it).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The bound after the first failure; it doubles with each further one.
    pub base: Duration,
    /// No wait is longer than this.
    pub max: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Self {
        Self { base, max }
    }

    /// The longest wait after `failures` failures: `base * 2^(failures-1)` capped at `max`, and
    /// zero before any failure.
    pub fn ceiling(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let doublings = (failures - 1).min(31);
        self.base.saturating_mul(1u32 << doublings).min(self.max)
    }

    /// A wait in `[0, ceiling]`, at the point `unit` (in `[0, 1]`) of that range.
    pub fn full_jitter_at(&self, failures: u32, unit: f64) -> Duration {
        self.ceiling(failures).mul_f64(unit.clamp(0.0, 1.0))
    }

    /// A random wait in `[0, ceiling]`.
    pub fn full_jitter(&self, failures: u32) -> Duration {
        self.full_jitter_at(failures, unit())
    }

    /// A wait in `[ceiling / 2, ceiling]`, at the point `unit` (in `[0, 1]`) of that range.
    pub fn equal_jitter_at(&self, failures: u32, unit: f64) -> Duration {
        let half = self.ceiling(failures) / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// A random wait in `[ceiling / 2, ceiling]`.
    pub fn equal_jitter(&self, failures: u32) -> Duration {
        self.equal_jitter_at(failures, unit())
    }
}

/// A random point in `[0, 1)`, for the `_at` forms.
pub fn unit() -> f64 {
    fastrand::f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn the_ceiling_doubles_per_failure_up_to_the_cap_without_overflow() {
        let backoff = Backoff::new(2 * SECOND, 30 * SECOND);
        let ceilings: Vec<u64> = (0..=6).map(|n| backoff.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [0, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff.ceiling(u32::MAX), 30 * SECOND);
        let huge = Backoff::new(Duration::MAX, Duration::MAX);
        assert_eq!(huge.ceiling(40), Duration::MAX);
    }

    #[test]
    fn jitter_spans_its_range_and_no_more() {
        let backoff = Backoff::new(SECOND, 60 * SECOND);
        assert_eq!(backoff.full_jitter_at(3, 0.0), Duration::ZERO);
        assert_eq!(backoff.full_jitter_at(3, 0.5), 2 * SECOND);
        assert_eq!(
            backoff.full_jitter_at(3, 7.0),
            4 * SECOND,
            "unit is clamped"
        );
        assert_eq!(backoff.equal_jitter_at(3, 0.0), 2 * SECOND);
        assert_eq!(backoff.equal_jitter_at(3, 1.0), 4 * SECOND);
        for n in 1..=8 {
            let ceiling = backoff.ceiling(n);
            for _ in 0..100 {
                assert!(backoff.full_jitter(n) <= ceiling);
                let equal = backoff.equal_jitter(n);
                assert!(
                    equal >= ceiling / 2 && equal <= ceiling,
                    "{equal:?} vs {ceiling:?}"
                );
            }
        }
    }
}
