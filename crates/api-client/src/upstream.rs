//! One upstream: the shared HTTP client plus the policy around every call to it.
//!
//! A call is admitted by the circuit breaker, waits for one of `max_in_flight` slots, and is
//! retried per the [`RetryPolicy`] — all inside one deadline, so a caller never waits longer than
//! it says, however the upstream misbehaves. Each call runs in a span with the upstream, method,
//! path, attempts, status and latency.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use reqwest::{Method, StatusCode, header::RETRY_AFTER};
use serde::de::DeserializeOwned;
use tokio::{sync::Semaphore, time::Instant};
use tracing::{Instrument, field::Empty};

use crate::{
    Error, Result,
    policy::{
        breaker::{BreakerPolicy, CircuitBreaker, State as BreakerState},
        retry::{Outcome, RetryPolicy, parse_retry_after},
    },
};

/// How an upstream is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamPolicy {
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
    /// Calls in flight at once; more wait (within the deadline) for a slot.
    pub max_in_flight: usize,
    /// Successful `GET` answers are kept this long and served without a call; `None` turns the
    /// cache off. Errors are never cached.
    pub cache_ttl: Option<Duration>,
}

impl Default for UpstreamPolicy {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            max_in_flight: 64,
            cache_ttl: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: &'static str,
    http: reqwest::Client,
    base_url: String,
    policy: UpstreamPolicy,
    breaker: CircuitBreaker,
    slots: Semaphore,
    /// Bodies of successful `GET`s by path.
    cache: Option<moka::future::Cache<String, bytes::Bytes>>,
}

/// Entries the cache holds at most, per upstream.
const CACHE_CAPACITY: u64 = 10_000;

/// What one attempt ended with.
enum Attempt {
    Done(bytes::Bytes),
    /// Worth another attempt if the policy allows; `error` is what the caller gets otherwise.
    Transient {
        outcome: Outcome,
        retry_after: Option<Duration>,
        error: Error,
    },
    /// Final: not the upstream's fault (404, 400) or not fixable by retrying.
    Final(Error),
}

impl Upstream {
    pub fn new(
        name: &'static str,
        http: reqwest::Client,
        base_url: &str,
        policy: UpstreamPolicy,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                name,
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                breaker: CircuitBreaker::new(name, policy.breaker),
                slots: Semaphore::new(policy.max_in_flight.max(1)),
                cache: policy.cache_ttl.map(|ttl| {
                    moka::future::Cache::builder()
                        .max_capacity(CACHE_CAPACITY)
                        .time_to_live(ttl)
                        .build()
                }),
                policy,
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    /// `GET {base}{path}`, decoded from JSON. `what` names the resource in a `NotFound`.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T> {
        let body = self.get_cached(path, what).await?;
        serde_json::from_slice(&body).map_err(|e| Error::InvalidResponse {
            upstream: self.inner.name,
            reason: e.to_string(),
        })
    }

    /// `GET` through the cache when there is one.
    async fn get_cached(&self, path: &str, what: &str) -> Result<bytes::Bytes> {
        let Some(cache) = &self.inner.cache else {
            return self.call(Method::GET, path, what, true).await;
        };
        if let Some(body) = cache.get(path).await {
            tracing::debug!(upstream = self.inner.name, path, "served from cache");
            return Ok(body);
        }
        let body = self.call(Method::GET, path, what, true).await?;
        cache.insert(path.to_owned(), body.clone()).await;
        Ok(body)
    }

