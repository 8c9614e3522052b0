//! Retries: which failures are worth another attempt, and how long to wait before it.
//!
//! Waits grow exponentially with full jitter (a random delay between zero and the exponential
//! bound), so many clients retrying after the same outage spread out instead of arriving together.
//! A server's `Retry-After` (seconds or an HTTP date) wins over the computed wait, up to a cap.
//! Only idempotent requests are retried unless the caller opts in: a retried `POST` may run twice.

use std::time::{Duration, SystemTime};

use backoff::Backoff;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means no retry).
    pub max_attempts: u32,
    /// The bound of the first backoff; it doubles with each attempt.
    pub base_delay: Duration,
    /// No computed backoff is longer than this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is cut to it.
    pub retry_after_cap: Duration,
    /// The whole call, every attempt and wait included, ends by then.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            retry_after_cap: Duration::from_secs(5),
            deadline: Duration::from_secs(10),
        }
    }
}

/// What the previous attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The connection could not be made, or the attempt timed out.
    ConnectOrTimeout,
    /// The upstream answered with this status.
    Status(u16),
}

impl RetryPolicy {
    /// Whether `outcome` on attempt `attempt` (1-based) deserves another attempt.
    pub fn should_retry(&self, attempt: u32, outcome: Outcome, idempotent: bool) -> bool {
        idempotent && attempt < self.max_attempts && is_transient(outcome)
    }

    /// How long to wait after attempt `attempt` (1-based): the server's `Retry-After` (capped)
    /// when it sent one, else full jitter over `min(max_delay, base_delay * 2^(attempt-1))`.
    /// `unit` is a random number in `[0, 1)`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.retry_after_cap),
            None => Backoff::new(self.base_delay, self.max_delay).full_jitter_at(attempt, unit),
        }
    }

    /// [`delay`](Self::delay) with a fresh random number.
    pub fn jittered_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.delay(attempt, retry_after, backoff::unit())
    }
}

/// Connect errors, timeouts, 429, 502, 503 and 504 may pass; anything else will not.
pub fn is_transient(outcome: Outcome) -> bool {
    match outcome {
        Outcome::ConnectOrTimeout => true,
        Outcome::Status(status) => matches!(status, 429 | 502 | 503 | 504),
    }
}

/// Reads a `Retry-After` value: delay-seconds (`120`) or an HTTP date, relative to `now`.
/// A date in the past means "now"; anything unreadable is ignored.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            retry_after_cap: Duration::from_secs(3),
            deadline: Duration::from_secs(10),
        }
    }

    #[test]
    fn transient_failures_are_retried_until_the_attempts_run_out() {
        let p = policy();
        for outcome in [
            Outcome::ConnectOrTimeout,
            Outcome::Status(429),
            Outcome::Status(502),
            Outcome::Status(503),
            Outcome::Status(504),
        ] {
            assert!(p.should_retry(1, outcome, true), "{outcome:?}");
            assert!(
                !p.should_retry(4, outcome, true),
                "{outcome:?} after the last attempt"
            );
        }
    }

    #[test]
    fn client_errors_and_other_statuses_are_never_retried() {
        let p = policy();
        for status in [400, 401, 403, 404, 409, 422, 500, 501] {
            assert!(
                !p.should_retry(1, Outcome::Status(status), true),
                "{status}"
            );
        }
    }

    #[test]
    fn non_idempotent_requests_are_not_retried_unless_the_caller_opts_in() {
        assert!(!policy().should_retry(1, Outcome::Status(503), false));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_spans_zero_to_the_bound() {
        let p = policy();
        assert_eq!(p.delay(1, None, 0.999_999).as_millis(), 99);
        assert_eq!(p.delay(2, None, 0.999_999).as_millis(), 199);
        assert_eq!(p.delay(3, None, 0.999_999).as_millis(), 399);
        assert_eq!(
            p.delay(4, None, 0.999_999).as_millis(),
            499,
            "capped at max_delay"
        );
        assert_eq!(p.delay(40, None, 0.999_999).as_millis(), 499, "no overflow");
        assert_eq!(p.delay(3, None, 0.0), Duration::ZERO);
        assert_eq!(p.delay(3, None, 0.5), Duration::from_millis(200));
    }

    #[test]
    fn retry_after_wins_over_backoff_up_to_its_cap() {
        let p = policy();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2)), 0.5),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60)), 0.5),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_as_an_http_date() {
        let now = httpdate::parse_http_date("Sat, 21 Nov 2026 08:00:00 GMT")
            .unwrap_or(SystemTime::UNIX_EPOCH);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 08:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
