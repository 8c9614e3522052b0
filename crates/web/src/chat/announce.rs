//! Presence announcements, coalesced per room and taken in turns.
//!
//! Every join and leave tells the room who is in it, which costs a query. When many sockets
//! leave at once (a network blip, a replica stopping, a client closing thousands of
//! connections), one query per socket would queue on the pool, each waiting query holding its
//! buffers: 5,000 closes on PostgreSQL held ~74 MB that way. Here a room has at most one
//! announcement waiting for its turn — a change in a room that already has one is covered by it,
//! since it reads the room only once its turn comes — and only a few announcements query at once.

use std::{collections::HashSet, future::Future, sync::Mutex};

use tokio::sync::Semaphore;

/// How many announcements query the database at once, per process.
const TURNS: usize = 4;

#[derive(Debug)]
pub(crate) struct Announcements {
    /// Rooms with an announcement waiting for its turn.
    waiting: Mutex<HashSet<String>>,
    turns: Semaphore,
}

impl Default for Announcements {
    fn default() -> Self {
        Self::with_turns(TURNS)
    }
}

impl Announcements {
    fn with_turns(turns: usize) -> Self {
        Self {
            waiting: Mutex::new(HashSet::new()),
            turns: Semaphore::new(turns.max(1)),
        }
    }

    /// Runs `announce` for `room` in its turn, unless an announcement for `room` is already
    /// waiting (then that one covers this change). Returns whether `announce` ran.
    pub(crate) async fn run<Fut: Future<Output = ()>>(
        &self,
        room: &str,
        announce: impl FnOnce() -> Fut,
    ) -> bool {
        let Some(waiting) = self.wait(room) else {
            return false;
        };
        let Ok(_turn) = self.turns.acquire().await else {
            return false;
        };
        // From here on the room is read afresh: a change after this point needs an
        // announcement of its own.
        drop(waiting);
        announce().await;
        true
    }

    fn wait<'a>(&'a self, room: &'a str) -> Option<Waiting<'a>> {
        let mut waiting = self.waiting.lock().ok()?;
        // Built only when this call took the place: a guard built and dropped here would give
        // up the place of the announcement already waiting.
        waiting
            .insert(room.to_owned())
            .then(|| Waiting { of: self, room })
    }
}

/// A room's place in the queue; given up on drop, also when the announcement is cancelled
/// (its socket task ended) before its turn.
struct Waiting<'a> {
    of: &'a Announcements,
    room: &'a str,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Ok(mut waiting) = self.of.waiting.lock() {
            waiting.remove(self.room);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        pin::pin,
        sync::atomic::{AtomicUsize, Ordering},
        task::{Context, Poll, Waker},
    };

    use tokio::sync::oneshot;

    use super::Announcements;

    fn poll_once<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[tokio::test]
    async fn changes_in_a_room_waiting_for_its_turn_are_covered_by_one_announcement() {
        let announcements = Announcements::with_turns(1);
        let ran = AtomicUsize::new(0);
        // The only turn is taken by an announcement that has not finished.
        let (release, released) = oneshot::channel::<()>();
        let mut first = pin!(announcements.run("busy", || async {
            ran.fetch_add(1, Ordering::SeqCst);
            released.await.unwrap();
        }));
        assert!(poll_once(first.as_mut()).is_pending());

        // One announcement for "a" waits for the turn; 99 more changes in "a" are covered by it.
        let mut waiting = pin!(announcements.run("a", || async {
            ran.fetch_add(1, Ordering::SeqCst);
        }));
        assert!(poll_once(waiting.as_mut()).is_pending());
        for _ in 0..99 {
            let covered = announcements.run("a", || async { unreachable!("coalesced") });
            assert!(!covered.await);
        }

        release.send(()).unwrap();
        assert!(first.await);
        assert!(waiting.await);
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        // Once it has run, the next change in "a" is announced again.
        assert!(announcements.run("a", || async {}).await);
    }

    #[tokio::test]
    async fn an_announcement_cancelled_before_its_turn_gives_up_its_place() {
        let announcements = Announcements::with_turns(1);
        let (release, released) = oneshot::channel::<()>();
        let mut first = pin!(announcements.run("busy", || async {
            released.await.unwrap();
        }));
        assert!(poll_once(first.as_mut()).is_pending());
        {
            let mut cancelled = Box::pin(announcements.run("a", || async {}));
            assert!(poll_once(cancelled.as_mut()).is_pending());
        } // dropped while waiting, as when its socket task ends
        release.send(()).unwrap();
        assert!(first.await);
        assert!(announcements.run("a", || async {}).await);
    }

    #[tokio::test]
    async fn rooms_do_not_cover_each_other_and_turns_bound_the_queries_in_flight() {
        let announcements = Announcements::with_turns(2);
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let rooms: Vec<String> = (0..20).map(|i| format!("room-{i}")).collect();
        let runs = rooms.iter().map(|room| {
            announcements.run(room, || async {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::task::yield_now().await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            })
        });
        let ran = futures_util::future::join_all(runs).await;
        assert!(ran.iter().all(|ran| *ran), "every room is announced");
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
