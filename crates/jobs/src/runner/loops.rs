//! The long-running side of a worker: the claim loop and its helpers (outcome writer,
//! heartbeat, `LISTEN`, scheduler), and the shutdown sequence.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{
    sync::{mpsc, watch},
    task::JoinSet,
};

use super::{Shared, execute, store};
use crate::{Result, schedule::Schedule};

type Done = (store::Claimed, store::Outcome);

pub(super) async fn run<C: Clone + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    schedules: Vec<Schedule>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let (stop_tx, stop) = watch::channel(false);
    let (done_tx, done_rx) = mpsc::unbounded_channel::<Done>();
    let mut helpers = JoinSet::new();
    helpers.spawn(write_outcomes(Arc::clone(&shared), done_rx));
    helpers.spawn(heartbeat(Arc::clone(&shared), stop.clone()));
    if !schedules.is_empty() {
        helpers.spawn(crate::schedule::run(
            shared.queue.clone(),
            schedules,
            stop.clone(),
        ));
    }
    crate::notify::ensure_listening(&shared.queue);
    tracing::info!(
        worker = %shared.worker_id,
        concurrency = shared.config.concurrency,
        queues = ?shared.queues(),
        "worker started"
    );

    let mut running = JoinSet::new();
    claim_loop(&shared, &mut running, &done_tx, shutdown).await;

    // Stop claiming (done: the loop has returned); let running jobs finish within the grace.
    let grace = shared.config.grace;
    tracing::info!(
        running = running.len(),
        ?grace,
        "worker stopping: no new claims"
    );
    let finished = tokio::time::timeout(grace, async {
        while running.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            unfinished = running.len(),
            "grace period over: interrupting the jobs still running"
        );
        running.abort_all();
        while running.join_next().await.is_some() {}
    }
    // Every sender is gone now, so the writer records what finished and returns.
    drop(done_tx);
    let _ = stop_tx.send(true);
    while helpers.join_next().await.is_some() {}
    let now = shared.queue.clock().now();
    let given_back = store::give_back(shared.queue.db(), &shared.worker_id, now).await?;
    tracing::info!(given_back, "worker stopped");
    Ok(())
}

