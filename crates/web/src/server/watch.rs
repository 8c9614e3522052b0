//! Keeping an eye on every open connection from one place: the sweeper, a single task that
//! looks at each connection's [`Watch`] a few times per idle timeout and asks it to close.
//!
//! - A connection with no request begun and none in flight since the sweep before closes
//!   politely once that has lasted `idle_timeout`; if it is still open `close_grace` later, it
//!   is cut off.
//! - When shutdown begins every connection is asked to close politely; when it is forced
//!   (the drain deadline), every connection still open is cut off.

use std::{
    sync::{
        Arc, Mutex, PoisonError, Weak,
        atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures_util::task::AtomicWaker;
use tokio::time::Instant;

use crate::Shutdown;

/// [`Watch::order`]: `0` (the default) keeps serving; this finishes what is in flight, then
/// closes.
pub(super) const CLOSE: u8 = 1;
/// Close now.
pub(super) const CUT: u8 = 2;

/// What one connection shares with the sweeper.
#[derive(Debug, Default)]
pub(super) struct Watch {
    /// Requests begun on the connection.
    pub(super) requests: AtomicU64,
    /// Requests whose response has not been sent yet.
    pub(super) in_flight: AtomicUsize,
    /// Serve on (`0`), [`CLOSE`] or [`CUT`]: what the connection's task does when it next wakes.
    pub(super) order: AtomicU8,
    /// The connection's task, woken when the order changes.
    pub(super) waker: AtomicWaker,
}

impl Watch {
    fn order(&self, order: u8) {
        if self.order.fetch_max(order, Ordering::AcqRel) < order {
            self.waker.wake();
        }
    }
}

/// Connections opened since the sweeper last looked.
#[derive(Debug, Default)]
pub(super) struct Registry {
    new: Mutex<Vec<Weak<Watch>>>,
}

impl Registry {
    /// A watch for a new connection, known to the sweeper from its next sweep on.
    pub(super) fn watch(&self) -> Arc<Watch> {
        let watch = Arc::new(Watch::default());
        self.new
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&watch));
        watch
    }

    fn take_new(&self) -> Vec<Weak<Watch>> {
        std::mem::take(&mut *self.new.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What the sweeper knows of one connection between sweeps.
struct Entry {
    watch: Weak<Watch>,
    /// `requests` at the last sweep that saw activity, and when that was.
    seen: u64,
    active_at: Instant,
    /// When it was asked to close for idleness.
    closing_since: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// No request begun or in flight for this long: close.
    pub(super) idle_timeout: Duration,
    /// How long a connection closed for idleness gets to say goodbye (HTTP/2's GOAWAY).
    pub(super) close_grace: Duration,
}

/// The sweeper: runs until shutdown is forced (or its task is aborted).
pub(super) async fn sweep(registry: Arc<Registry>, limits: Limits, shutdown: Shutdown) {
    let period = (limits.idle_timeout.min(limits.close_grace) / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut entries: Vec<Entry> = Vec::new();
    let mut begun = std::pin::pin!(shutdown.begun());
    let mut forced = std::pin::pin!(shutdown.forced());
    let mut closing_all = false;
    loop {
        let order_all = tokio::select! {
            _ = ticks.tick() => None,
            () = &mut begun, if !closing_all => Some(CLOSE),
            () = &mut forced => Some(CUT),
        };
        let now = Instant::now();
        entries.extend(registry.take_new().into_iter().map(|watch| Entry {
            watch,
            seen: 0,
            active_at: now,
            closing_since: None,
        }));
        if order_all == Some(CUT) {
            for watch in entries.iter().filter_map(|e| e.watch.upgrade()) {
                watch.order(CUT);
            }
            return;
        }
        closing_all |= order_all == Some(CLOSE);
        entries.retain_mut(|entry| {
            let Some(watch) = entry.watch.upgrade() else {
                return false;
            };
            if closing_all {
                watch.order(CLOSE);
                return true;
            }
            if let Some(since) = entry.closing_since {
                if now.duration_since(since) >= limits.close_grace {
                    watch.order(CUT);
                }
                return true;
            }
            let requests = watch.requests.load(Ordering::Relaxed);
            if requests != entry.seen || watch.in_flight.load(Ordering::Acquire) > 0 {
                entry.seen = requests;
                entry.active_at = now;
            } else if now.duration_since(entry.active_at) >= limits.idle_timeout {
                watch.order(CLOSE);
                entry.closing_since = Some(now);
            }
            true
        });
    }
}
