//! A circuit breaker per upstream: after `failure_threshold` consecutive failures it opens and
//! calls fail fast, with no network call, for `cool_down`; then it lets exactly one probe through
//! (half-open). The probe's success closes it; its failure opens it again. State changes are
//! logged. The lock is a plain mutex held for a few instructions, never across an `.await`.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    pub failure_threshold: u32,
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cool_down: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed {
        consecutive_failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is in flight; everyone else is refused until it reports.
    HalfOpen,
}

/// The caller may make the call; report how it went with [`CircuitBreaker::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "report the call's result with CircuitBreaker::record"]
pub enum Admission {
    Normal,
    Probe,
}

/// The breaker is open: fail fast. The upstream may be tried again in `retry_in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    pub retry_in: Duration,
}

#[derive(Debug)]
pub struct CircuitBreaker {
    upstream: &'static str,
    policy: BreakerPolicy,
    state: Mutex<State>,
}

impl CircuitBreaker {
    pub fn new(upstream: &'static str, policy: BreakerPolicy) -> Self {
        Self {
            upstream,
            policy,
            state: Mutex::new(State::Closed {
                consecutive_failures: 0,
            }),
        }
    }

    pub fn state(&self) -> State {
        *self.lock()
    }

    /// May a call go out now?
    pub fn admit(&self, now: Instant) -> Result<Admission, Rejected> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(Admission::Normal),
            State::Open { until } if now >= until => {
                *state = State::HalfOpen;
                tracing::info!(
                    upstream = self.upstream,
                    "circuit half-open: sending one probe"
                );
                Ok(Admission::Probe)
            }
            State::Open { until } => Err(Rejected {
                retry_in: until - now,
            }),
            // Until the probe reports, nobody else goes.
            State::HalfOpen => Err(Rejected {
                retry_in: Duration::ZERO,
            }),
        }
    }

    /// Reports the outcome of an admitted call. A failure is anything that says the upstream is
    /// unwell (connect errors, timeouts, 5xx, 429); a 404 or a 400 is the caller's problem and a
    /// success as far as the breaker is concerned.
    pub fn record(&self, admission: Admission, success: bool, now: Instant) {
        let mut state = self.lock();
        let next = match (*state, admission, success) {
            (_, _, true) => State::Closed {
                consecutive_failures: 0,
            },
            (State::HalfOpen, Admission::Probe, false) => self.open(now),
            (
                State::Closed {
                    consecutive_failures,
                },
                _,
                false,
            ) => {
                let failures = consecutive_failures + 1;
                if failures >= self.policy.failure_threshold {
                    self.open(now)
                } else {
                    State::Closed {
                        consecutive_failures: failures,
                    }
                }
            }
            // A late failure from before the circuit opened changes nothing.
            (current, _, false) => current,
        };
        if matches!(next, State::Closed { .. }) && !matches!(*state, State::Closed { .. }) {
            tracing::info!(
                upstream = self.upstream,
                "circuit closed: upstream healthy again"
            );
        }
        *state = next;
    }

    fn open(&self, now: Instant) -> State {
        tracing::warn!(
            upstream = self.upstream,
            cool_down_ms = self.policy.cool_down.as_millis() as u64,
            "circuit open: failing fast"
        );
        State::Open {
            until: now + self.policy.cool_down,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state half-written (it is `Copy`).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(
            "test",
            BreakerPolicy {
                failure_threshold: 3,
                cool_down: Duration::from_secs(10),
            },
        )
    }

    fn fail(b: &CircuitBreaker, now: Instant) {
        if let Ok(admission) = b.admit(now) {
            b.record(admission, false, now);
        }
    }

    #[test]
    fn it_opens_after_the_threshold_of_consecutive_failures() {
        let b = breaker();
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);
        assert_eq!(
            b.admit(t0),
            Ok(Admission::Normal),
            "two failures: still closed"
        );
        fail(&b, t0);

        assert_eq!(
            b.admit(t0 + Duration::from_secs(1)),
            Err(Rejected {
                retry_in: Duration::from_secs(9)
            })
        );
    }

    #[test]
    fn a_success_resets_the_count() {
        let b = breaker();
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);
        let admission = b.admit(t0).ok();
        b.record(admission.unwrap_or(Admission::Normal), true, t0);
        fail(&b, t0);
        fail(&b, t0);

        assert_eq!(
            b.state(),
            State::Closed {
                consecutive_failures: 2
            }
        );
    }

    #[test]
    fn after_the_cool_down_exactly_one_probe_goes_and_its_success_closes_the_circuit() {
        let b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            fail(&b, t0);
        }
        let later = t0 + Duration::from_secs(10);

        let probe = b.admit(later);
        let meanwhile = b.admit(later);

        assert_eq!(probe, Ok(Admission::Probe));
        assert!(meanwhile.is_err(), "only one probe while half-open");
        b.record(Admission::Probe, true, later);
        assert_eq!(
            b.state(),
            State::Closed {
                consecutive_failures: 0
            }
        );
        assert_eq!(b.admit(later), Ok(Admission::Normal));
    }

    #[test]
    fn a_failed_probe_opens_the_circuit_for_another_cool_down() {
        let b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            fail(&b, t0);
        }
        let later = t0 + Duration::from_secs(10);

        fail(&b, later);

        assert_eq!(
            b.state(),
            State::Open {
                until: later + Duration::from_secs(10)
            }
        );
        assert!(b.admit(later + Duration::from_secs(9)).is_err());
    }
}
