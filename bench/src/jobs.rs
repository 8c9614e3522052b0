//! The jobs row of `just bench`: no-op jobs per second from enqueue to done, and enqueue → start
//! latency on an idle worker. Runs in-process on the round's database (queue `bench`, which the
//! app's own workers never serve), before any server starts.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use jobs::{BoxError, Job, JobContext, Queue, Runner, WorkerConfig};
use serde::Serialize;
use tokio::sync::{Notify, mpsc};

#[derive(Debug, Clone, Serialize)]
pub struct JobsResult {
    pub jobs: usize,
    /// Runners in this process (each with its own lease id, as separate workers would be).
    pub workers: usize,
    pub concurrency: usize,
    pub seconds: f64,
    pub jobs_per_sec: f64,
    pub latency_samples: usize,
    pub start_p50_ms: f64,
    pub start_p99_ms: f64,
}

#[derive(Clone)]
struct Probe(Arc<ProbeInner>);

struct ProbeInner {
    ran: AtomicUsize,
    target: usize,
    all_ran: Notify,
    started: mpsc::UnboundedSender<(i64, Instant)>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct BenchNoop;

impl Job for BenchNoop {
    const NAME: &'static str = "bench_noop";
    const QUEUE: &'static str = "bench";
    type Context = Probe;

    async fn run(&self, ctx: JobContext<Probe>) -> Result<(), BoxError> {
        let probe = &ctx.app.0;
        let _ = probe.started.send((ctx.id, Instant::now()));
        if probe.ran.fetch_add(1, Ordering::AcqRel) + 1 == probe.target {
            probe.all_ran.notify_one();
        }
        Ok(())
    }
}

pub fn run(
    database_url: &str,
    jobs: usize,
    samples: usize,
    workers: usize,
) -> anyhow::Result<JobsResult> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(database_url, jobs, samples, workers))
}

async fn measure(
    database_url: &str,
    n: usize,
    samples: usize,
    workers: usize,
) -> anyhow::Result<JobsResult> {
    let mut config = db::DbConfig::new(database_url.to_owned());
    config.max_connections = 10;
    let db = db::connect(&config)
        .await
        .context("connecting for the jobs bench")?;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 128));
    let worker_config = WorkerConfig {
        concurrency: 64,
        queues: Some(vec![BenchNoop::QUEUE.to_owned()]),
        ..WorkerConfig::default()
    };
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let probe = Probe(Arc::new(ProbeInner {
        ran: AtomicUsize::new(0),
        target: n,
        all_ran: Notify::new(),
        started: started_tx,
    }));

    // Throughput: workers running, a producer enqueueing in batches, until every job is done.
    let (stop, running) = start_workers(&queue, &probe, &worker_config, workers);
    let began = Instant::now();
    let batch = vec![BenchNoop; 1000];
    let mut left = n;
    while left > 0 {
        let take = left.min(batch.len());
        queue.enqueue_many(&db, &batch[..take]).await?;
        left -= take;
    }
    tokio::time::timeout(Duration::from_secs(600), probe.0.all_ran.notified())
        .await
        .context("the jobs did not all run within 10 minutes")?;
    let _ = stop.send(true);
    for worker in running {
        worker.await??;
    }
    let seconds = began.elapsed().as_secs_f64();
    while started.try_recv().is_ok() {}

    // Latency: one job at a time on idle workers.
    let (stop, idle) = start_workers(&queue, &probe, &worker_config, workers);
    // Let the workers reach their wait (and, on PostgreSQL, their LISTEN) before the first sample.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut latencies = Vec::with_capacity(samples);
    let mut early: HashMap<i64, Instant> = HashMap::new();
    for _ in 0..samples {
        let sent = Instant::now();
        let id = queue.enqueue(&db, &BenchNoop).await?.id;
        let began = loop {
            if let Some(at) = early.remove(&id) {
                break at;
            }
            let (ran, at) = tokio::time::timeout(Duration::from_secs(10), started.recv())
                .await
                .context("a job did not start within 10 s")?
                .context("the probe closed")?;
            if ran == id {
                break at;
            }
            early.insert(ran, at);
        };
        latencies.push(began.duration_since(sent).as_secs_f64() * 1000.0);
        // Idle again: the worker records the outcome and goes back to waiting.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = stop.send(true);
    for worker in idle {
        worker.await??;
    }
    db.close_by_ref().await.ok();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).copied().unwrap_or(f64::NAN)
    };
    Ok(JobsResult {
        jobs: n,
        workers,
        concurrency: worker_config.concurrency,
        seconds,
        jobs_per_sec: n as f64 / seconds,
        latency_samples: latencies.len(),
        start_p50_ms: pct(0.5),
        start_p99_ms: pct(0.99),
    })
}

type Workers = Vec<tokio::task::JoinHandle<jobs::Result<()>>>;

/// `count` runners on `queue`, each stopping when the returned sender sends `true`.
fn start_workers(
    queue: &Queue,
    probe: &Probe,
    config: &WorkerConfig,
    count: usize,
) -> (tokio::sync::watch::Sender<bool>, Workers) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = (0..count)
        .map(|_| {
            let runner =
                Runner::new(queue.clone(), probe.clone(), config.clone()).register::<BenchNoop>();
            let mut stopped = stopped.clone();
            tokio::spawn(runner.run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            }))
        })
        .collect();
    (stop, workers)
}