async fn claim_loop<C: Clone + Send + Sync + 'static>(
    shared: &Arc<Shared<C>>,
    running: &mut JoinSet<()>,
    done_tx: &mpsc::UnboundedSender<Done>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let queues = shared.queues();
    // When the last claim found jobs, and when: under a stream of enqueues, see `COALESCE`.
    let mut last_claim: Option<Instant> = None;
    // Consecutive failed claims (database down): each doubles the wait, up to `MAX_RETRY_WAIT`.
    let mut failures: u32 = 0;
    loop {
        while running.try_join_next().is_some() {}
        // Listen before looking, so a wake-up during the claim is not lost.
        let notified = shared.queue.notified();
        let mut notified = std::pin::pin!(notified);
        notified.as_mut().enable();

        let free = shared.config.concurrency.saturating_sub(running.len());
        let mut wait = shared.config.poll_interval;
        if free > 0 {
            match shared.claim(&queues, free).await {
                Ok(claimed) => {
                    failures = 0;
                    let full = claimed.len() == free;
                    last_claim = (!claimed.is_empty()).then(Instant::now);
                    for job in claimed {
                        let shared = Arc::clone(shared);
                        let done_tx = done_tx.clone();
                        running.spawn(async move {
                            let outcome = execute(&shared.kinds, &shared.app, &job).await;
                            let _ = done_tx.send((job, outcome));
                        });
                    }
                    if full {
                        continue;
                    }
                    wait = until_next_due(shared, &queues).await.unwrap_or(wait);
                }
                Err(err) => {
                    wait = shared
                        .config
                        .poll_interval
                        .saturating_mul(1 << failures.min(10))
                        .min(MAX_RETRY_WAIT);
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %err, retry_in = ?wait, "claiming jobs failed");
                }
            }
        }
        // A finished job frees a slot, which matters only if every slot was taken: otherwise
        // nothing was left to claim, and waking for it would cost a write for nothing.
        let full = running.len() >= shared.config.concurrency;
        tokio::select! {
            biased;
            () = &mut shutdown => return,
            () = notified => {
                if last_claim.is_some_and(|at| at.elapsed() < BUSY) {
                    // Jobs are streaming in: let a few more arrive and claim them in one write.
                    tokio::select! {
                        biased;
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(COALESCE) => {}
                    }
                }
            }
            Some(_) = running.join_next(), if full => {
                // Let a few more finish, so the next claim takes several jobs in one write.
                tokio::select! {
                    biased;
                    () = &mut shutdown => return,
                    () = tokio::time::sleep(COALESCE) => {}
                }
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The longest wait between claims while the database keeps failing.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// A wake-up this soon after a claim that found jobs means jobs are streaming in...
const BUSY: Duration = Duration::from_millis(20);
/// ...so the worker waits this long before claiming, to take several jobs per claim. Each claim
/// is a write: on SQLite it takes the one write lock the app's requests need too. An idle
/// worker claims at once.
const COALESCE: Duration = Duration::from_millis(2);

/// How long until the next pending job is due, capped by the poll interval.
async fn until_next_due<C>(shared: &Shared<C>, queues: &[String]) -> Option<Duration> {
    let next = store::next_due(shared.queue.db(), queues).await.ok()??;
    // A due job this worker could not claim (another worker's claim holds its row lock) is
    // looked at again shortly, not in a tight loop.
    let until = (next - shared.queue.clock().now())
        .to_std()
        .unwrap_or(Duration::ZERO)
        .max(Duration::from_millis(5));
    Some(until.min(shared.config.poll_interval))
}

/// Records outcomes in batches: whatever finished while the previous batch was being written.
async fn write_outcomes<C>(shared: Arc<Shared<C>>, mut done_rx: mpsc::UnboundedReceiver<Done>) {
    let mut batch = Vec::with_capacity(256);
    while done_rx.recv_many(&mut batch, 256).await > 0 {
        // Under load, linger a moment so one write records many outcomes.
        if batch.len() < 256 {
            let room = 256 - batch.len();
            let more = done_rx.recv_many(&mut batch, room);
            let _ = tokio::time::timeout(COALESCE, more).await;
        }
        let mut delay = Duration::from_millis(100);
        for attempt in 1.. {
            match shared.finish(&batch).await {
                Ok(()) => break,
                Err(err) if attempt < 5 => {
                    tracing::warn!(error = %err, attempt, "recording job outcomes failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(err) => {
                    // The leases lapse (no heartbeat covers these jobs now) and they run again.
                    tracing::error!(error = %err, jobs = batch.len(), "could not record job outcomes");
                    shared.forget(&batch);
                    break;
                }
            }
        }
        batch.clear();
    }
}

/// Every third of the lease: extend this worker's leases, and put jobs whose lease lapsed (a
/// dead worker's) back on the queue.
async fn heartbeat<C>(shared: Arc<Shared<C>>, mut stop: watch::Receiver<bool>) {
    let every = (shared.config.lease / 3).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            () = tokio::time::sleep(every) => {}
        }
        let now = shared.queue.clock().now();
        let conn = shared.queue.db();
        let ids = shared.in_flight_ids();
        if !ids.is_empty() {
            let until = now
                + chrono::Duration::from_std(shared.config.lease).unwrap_or(chrono::Duration::MAX);
            if let Err(err) = store::extend(conn, &shared.worker_id, &ids, until).await {
                tracing::warn!(error = %err, "extending job leases failed");
            }
        }
        match store::rescue_expired(conn, now).await {
            Ok(0) => {}
            Ok(rescued) => {
                tracing::warn!(rescued, "jobs whose worker stopped are due again");
                shared.queue.wake();
            }
            Err(err) => tracing::warn!(error = %err, "rescuing expired jobs failed"),
        }
    }
}