    /// One call with retries. `idempotent` allows retrying; pass `false` for a `POST` unless it
    /// carries an idempotency key the upstream honours.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        what: &str,
        idempotent: bool,
    ) -> Result<bytes::Bytes> {
        let inner = &self.inner;
        let span = tracing::info_span!(
            "upstream",
            upstream = inner.name,
            method = %method,
            path,
            attempts = Empty,
            status = Empty,
            latency_ms = Empty,
        );
        async {
            let started = Instant::now();
            let deadline = started + inner.policy.retry.deadline;
            let mut attempt = 0;
            let result = loop {
                attempt += 1;
                match self.attempt(&method, path, what, deadline).await {
                    Attempt::Done(body) => break Ok(body),
                    Attempt::Final(error) => break Err(error),
                    Attempt::Transient { outcome, retry_after, error } => {
                        if !inner.policy.retry.should_retry(attempt, outcome, idempotent) {
                            break Err(error);
                        }
                        let wait = inner.policy.retry.jittered_delay(attempt, retry_after);
                        if Instant::now() + wait >= deadline {
                            break Err(error);
                        }
                        tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                        tokio::time::sleep(wait).await;
                    }
                }
            };
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
            self.measure_call(&result, started.elapsed());
            result
        }
        .instrument(span)
        .await
    }

    /// `upstream_call_duration_seconds` by upstream and result (retries included), and the
    /// breaker's state as `upstream_circuit_state` (0 closed, 1 half-open, 2 open).
    fn measure_call(&self, result: &Result<bytes::Bytes>, took: Duration) {
        let name = self.inner.name;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::histogram!(
            "upstream_call_duration_seconds",
            "upstream" => name,
            "outcome" => outcome
        )
        .record(took.as_secs_f64());
        let state = match self.inner.breaker.state() {
            BreakerState::Closed { .. } => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open { .. } => 2.0,
        };
        metrics::gauge!("upstream_circuit_state", "upstream" => name).set(state);
    }

    async fn attempt(&self, method: &Method, path: &str, what: &str, deadline: Instant) -> Attempt {
        let inner = &self.inner;
        let name = inner.name;
        // `upstream_requests_total` by upstream and status: the HTTP status, or `rejected` (the
        // breaker is open), `timeout`, `error` (no answer).
        let count = |status: String| {
            metrics::counter!("upstream_requests_total", "upstream" => name, "status" => status)
                .increment(1);
        };
        let permit = match inner.breaker.admit(std::time::Instant::now()) {
            Ok(permit) => permit,
            Err(rejected) => {
                count("rejected".to_owned());
                return Attempt::Final(Error::Unavailable {
                    upstream: name,
                    reason: format!(
                        "circuit open after repeated failures; next try in {} ms",
                        rejected.retry_in.as_millis()
                    ),
                });
            }
        };
        // Every `.await` below may be the last (the caller can be dropped): the permit reports
        // through `record`, or, dropped unreported, gives no verdict (see `policy::breaker`).
        let record = move |healthy: bool| permit.record(healthy, std::time::Instant::now());

        let Ok(_slot) = tokio::time::timeout_at(deadline, inner.slots.acquire()).await else {
            // We never called it: no verdict on the upstream (the permit is dropped unreported).
            count("timeout".to_owned());
            return Attempt::Final(Error::Timeout { upstream: name });
        };
        let url = format!("{}{path}", inner.base_url);
        let exchange = async {
            let response = inner.http.request(method.clone(), &url).send().await?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, retry_after, body))
        };
        match tokio::time::timeout_at(deadline, exchange).await {
            Err(_) => {
                record(false);
                count("timeout".to_owned());
                Attempt::Final(Error::Timeout { upstream: name })
            }
            Ok(Err(e)) => {
                record(false);
                count("error".to_owned());
                let error = Error::from_reqwest(name, &e);
                match error {
                    Error::InvalidResponse { .. } => Attempt::Final(error),
                    _ => Attempt::Transient {
                        outcome: Outcome::ConnectOrTimeout,
                        retry_after: None,
                        error,
                    },
                }
            }
            Ok(Ok((status, retry_after, body))) => {
                tracing::Span::current().record("status", status.as_u16());
                count(status.as_str().to_owned());
                classify(name, what, status, retry_after, body, record)
            }
        }
    }
}

fn classify(
    name: &'static str,
    what: &str,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: bytes::Bytes,
    record: impl FnOnce(bool),
) -> Attempt {
    let outcome = Outcome::Status(status.as_u16());
    if status.is_success() {
        record(true);
        return Attempt::Done(body);
    }
    let transient = crate::policy::retry::is_transient(outcome);
    // 404, 400 and the like say nothing about the upstream's health.
    record(!transient && !status.is_server_error());
    let error = match status {
        StatusCode::NOT_FOUND => Error::NotFound {
            upstream: name,
            what: what.to_owned(),
        },
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            upstream: name,
            retry_after,
        },
        s => Error::Unavailable {
            upstream: name,
            reason: format!("answered {s}"),
        },
    };
    if transient {
        Attempt::Transient {
            outcome,
            retry_after,
            error,
        }
    } else {
        Attempt::Final(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::breaker::State;

    /// A probe that never got a slot learned nothing about the upstream: it must not close the
    /// circuit (it used to report a success).
    #[tokio::test]
    async fn a_probe_that_times_out_waiting_for_a_slot_gives_no_verdict() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let policy = UpstreamPolicy {
            retry: RetryPolicy {
                max_attempts: 1,
                deadline: Duration::from_millis(50),
                ..RetryPolicy::default()
            },
            breaker: BreakerPolicy {
                failure_threshold: 1,
                cool_down: Duration::ZERO,
            },
            max_in_flight: 1,
            cache_ttl: None,
        };
        // Nothing listens on the discard port; no call gets that far anyway.
        let upstream = Upstream::new("test", reqwest::Client::new(), "http://127.0.0.1:9", policy);
        let now = std::time::Instant::now();
        upstream
            .inner
            .breaker
            .admit(now)
            .unwrap()
            .record(false, now);
        let _taken = upstream.inner.slots.acquire().await.unwrap();

        let error = upstream
            .call(Method::GET, "/x", "x", true)
            .await
            .unwrap_err();

        assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
        assert!(
            matches!(upstream.inner.breaker.state(), State::Open { .. }),
            "still open, the next call probes: {:?}",
            upstream.inner.breaker.state()
        );
    }
}
