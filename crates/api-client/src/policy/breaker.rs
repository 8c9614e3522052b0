//! A circuit breaker per upstream: after `failure_threshold` consecutive failures it opens and
//! calls fail fast, with no network call, for `cool_down`; then it lets exactly one probe through
//! (half-open). The probe's success closes it; its failure opens it again. State changes are
//! logged. The lock is a plain mutex held for a few instructions, never across an `.await`.
//!
//! An admitted call holds a [`Permit`] and reports through it. A permit dropped without a
//! verdict — its caller went away (a client hung up, a `JoinSet` was aborted, a job timed out) or
//! the call never reached the upstream — says nothing about the upstream's health: a normal call
//! changes nothing, and a probe hands its half-open turn back, so the next call probes. Without
//! that, one cancelled probe would leave the circuit half-open, refusing every call, for as long
//! as the process lives.

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
    /// One probe is in flight; everyone else is refused until it reports (or is dropped).
    HalfOpen,
}

/// What kind of call was admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Normal,
    Probe,
}

/// The breaker is open: fail fast. The upstream may be tried again in `retry_in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    pub retry_in: Duration,
}

/// An admitted call. Report how it went with [`Permit::record`]; dropping it unreported is "no
/// verdict" (see the module docs).
#[derive(Debug)]
#[must_use = "report the call's result with Permit::record (dropping it gives no verdict)"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    admission: Admission,
    reported: bool,
}

impl Permit<'_> {
    pub fn admission(&self) -> Admission {
        self.admission
    }

    /// Reports the outcome of the call. A failure is anything that says the upstream is unwell
    /// (connect errors, timeouts, 5xx, 429); a 404 or a 400 is the caller's problem and a
    /// success as far as the breaker is concerned.
    pub fn record(mut self, healthy: bool, now: Instant) {
        self.reported = true;
        self.breaker.record(self.admission, healthy, now);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported && self.admission == Admission::Probe {
            self.breaker.abandon_probe(Instant::now());
        }
    }
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
    pub fn admit(&self, now: Instant) -> Result<Permit<'_>, Rejected> {
        let mut state = self.lock();
        let admission = match *state {
            State::Closed { .. } => Admission::Normal,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen;
                tracing::info!(
                    upstream = self.upstream,
                    "circuit half-open: sending one probe"
                );
                Admission::Probe
            }
            State::Open { until } => {
                return Err(Rejected {
                    retry_in: until - now,
                });
            }
            // Until the probe reports, nobody else goes.
            State::HalfOpen => {
                return Err(Rejected {
                    retry_in: Duration::ZERO,
                });
            }
        };
        Ok(Permit {
            breaker: self,
            admission,
            reported: false,
        })
    }

    fn record(&self, admission: Admission, success: bool, now: Instant) {
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

    /// A probe ended without a verdict: the next call probes instead.
    fn abandon_probe(&self, now: Instant) {
        let mut state = self.lock();
        if *state == State::HalfOpen {
            tracing::debug!(
                upstream = self.upstream,
                "circuit probe abandoned: the next call probes"
            );
            *state = State::Open { until: now };
        }
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
        if let Ok(permit) = b.admit(now) {
            permit.record(false, now);
        }
    }

    fn kind(admitted: Result<Permit<'_>, Rejected>) -> Result<Admission, Rejected> {
        admitted.map(|permit| {
            let admission = permit.admission();
            // A test that only looks at the kind reports a success, so nothing is left open.
            permit.record(true, Instant::now());
            admission
        })
    }

    /// Opens `b` at `t0`; returns when its cool-down ends.
    fn opened(b: &CircuitBreaker, t0: Instant) -> Instant {
        for _ in 0..3 {
            fail(b, t0);
        }
        t0 + Duration::from_secs(10)
    }

    #[test]
    fn it_opens_after_the_threshold_of_consecutive_failures() {
        let b = breaker();
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);
        assert_eq!(
            b.state(),
            State::Closed {
                consecutive_failures: 2
            },
            "two failures: still closed"
        );
        fail(&b, t0);

        assert_eq!(
            b.admit(t0 + Duration::from_secs(1)).err(),
            Some(Rejected {
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
        assert_eq!(kind(b.admit(t0)), Ok(Admission::Normal));
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
        let later = opened(&b, Instant::now());

        let probe = b.admit(later);
        let meanwhile = b.admit(later);

        assert!(meanwhile.is_err(), "only one probe while half-open");
        let probe = probe.unwrap();
        assert_eq!(probe.admission(), Admission::Probe);
        probe.record(true, later);
        assert_eq!(
            b.state(),
            State::Closed {
                consecutive_failures: 0
            }
        );
        assert_eq!(kind(b.admit(later)), Ok(Admission::Normal));
    }

    #[test]
    fn a_failed_probe_opens_the_circuit_for_another_cool_down() {
        let b = breaker();
        let later = opened(&b, Instant::now());

        fail(&b, later);

        assert_eq!(
            b.state(),
            State::Open {
                until: later + Duration::from_secs(10)
            }
        );
        assert!(b.admit(later + Duration::from_secs(9)).is_err());
    }

    #[test]
    fn a_probe_dropped_without_a_verdict_lets_the_next_call_probe() {
        let b = breaker();
        let later = opened(&b, Instant::now());
        let probe = b.admit(later).unwrap();
        assert_eq!(probe.admission(), Admission::Probe);

        // Its caller went away (the future holding it was dropped).
        drop(probe);

        assert_ne!(b.state(), State::HalfOpen, "not stuck half-open");
        let next = b.admit(later).unwrap();
        assert_eq!(next.admission(), Admission::Probe);
        next.record(true, later);
        assert_eq!(
            b.state(),
            State::Closed {
                consecutive_failures: 0
            }
        );
    }

    #[test]
    fn a_normal_call_dropped_without_a_verdict_changes_nothing() {
        let b = breaker();
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);

        drop(b.admit(t0).unwrap());

        assert_eq!(
            b.state(),
            State::Closed {
                consecutive_failures: 2
            }
        );
    }

    #[test]
    fn a_late_verdict_from_before_the_circuit_opened_changes_nothing() {
        let b = breaker();
        let t0 = Instant::now();
        let slow = b.admit(t0).unwrap();
        let later = opened(&b, t0);

        slow.record(false, t0);

        assert_eq!(b.state(), State::Open { until: later });
    }
}
