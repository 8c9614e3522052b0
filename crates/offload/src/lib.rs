//! The blocking-code bridge — what `sync_to_async` is to Django.
//!
//! Async tasks share a few runtime threads; a task that hashes a password, crunches numbers or
//! calls a blocking library for 50 ms stalls every other request on its thread for those 50 ms.
//! [`Offload::run`] moves such work to tokio's blocking thread pool and awaits it, so the runtime
//! keeps serving. Two things plain `spawn_blocking` lacks:
//!
//! - a bound: at most `max_in_flight` jobs run at once (the rest wait their turn, asynchronously),
//!   so a burst of heavy requests cannot start hundreds of threads or starve the machine;
//! - a trace: each job runs in a span named after it, inside the caller's span (so the request id
//!   follows the work onto the other thread), and records how long it waited and ran.
//!
//! Use it for CPU-heavy work (hashing, image resizing, reports) and blocking libraries. Do not use
//! it for I/O that has an async API.
//!
//! [`Offload::dedicated`] runs its jobs on a fixed set of threads of its own instead of tokio's
//! blocking pool (whose threads come and go): for work that keeps a large buffer per thread
//! (password hashing reuses its Argon2 memory), so that memory is bounded by the thread count.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, mpsc},
    time::Instant,
};

use tokio::sync::Semaphore;
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The job panicked; the panic was contained on the blocking thread.
    #[error("blocking job `{job}` panicked")]
    Panicked { job: &'static str },
    /// The runtime is shutting down and no longer runs blocking jobs.
    #[error("blocking job `{job}` was cancelled: the runtime is shutting down")]
    Cancelled { job: &'static str },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A bounded gateway to tokio's blocking pool (or to threads of its own). Cheap to clone; clones
/// share the bound.
#[derive(Debug, Clone)]
pub struct Offload {
    permits: Arc<Semaphore>,
    max_in_flight: usize,
    /// `None`: tokio's blocking pool.
    threads: Option<Arc<Threads>>,
}

/// A job for a dedicated thread.
type Task = Box<dyn FnOnce() + Send>;

/// The sending end of a dedicated pool's queue; its threads end when it is dropped.
#[derive(Debug)]
struct Threads {
    queue: Mutex<mpsc::Sender<Task>>,
}

impl Offload {
    /// At most `max_in_flight` jobs run at once (at least 1).
    pub fn new(max_in_flight: usize) -> Self {
        let max_in_flight = max_in_flight.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            threads: None,
        }
    }

    /// A bridge with `threads` threads of its own (at least 1), named `name-N`: at most that many
    /// jobs run at once, always on the same threads, so what a job keeps per thread is kept at
    /// most `threads` times.
    pub fn dedicated(name: &str, threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (queue, tasks) = mpsc::channel::<Task>();
        let tasks = Arc::new(Mutex::new(tasks));
        for n in 0..threads {
            let tasks = Arc::clone(&tasks);
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || {
                    loop {
                        // One idle thread waits on the queue, the others on the lock.
                        let task = match tasks.lock() {
                            Ok(tasks) => tasks.recv(),
                            Err(_) => return,
                        };
                        match task {
                            Ok(task) => task(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self {
            threads: Some(Arc::new(Threads {
                queue: Mutex::new(queue),
            })),
            ..Self::new(threads)
        })
    }

    /// A bound that fits the machine: one job per core, so heavy work never takes more CPU than
    /// there is while the runtime's own threads still get scheduled.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Runs `work` on the blocking pool once a slot is free and returns its result.
    ///
    /// Dropping the returned future while the job waits for a slot cancels it; once started, a job
    /// runs to the end (threads cannot be interrupted) and its result is dropped.
    pub async fn run<T, F>(&self, job: &'static str, work: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let span = tracing::debug_span!("offload", job);
        async {
            let queued = Instant::now();
            let permit = Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .map_err(|_| Error::Cancelled { job })?;
            let waited_ms = queued.elapsed().as_secs_f64() * 1000.0;
            let span = tracing::Span::current();
            let job_in_span = move || {
                let _entered = span.enter();
                let started = Instant::now();
                let output = work();
                drop(permit);
                tracing::debug!(
                    waited_ms,
                    ran_ms = started.elapsed().as_secs_f64() * 1000.0,
                    "blocking job done"
                );
                output
            };
            match &self.threads {
                None => tokio::task::spawn_blocking(job_in_span).await.map_err(|e| {
                    if e.is_panic() {
                        tracing::error!(job, "blocking job panicked");
                        Error::Panicked { job }
                    } else {
                        Error::Cancelled { job }
                    }
                }),
                Some(threads) => threads.run(job, job_in_span).await,
            }
        }
        .instrument(span)
        .await
    }
}

impl Threads {
    /// Runs `work` on one of the pool's threads; a panic is caught there (the thread lives on).
    async fn run<T, F>(&self, job: &'static str, work: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let task: Task = Box::new(move || {
            let output = std::panic::catch_unwind(AssertUnwindSafe(work));
            let _ = done.send(output);
        });
        let sent = match self.queue.lock() {
            Ok(queue) => queue.send(task).is_ok(),
            Err(_) => false,
        };
        if !sent {
            return Err(Error::Cancelled { job });
        }
        match result.await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(_)) => {
                tracing::error!(job, "blocking job panicked");
                Err(Error::Panicked { job })
            }
            Err(_) => Err(Error::Cancelled { job }),
        }
    }
}

#[cfg(test)]
mod tests;
