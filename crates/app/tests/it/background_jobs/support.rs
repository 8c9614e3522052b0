//! Test job types that report to a [`Probe`], and a migrated database to run them on.

use std::{
    collections::HashMap,
    future::pending,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use db::DatabaseConnection;
use jobs::{BoxError, Job, JobContext, Queue, Runner, WorkerConfig};
use migration::{Migrator, MigratorTrait};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};

use crate::helpers::{TestDatabase, test_config};

/// A database with every migration applied, and a pool on it.
pub async fn migrated_db() -> (TestDatabase, DatabaseConnection) {
    app::install_crypto_provider();
    let database = TestDatabase::create().await;
    let config = test_config(&database.url, &[]);
    let db = app::commands::connect(&config).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    (database, db)
}

/// What test jobs report: which job ids ran how often.
#[derive(Clone)]
pub struct Probe(Arc<Inner>);

impl Default for Probe {
    fn default() -> Self {
        Self(Arc::new(Inner {
            runs: Mutex::default(),
            total: AtomicUsize::default(),
            changed: Notify::new(),
            heal: AtomicBool::default(),
            gate: Semaphore::new(0),
        }))
    }
}

struct Inner {
    runs: Mutex<HashMap<i64, u32>>,
    total: AtomicUsize,
    changed: Notify,
    /// `Flaky` succeeds once this is set.
    heal: AtomicBool,
    /// `Gate` jobs wait for a permit.
    gate: Semaphore,
}

impl Probe {
    fn record(&self, id: i64) {
        *self.0.runs.lock().unwrap().entry(id).or_default() += 1;
        self.0.total.fetch_add(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }

    /// How many times job `id` started.
    pub fn runs_of(&self, id: i64) -> u32 {
        self.0.runs.lock().unwrap().get(&id).copied().unwrap_or(0)
    }

    pub fn runs(&self) -> HashMap<i64, u32> {
        self.0.runs.lock().unwrap().clone()
    }

    pub fn total(&self) -> usize {
        self.0.total.load(Ordering::SeqCst)
    }

    /// Waits (event-driven, no polling) until `n` job runs have started; panics after `limit`.
    pub async fn wait_for_total(&self, n: usize, limit: Duration) {
        let waited = tokio::time::timeout(limit, async {
            loop {
                let changed = self.0.changed.notified();
                let mut changed = std::pin::pin!(changed);
                changed.as_mut().enable();
                if self.total() >= n {
                    return;
                }
                changed.await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "only {} of {n} job runs within {limit:?}",
            self.total()
        );
    }

    pub fn heal(&self) {
        self.0.heal.store(true, Ordering::SeqCst);
    }

    /// Lets `n` waiting `Gate` jobs finish.
    pub fn open_gate(&self, n: usize) {
        self.0.gate.add_permits(n);
    }
}

/// Does nothing but report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Noop;

impl Job for Noop {
    const NAME: &'static str = "test_noop";
    type Context = Probe;
    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        ctx.app.record(ctx.id);
        Ok(())
    }
}

/// Fails every attempt until the probe is healed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Flaky;

impl Job for Flaky {
    const NAME: &'static str = "test_flaky";
    const MAX_ATTEMPTS: i32 = 3;
    type Context = Probe;
    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        ctx.app.record(ctx.id);
        if ctx.app.0.heal.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(format!("boom on attempt {}", ctx.attempt).into())
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Panics;

impl Job for Panics {
    const NAME: &'static str = "test_panics";
    const MAX_ATTEMPTS: i32 = 2;
    type Context = Probe;
    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        ctx.app.record(ctx.id);
        panic!("the job blew up");
    }
}

/// Never finishes; its timeout is short.
#[derive(Debug, Serialize, Deserialize)]
pub struct Hangs;

impl Job for Hangs {
    const NAME: &'static str = "test_hangs";
    const TIMEOUT: Duration = Duration::from_millis(100);
    type Context = Probe;
    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        ctx.app.record(ctx.id);
        pending().await
    }
}

/// Never finishes, and its timeout is far away: only shutdown ends it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forever;

impl Job for Forever {
    const NAME: &'static str = "test_forever";
    const TIMEOUT: Duration = Duration::from_secs(3600);
    type Context = Probe;
    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        ctx.app.record(ctx.id);
        pending().await
    }
}

/// Finishes when the probe's gate opens.
#[derive(Debug, Serialize, Deserialize)]
pub struct Gate;

impl Job for Gate {
    const NAME: &'static str = "test_gate";
    type Context = Probe;
    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        ctx.app.record(ctx.id);
        ctx.app.0.gate.acquire().await?.forget();
        Ok(())
    }
}

/// Unique per key while pending.
#[derive(Debug, Serialize, Deserialize)]
pub struct Unique {
    pub key: String,
}

impl Job for Unique {
    const NAME: &'static str = "test_unique";
    type Context = Probe;
    fn unique_key(&self) -> Option<String> {
        Some(self.key.clone())
    }
    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        ctx.app.record(ctx.id);
        Ok(())
    }
}

/// A worker that knows every test job type.
pub fn runner(queue: &Queue, probe: &Probe, config: WorkerConfig) -> Runner<Probe> {
    Runner::new(queue.clone(), probe.clone(), config)
        .register::<Noop>()
        .register::<Flaky>()
        .register::<Panics>()
        .register::<Hangs>()
        .register::<Forever>()
        .register::<Gate>()
        .register::<Unique>()
}

/// Fast polling and short leases, for tests that run the worker loop.
pub fn quick() -> WorkerConfig {
    WorkerConfig {
        concurrency: 8,
        lease: Duration::from_secs(5),
        grace: Duration::from_millis(300),
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::default()
    }
}

/// A shutdown trigger for `Runner::run`.
pub fn shutdown() -> (
    tokio::sync::oneshot::Sender<()>,
    impl Future<Output = ()> + Send,
) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

/// The state of job `id` as stored.
pub async fn state_of(queue: &Queue, id: i64) -> jobs::State {
    queue.get(id).await.unwrap().state
}
