//! What a job is: the [`Job`] trait, the context it runs with, and the states it moves through.

use std::{future::Future, time::Duration};

use serde::{Serialize, de::DeserializeOwned};

use crate::BoxError;

/// A kind of background work. Each implementation lives in a file of its own (see `kinds/`).
///
/// The value itself is the payload: it is stored as JSON when enqueued and read back by the
/// worker, so keep it small (ids, not rows) and keep old payloads readable when the type changes.
/// A job may run more than once (a worker can die after the work but before recording it), so
/// `run` must be safe to repeat.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name stored with every job of this kind. Never rename it while jobs are queued.
    const NAME: &'static str;
    /// Workers can be told which queues to serve.
    const QUEUE: &'static str = "default";
    /// Higher runs first among due jobs of the same queue.
    const PRIORITY: i16 = 0;
    /// Attempts before the job is `dead`.
    const MAX_ATTEMPTS: i32 = 5;
    /// Longest one attempt may take; after it the attempt fails (and is retried).
    const TIMEOUT: Duration = Duration::from_secs(300);

    /// What the job needs from the app (database, mailer, clients...): one type per worker.
    type Context: Clone + Send + Sync + 'static;

    /// A key that makes the job unique while one with the same key is pending or running:
    /// enqueueing a duplicate then returns the existing job.
    fn unique_key(&self) -> Option<String> {
        None
    }

    fn run(
        &self,
        ctx: JobContext<Self::Context>,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// What a running job gets: the app's context and facts about this attempt.
#[derive(Debug, Clone)]
pub struct JobContext<C> {
    pub app: C,
    /// The job's id (e.g. to name a file it writes).
    pub id: i64,
    /// 1 on the first attempt.
    pub attempt: i32,
}

/// Where a job is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[schema(as = JobState)]
pub enum State {
    /// Waiting for its `run_at`, or for a worker.
    Queued,
    /// Claimed by a worker that holds its lease.
    Running,
    Succeeded,
    /// Failed; waits for its next attempt.
    Retrying,
    /// Failed its last attempt (or cannot run at all); `last_error` says why.
    Dead,
    /// Cancelled before it ran.
    Cancelled,
}

impl State {
    pub const ALL: [Self; 6] = [
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Retrying,
        Self::Dead,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether [`crate::Queue::retry`] applies: dead, cancelled or waiting to retry.
    pub fn can_retry(self) -> bool {
        matches!(self, Self::Dead | Self::Cancelled | Self::Retrying)
    }

    /// Whether [`crate::Queue::cancel`] applies: not started yet.
    pub fn can_cancel(self) -> bool {
        matches!(self, Self::Queued | Self::Retrying)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job ready to be inserted: the typed job turned into a row.
#[derive(Debug, Clone)]
pub(crate) struct NewJob {
    pub kind: &'static str,
    pub queue: &'static str,
    pub payload: String,
    pub priority: i16,
    pub max_attempts: i32,
    pub unique_key: Option<String>,
}

impl NewJob {
    pub(crate) fn of<J: Job>(job: &J) -> crate::Result<Self> {
        let payload = serde_json::to_string(job).map_err(|source| crate::Error::Payload {
            kind: J::NAME,
            source,
        })?;
        Ok(Self {
            kind: J::NAME,
            queue: J::QUEUE,
            payload,
            priority: J::PRIORITY,
            max_attempts: J::MAX_ATTEMPTS.max(1),
            unique_key: job.unique_key(),
        })
    }
}
