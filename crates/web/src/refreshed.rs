//! A value too costly to compute per request (a report over a whole table, a count), kept in
//! memory and refreshed in the background: requests read the copy they find, at most `max_age`
//! old when it is in demand, and never queue behind a refresh once a first copy exists.
//!
//! One load runs at a time per value. The first load is awaited by the requests that need it
//! (each waits for the one load, not a load each); later loads run in a task of their own, so a
//! client hanging up cannot cancel one halfway and leave the value stale for everyone. A load
//! that fails leaves the previous copy in place and is logged; the next request tries again.

use std::{future::Future, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::{sync::Mutex as AsyncMutex, time::Instant};

/// A copy of the value and when it was computed.
#[derive(Debug)]
pub struct Snapshot<T> {
    pub value: T,
    pub computed_at: DateTime<Utc>,
    fresh_until: Instant,
}

#[derive(Debug)]
pub struct Refreshed<T> {
    max_age: Duration,
    /// Held only to read or replace the `Arc`, never across an `.await`.
    current: std::sync::Mutex<Option<Arc<Snapshot<T>>>>,
    /// Held by the one load in progress (and across its `.await`s: that is what it is for).
    loading: Arc<AsyncMutex<()>>,
}

impl<T: Send + Sync + 'static> Refreshed<T> {
    pub fn new(max_age: Duration) -> Arc<Self> {
        Arc::new(Self {
            max_age,
            current: std::sync::Mutex::new(None),
            loading: Arc::new(AsyncMutex::new(())),
        })
    }

    /// The value: the copy in memory if there is one (refreshed in the background when older
    /// than `max_age`), otherwise loaded now.
    pub async fn get<F, Fut, E>(self: &Arc<Self>, load: F) -> Result<Arc<Snapshot<T>>, E>
    where
        F: FnOnce() -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        if let Some(snapshot) = self.peek(load.clone()) {
            return Ok(snapshot);
        }
        // No copy yet, and `peek` started a load in the background unless one was running: wait
        // for it and read its copy. Should it have failed, load here (one caller at a time; if
        // this one goes away mid-load, its guard is dropped and the next waiter loads instead).
        let _turn = self.loading.lock().await;
        if let Some(snapshot) = self.current() {
            return Ok(snapshot);
        }
        Ok(self.store(load().await?))
    }

    /// The copy in memory, however old, if there is one; starts a background refresh when it is
    /// missing or older than `max_age`. Never waits.
    pub fn peek<F, Fut, E>(self: &Arc<Self>, load: F) -> Option<Arc<Snapshot<T>>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let current = self.current();
        if current
            .as_ref()
            .is_none_or(|s| Instant::now() >= s.fresh_until)
        {
            self.refresh_in_background(load);
        }
        current
    }

    fn current(&self) -> Option<Arc<Snapshot<T>>> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn store(&self, value: T) -> Arc<Snapshot<T>> {
        let snapshot = Arc::new(Snapshot {
            value,
            computed_at: Utc::now(),
            fresh_until: Instant::now() + self.max_age,
        });
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&snapshot));
        snapshot
    }

    fn refresh_in_background<F, Fut, E>(self: &Arc<Self>, load: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        // Someone is loading already: their copy will do.
        let Ok(turn) = Arc::clone(&self.loading).try_lock_owned() else {
            return;
        };
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let _turn = turn;
            match load().await {
                Ok(value) => {
                    this.store(value);
                }
                Err(err) => tracing::warn!(error = %err, "refreshing a cached value failed"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::oneshot;

    use super::*;

    const AGE: Duration = Duration::from_secs(60);

    /// A loader that counts its runs and returns the run's number.
    fn counting(
        runs: &Arc<AtomicUsize>,
    ) -> impl FnOnce() -> std::future::Ready<Result<usize, String>> + Clone + Send + 'static {
        let runs = Arc::clone(runs);
        move || std::future::ready(Ok(runs.fetch_add(1, Ordering::SeqCst) + 1))
    }

    /// Waits until no load is in progress (the background task drops its turn after storing).
    async fn settled<T>(cache: &Refreshed<T>) {
        drop(cache.loading.lock().await);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_that_find_no_copy_share_one_load() {
        let cache = Refreshed::<usize>::new(AGE);
        let runs = Arc::new(AtomicUsize::new(0));

        let (a, b, c) = tokio::join!(
            cache.get(counting(&runs)),
            cache.get(counting(&runs)),
            cache.get(counting(&runs)),
        );

        let values: Vec<usize> = [a, b, c]
            .into_iter()
            .map(|s| s.map(|s| s.value))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(values, [1, 1, 1]);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_copy_is_served_while_one_refresh_runs_behind_it() {
        let cache = Refreshed::<usize>::new(AGE);
        let runs = Arc::new(AtomicUsize::new(0));
        assert_eq!(cache.get(counting(&runs)).await.unwrap().value, 1);

        // Fresh: no load.
        tokio::time::advance(AGE - Duration::from_secs(1)).await;
        assert_eq!(cache.get(counting(&runs)).await.unwrap().value, 1);
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        // Stale: the old copy now, the new one once the refresh has run.
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(cache.get(counting(&runs)).await.unwrap().value, 1);
        assert_eq!(cache.peek(counting(&runs)).map(|s| s.value), Some(1));
        settled(&cache).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "one refresh for two stale reads"
        );
        assert_eq!(cache.get(counting(&runs)).await.unwrap().value, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_that_goes_away_does_not_cancel_the_load() {
        let cache = Refreshed::<usize>::new(AGE);
        let (release, gate) = oneshot::channel::<()>();
        let gated = move || async move {
            gate.await.map_err(|e| e.to_string())?;
            Ok::<_, String>(7)
        };
        // `oneshot::Receiver` is not `Clone`: share it so the loader can be.
        let gated = {
            let gated = Arc::new(std::sync::Mutex::new(Some(gated)));
            move || {
                let once = gated.lock().ok().and_then(|mut g| g.take());
                async move {
                    match once {
                        Some(load) => load().await,
                        None => Err("the gated load runs once".to_owned()),
                    }
                }
            }
        };

        // The caller gives up while its (background) load waits at the gate.
        let mut caller = Box::pin(cache.get(gated.clone()));
        assert!(futures_poll_once(&mut caller).await.is_none());
        drop(caller);
        release.send(()).unwrap();
        settled(&cache).await;

        let runs = Arc::new(AtomicUsize::new(0));
        assert_eq!(cache.get(counting(&runs)).await.unwrap().value, 7);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "the abandoned load was kept"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_keeps_the_previous_copy() {
        let cache = Refreshed::<usize>::new(AGE);
        let runs = Arc::new(AtomicUsize::new(0));
        cache.get(counting(&runs)).await.unwrap();
        tokio::time::advance(AGE).await;

        let failing = || std::future::ready(Err::<usize, _>("database down".to_owned()));
        assert_eq!(cache.get(failing).await.unwrap().value, 1);
        settled(&cache).await;

        assert_eq!(cache.peek(failing).map(|s| s.value), Some(1));
        let failed_cold = Refreshed::<usize>::new(AGE).get(failing).await;
        assert_eq!(failed_cold.err().as_deref(), Some("database down"));
    }

    /// Polls `fut` once: `Some` if it finished.
    async fn futures_poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut *fut).poll(cx) {
                std::task::Poll::Ready(out) => Some(out),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
