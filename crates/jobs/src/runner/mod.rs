//! Workers: claim due jobs, run them concurrently under a lease, record outcomes, shut down
//! without losing anything.

mod execute;
mod loops;
pub(crate) mod store;

use std::{
    collections::HashSet,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::task::JoinSet;

use crate::{Backoff, Job, Queue, Result, schedule::Schedule};
pub(crate) use execute::chain;
use execute::{Kind, Kinds, execute};
use store::{Claimed, Outcome};

/// How a worker behaves. `Default` suits a small app; `app` fills it from `APP_JOBS_*`.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once by this worker.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat. A job whose worker died runs again this long
    /// after the last heartbeat; heartbeats go out every third of it.
    pub lease: Duration,
    /// At shutdown, how long running jobs may take to finish before they are given back.
    pub grace: Duration,
    /// Fallback when no wake-up arrives (other processes on SQLite, a lost `LISTEN`).
    pub poll_interval: Duration,
    /// The wait before a failed job's next attempt (equal jitter: between half and all of the
    /// bound), so jobs that failed together (an upstream outage) do not return together.
    pub backoff: Backoff,
    /// Queues to serve; `None` means every queue a registered job type uses.
    pub queues: Option<Vec<String>>,
}

/// A failed job waits up to 2 s after its first failure, doubling to at most an hour.
pub const RETRY_BACKOFF: Backoff =
    Backoff::new(Duration::from_secs(2), Duration::from_secs(60 * 60));

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 64,
            lease: Duration::from_secs(30),
            grace: Duration::from_secs(20),
            poll_interval: Duration::from_secs(1),
            backoff: RETRY_BACKOFF,
            queues: None,
        }
    }
}

/// What [`Runner::run_until_empty`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    pub succeeded: usize,
    pub failed: usize,
}

/// A worker: the job types it knows, the context they run with, and its schedules.
///
/// ```text
/// let runner = Runner::new(queue, services, WorkerConfig::default())
///     .register::<SendEmail>()
///     .schedule("nightly-report", "0 3 * * *", &NightlyReport::default())?;
/// runner.run(shutdown_signal()).await?;
/// ```
pub struct Runner<C> {
    shared: Arc<Shared<C>>,
    schedules: Vec<Schedule>,
}

pub(crate) struct Shared<C> {
    pub queue: Queue,
    pub app: C,
    pub kinds: Kinds<C>,
    pub config: WorkerConfig,
    /// Unique per runner: leases name it.
    pub worker_id: String,
    /// Claimed and not yet recorded: the heartbeat extends exactly these leases.
    pub in_flight: Mutex<HashSet<i64>>,
}

impl<C> std::fmt::Debug for Runner<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("worker_id", &self.shared.worker_id)
            .field("kinds", &self.shared.kinds.keys().collect::<Vec<_>>())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl<C: Clone + Send + Sync + 'static> Runner<C> {
    pub fn new(queue: Queue, app: C, config: WorkerConfig) -> Self {
        let worker_id = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
        Self {
            shared: Arc::new(Shared {
                queue,
                app,
                kinds: Kinds::new(),
                config,
                worker_id,
                in_flight: Mutex::new(HashSet::new()),
            }),
            schedules: Vec::new(),
        }
    }

    /// Teaches this worker a job type.
    #[must_use]
    pub fn register<J: Job<Context = C>>(mut self) -> Self {
        // The Arc is shared only while `run_until_empty` runs, and that borrows `self`.
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => {
                shared.kinds.insert(J::NAME, Kind::of::<J>());
            }
            None => tracing::error!(kind = J::NAME, "a job type was registered on a busy runner"),
        }
        self
    }

    /// Enqueues `job` on every tick of the cron expression `cron` (5 fields, or 6 with seconds
    /// first), exactly once per tick however many workers run (see [`crate::schedule`]).
    pub fn schedule<J: Job<Context = C>>(
        mut self,
        name: &str,
        cron: &str,
        job: &J,
    ) -> Result<Self> {
        self.schedules.push(Schedule::new(name, cron, job)?);
        Ok(self.register::<J>())
    }

    pub fn worker_id(&self) -> &str {
        &self.shared.worker_id
    }

    pub fn queue(&self) -> &Queue {
        &self.shared.queue
    }

    /// Fires the schedules whose tick has come (what the scheduler loop does on each tick).
    /// Returns how many jobs this call enqueued.
    pub async fn fire_schedules(&self) -> Result<usize> {
        crate::schedule::fire_due(&self.shared.queue, &self.schedules).await
    }

    /// Claims and runs due jobs until none is left, then returns (a test and CLI harness: no
    /// heartbeats, no schedules, no waiting for jobs that are not yet due).
    pub async fn run_until_empty(&self) -> Result<Drained> {
        let shared = &self.shared;
        let queues = shared.queues();
        let mut drained = Drained::default();
        loop {
            let claimed = shared.claim(&queues, shared.config.concurrency).await?;
            if claimed.is_empty() {
                return Ok(drained);
            }
            let mut running = JoinSet::new();
            for job in claimed {
                let shared = Arc::clone(shared);
                running.spawn(async move {
                    let outcome = execute(&shared.kinds, &shared.app, &job).await;
                    (job, outcome)
                });
            }
            let done = running.join_all().await;
            for (_, outcome) in &done {
                match outcome {
                    Outcome::Succeeded => drained.succeeded += 1,
                    _ => drained.failed += 1,
                }
            }
            shared.finish(&done).await?;
        }
    }

    /// Works until `shutdown` completes, then stops claiming at once, gives running jobs
    /// `grace` to finish and puts the rest back on the queue.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<()> {
        loops::run(self.shared, self.schedules, shutdown).await
    }
}

impl<C> Shared<C> {
    /// The queues this worker serves: computed once per run, not per claim.
    fn queues(&self) -> Vec<String> {
        match &self.config.queues {
            Some(queues) => queues.clone(),
            None => {
                let mut queues: Vec<String> = Vec::new();
                for kind in self.kinds.values() {
                    if !queues.iter().any(|q| q == kind.queue) {
                        queues.push(kind.queue.to_owned());
                    }
                }
                queues
            }
        }
    }

    async fn claim(&self, queues: &[String], limit: usize) -> Result<Vec<Claimed>> {
        if limit == 0 || queues.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.queue.clock().now();
        let conn = self.queue.db();
        let claimed =
            store::claim(conn, &self.worker_id, queues, limit, self.config.lease, now).await?;
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(claimed.iter().map(|job| job.id));
        Ok(claimed)
    }

    async fn finish(&self, done: &[(Claimed, Outcome)]) -> Result<()> {
        let now = self.queue.clock().now();
        let result = store::finish(
            self.queue.db(),
            &self.worker_id,
            done,
            &self.config.backoff,
            now,
        )
        .await;
        if result.is_ok() {
            self.forget(done);
        }
        result
    }

    /// Stops extending the leases of `done`: recorded, or given up on (then they lapse).
    fn forget(&self, done: &[(Claimed, Outcome)]) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (job, _) in done {
            in_flight.remove(&job.id);
        }
    }

    fn in_flight_ids(&self) -> Vec<i64> {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        in_flight.iter().copied().collect()
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty() && h.len() <= 24)
        .unwrap_or_else(|| "worker".to_owned())
}
