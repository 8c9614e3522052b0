//! How long a failed job waits before its next attempt.

use std::time::Duration;

/// Exponential backoff with "equal jitter": attempt `n` waits a random time between half and
/// all of `base * 2^(n-1)`, capped at `max`. The jitter spreads retries of jobs that failed
/// together (an upstream outage) so they do not return together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60 * 60),
        }
    }
}

impl Backoff {
    /// The upper bound of the wait after failed attempt `attempt` (1-based).
    pub fn ceiling(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }

    /// The wait after failed attempt `attempt`: in `[ceiling / 2, ceiling]`.
    pub fn delay(&self, attempt: i32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_per_attempt_up_to_the_cap() {
        let backoff = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(30),
        };
        let ceilings: Vec<u64> = (1..=6).map(|a| backoff.ceiling(a).as_secs()).collect();
        assert_eq!(ceilings, [2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff.ceiling(1_000).as_secs(), 30);
    }

    #[test]
    fn delays_stay_between_half_and_all_of_the_ceiling() {
        let backoff = Backoff::default();
        for attempt in 1..=8 {
            let ceiling = backoff.ceiling(attempt);
            for _ in 0..200 {
                let delay = backoff.delay(attempt);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{delay:?} vs {ceiling:?}"
                );
            }
        }
    }
}
