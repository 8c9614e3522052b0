//! Running one claimed job: decode, run with a deadline, catch a panic, classify the outcome.

use std::{collections::HashMap, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use futures_util::{FutureExt, future::BoxFuture};
use tracing::Instrument;

use super::store::{Claimed, Outcome};
use crate::{BoxError, Job, JobContext};

/// Why a handler did not succeed.
pub(crate) enum HandlerError {
    /// The stored payload does not decode as the job type.
    Decode(serde_json::Error),
    Failed(BoxError),
}

type HandlerFn<C> =
    dyn Fn(String, JobContext<C>) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync;

/// What the worker knows about one job type.
pub(crate) struct Kind<C> {
    handler: Arc<HandlerFn<C>>,
    timeout: Duration,
    pub(crate) queue: &'static str,
}

pub(crate) type Kinds<C> = HashMap<&'static str, Kind<C>>;

impl<C: Clone + Send + Sync + 'static> Kind<C> {
    pub(crate) fn of<J: Job<Context = C>>() -> Self {
        let handler: Arc<HandlerFn<C>> = Arc::new(|payload: String, ctx: JobContext<C>| {
            async move {
                let job: J = serde_json::from_str(&payload).map_err(HandlerError::Decode)?;
                job.run(ctx).await.map_err(HandlerError::Failed)
            }
            .boxed()
        });
        Self {
            handler,
            timeout: J::TIMEOUT,
            queue: J::QUEUE,
        }
    }
}

/// Runs `job` to an outcome. Never panics and never outlives the job's timeout.
pub(crate) async fn execute<C: Clone + Send + Sync + 'static>(
    kinds: &Kinds<C>,
    app: &C,
    job: &Claimed,
) -> Outcome {
    let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
    async {
        // The registered name, a `&'static str`, labels the job's metrics.
        let Some((&name, kind)) = kinds.get_key_value(job.kind.as_str()) else {
            // Another version of the app may know it: fail this attempt, do not kill the job.
            return Outcome::Failed(format!(
                "this worker has no job type named `{}` registered",
                job.kind
            ));
        };
        let ctx = JobContext {
            app: app.clone(),
            id: job.id,
            attempt: job.attempts,
        };
        let run = AssertUnwindSafe((kind.handler)(job.payload.clone(), ctx)).catch_unwind();
        let started = std::time::Instant::now();
        let outcome = match tokio::time::timeout(kind.timeout, run).await {
            Ok(Ok(Ok(()))) => Outcome::Succeeded,
            Ok(Ok(Err(HandlerError::Decode(err)))) => Outcome::Fatal(format!(
                "the payload does not decode as `{}`: {err}",
                job.kind
            )),
            Ok(Ok(Err(HandlerError::Failed(err)))) if err.is::<crate::Permanent>() => {
                Outcome::Fatal(chain(err.as_ref()))
            }
            Ok(Ok(Err(HandlerError::Failed(err)))) => Outcome::Failed(chain(err.as_ref())),
            Ok(Err(panic)) => Outcome::Failed(format!("panicked: {}", panic_message(&panic))),
            Err(_) => Outcome::Failed(format!("timed out after {:?}", kind.timeout)),
        };
        log(job, &outcome);
        measure(name, &outcome, started.elapsed());
        outcome
    }
    .instrument(span)
    .await
}

/// `jobs_attempts_total` and `job_duration_seconds` by kind and outcome (`succeeded`, `failed`:
/// to be retried or dead, `fatal`: dead at once).
fn measure(kind: &'static str, outcome: &Outcome, took: std::time::Duration) {
    let outcome = match outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::Failed(_) => "failed",
        Outcome::Fatal(_) => "fatal",
    };
    let labels = [("kind", kind), ("outcome", outcome)];
    metrics::counter!("jobs_attempts_total", &labels).increment(1);
    metrics::histogram!("job_duration_seconds", &labels).record(took.as_secs_f64());
}

fn log(job: &Claimed, outcome: &Outcome) {
    match outcome {
        Outcome::Succeeded => tracing::debug!("job succeeded"),
        Outcome::Failed(error) if job.attempts < job.max_attempts => {
            tracing::warn!(%error, "job failed; it will be retried");
        }
        Outcome::Failed(error) | Outcome::Fatal(error) => {
            tracing::error!(%error, "job failed for good (dead)");
        }
    }
}

/// An error and its sources, `outer: inner: innermost`.
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "(a non-string panic payload)"
    }
}

#[cfg(test)]
mod tests {
    use std::{future::pending, time::Duration};

    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Slow;

    impl Job for Slow {
        const NAME: &'static str = "slow";
        const TIMEOUT: Duration = Duration::from_secs(3600);
        type Context = ();
        async fn run(&self, _: JobContext<()>) -> Result<(), BoxError> {
            pending().await
        }
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Explodes;

    impl Job for Explodes {
        const NAME: &'static str = "explodes";
        type Context = ();
        #[allow(clippy::panic, reason = "the panic is what is tested")]
        async fn run(&self, _: JobContext<()>) -> Result<(), BoxError> {
            panic!("kaboom")
        }
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Unreadable;

    impl Job for Unreadable {
        const NAME: &'static str = "unreadable";
        type Context = ();
        async fn run(&self, _: JobContext<()>) -> Result<(), BoxError> {
            Err(crate::permanent("the file is not an image"))
        }
    }

    fn kinds() -> Kinds<()> {
        let mut kinds = Kinds::new();
        kinds.insert(Slow::NAME, Kind::of::<Slow>());
        kinds.insert(Explodes::NAME, Kind::of::<Explodes>());
        kinds.insert(Unreadable::NAME, Kind::of::<Unreadable>());
        kinds
    }

    #[tokio::test]
    async fn a_permanent_failure_is_fatal_on_the_first_attempt() {
        let outcome = execute(&kinds(), &(), &claimed("unreadable", "null")).await;
        assert!(
            matches!(&outcome, Outcome::Fatal(e) if e == "the file is not an image"),
            "{outcome:?}"
        );
    }

    fn claimed(kind: &str, payload: &str) -> Claimed {
        Claimed {
            id: 1,
            kind: kind.into(),
            payload: payload.into(),
            attempts: 1,
            max_attempts: 3,
        }
    }

    /// An hour-long timeout, checked in paused time: the runtime jumps the clock forward.
    #[tokio::test(start_paused = true)]
    async fn an_attempt_ends_at_its_timeout() {
        let before = tokio::time::Instant::now();
        let outcome = execute(&kinds(), &(), &claimed("slow", "null")).await;
        assert!(
            matches!(&outcome, Outcome::Failed(e) if e == "timed out after 3600s"),
            "{outcome:?}"
        );
        assert_eq!(before.elapsed(), Duration::from_secs(3600));
    }

    #[tokio::test]
    async fn a_panic_is_a_failed_attempt_with_its_message() {
        let outcome = execute(&kinds(), &(), &claimed("explodes", "null")).await;
        assert!(
            matches!(&outcome, Outcome::Failed(e) if e == "panicked: kaboom"),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_unreadable_payload_is_fatal_and_an_unknown_kind_is_retried() {
        let outcome = execute(&kinds(), &(), &claimed("slow", "{not json")).await;
        assert!(matches!(&outcome, Outcome::Fatal(e) if e.contains("does not decode as `slow`")));
        let outcome = execute(&kinds(), &(), &claimed("renamed", "null")).await;
        assert!(
            matches!(&outcome, Outcome::Failed(e) if e.contains("no job type named `renamed`"))
        );
    }
}
