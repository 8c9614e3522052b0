//! Publish/subscribe between every process on one database: job progress, worker wake-ups and
//! your live features (rooms, feeds) use it to reach connections on any replica.
//!
//! A message goes to a *topic* (`job:42`, `room:lobby`) as a small text payload. On SQLite
//! (one process) the hub is an in-process broadcast. On PostgreSQL a publish is a `NOTIFY` on one
//! channel, and each process that has subscribers holds one `LISTEN` connection and hands every
//! notification to its local subscribers, its own publishes included: every process sees the
//! messages of a topic in the same (commit) order. PostgreSQL limits a payload to 8,000 bytes;
//! [`MAX_PAYLOAD`] leaves room for the topic. Notifications sent while a `LISTEN` connection is
//! being re-established are lost (sqlx reconnects on its own): subscribers that must not miss
//! anything re-read what they show from the database now and then.
//!
//! Subscribers get a bounded buffer each (tokio's broadcast): one that falls `capacity` messages
//! behind is told so (`Lagged`) and never slows the publisher or the other subscribers.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::Duration,
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement, sqlx::postgres::PgListener,
};
use tokio::sync::{broadcast, watch};

use crate::{Error, Result};

/// The one PostgreSQL channel every topic travels on.
const CHANNEL: &str = "app_hub";

/// The largest payload [`Hub::publish`] accepts, in bytes (PostgreSQL's limit is 8,000 for the
/// channel's whole payload, topic included).
pub const MAX_PAYLOAD: usize = 7_000;

/// How long a subscriber waits for the process's `LISTEN` connection (only the first one, or
/// while the database is unreachable) before going on without it.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

/// A cheap-to-clone handle; one per process, shared by everything that publishes or subscribes.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    capacity: usize,
    topics: Mutex<HashMap<String, broadcast::Sender<Arc<str>>>>,
    /// Whether the `LISTEN` task runs (PostgreSQL, started by the first subscriber).
    listening: std::sync::atomic::AtomicBool,
    /// `true` while the `LISTEN` connection is established.
    ready: watch::Sender<bool>,
}

/// A subscriber's end of a topic: `recv` the payloads published after it subscribed.
#[derive(Debug)]
pub struct Subscription {
    receiver: broadcast::Receiver<Arc<str>>,
    topic: String,
    hub: Weak<Inner>,
}

impl Hub {
    /// A hub on `db`; each subscriber may fall `capacity` messages behind before it is told it
    /// lagged.
    pub fn new(db: DatabaseConnection, capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                capacity: capacity.max(1),
                topics: Mutex::new(HashMap::new()),
                listening: std::sync::atomic::AtomicBool::new(false),
                ready: watch::Sender::new(false),
            }),
        }
    }

    fn is_postgres(&self) -> bool {
        self.inner.db.get_database_backend() == DbBackend::Postgres
    }

    /// Subscribes to `topic`: every message published after this returns is received. On
    /// PostgreSQL the first subscription of the process starts its `LISTEN` connection and waits
    /// (up to [`LISTEN_WAIT`]) until it listens; a notification sent before that would be lost.
    pub async fn subscribe(&self, topic: &str) -> Subscription {
        let subscription = {
            let mut topics = self
                .inner
                .topics
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let receiver = topics
                .entry(topic.to_owned())
                .or_insert_with(|| broadcast::channel(self.inner.capacity).0)
                .subscribe();
            Subscription {
                receiver,
                topic: topic.to_owned(),
                hub: Arc::downgrade(&self.inner),
            }
        };
        if self.is_postgres() {
            if !self
                .inner
                .listening
                .swap(true, std::sync::atomic::Ordering::AcqRel)
            {
                listen(Arc::downgrade(&self.inner), &self.inner.db);
            }
            let mut ready = self.inner.ready.subscribe();
            let listening = tokio::time::timeout(LISTEN_WAIT, ready.wait_for(|ready| *ready));
            if !matches!(listening.await, Ok(Ok(_))) {
                tracing::warn!(
                    topic,
                    "subscribed while the hub cannot LISTEN; messages may be missed"
                );
            }
        }
        subscription
    }

    /// Sends `payload` to every subscriber of `topic` in every process on this database.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<()> {
        if payload.len() > MAX_PAYLOAD || topic.contains('\n') {
            return Err(Error::Conflict(format!(
                "a hub message must be at most {MAX_PAYLOAD} bytes on a one-line topic"
            )));
        }
        if !self.is_postgres() {
            self.inner.deliver(topic, payload);
            return Ok(());
        }
        let message = format!("{topic}\n{payload}");
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), message.into()],
        );
        self.inner.db.execute_raw(statement).await?;
        Ok(())
    }

    /// How many subscribers `topic` has in this process.
    pub fn subscribers(&self, topic: &str) -> usize {
        let topics = self
            .inner
            .topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        topics
            .get(topic)
            .map_or(0, broadcast::Sender::receiver_count)
    }
}

/// The SQL expression that publishes an empty message on `topic`, for a statement that must
/// notify when, and only if, its transaction commits (an insert's `WITH ... SELECT`). Only
/// letters, digits, `:`, `_` and `-` of `topic` are kept, so the result is always a valid literal.
pub fn notify_expression(topic: &str) -> String {
    let topic: String = topic
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-'))
        .collect();
    format!("pg_notify('{CHANNEL}', '{topic}' || chr(10))")
}

impl Inner {
    fn deliver(&self, topic: &str, payload: &str) {
        let topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = topics.get(topic) {
            // An error only means nobody listens any more.
            let _ = sender.send(Arc::from(payload));
        }
    }
}

impl Subscription {
    /// The next payload; `Err(Lagged(n))` when this subscriber fell behind and missed `n`;
    /// `Err(Closed)` never happens while the hub lives.
    pub async fn recv(&mut self) -> Result<Arc<str>, broadcast::error::RecvError> {
        self.receiver.recv().await
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }
}

impl Drop for Subscription {
    /// The last subscriber of a topic removes it, so topics do not pile up.
    fn drop(&mut self) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        let mut topics = hub.topics.lock().unwrap_or_else(PoisonError::into_inner);
        // This receiver still counts until the end of `drop`.
        if topics
            .get(&self.topic)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            topics.remove(&self.topic);
        }
    }
}

/// The process's `LISTEN` task: every notification goes to this process's subscribers of its
/// topic. Ends when the hub is dropped or the pool closes.
fn listen(hub: Weak<Inner>, db: &DatabaseConnection) {
    let pool = db.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        let mut listener = loop {
            match connect(&pool).await {
                Ok(listener) => {
                    if let Some(hub) = hub.upgrade() {
                        hub.ready.send_replace(true);
                    }
                    break listener;
                }
                Err(_) if pool.is_closed() || hub.strong_count() == 0 => return,
                Err(err) => {
                    tracing::warn!(error = %err, "hub cannot LISTEN; retrying in a second");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        loop {
            tokio::select! {
                received = listener.recv() => match received {
                    Ok(notification) => {
                        let Some(hub) = hub.upgrade() else { return };
                        if let Some((topic, payload)) = notification.payload().split_once('\n') {
                            hub.deliver(topic, payload);
                        }
                    }
                    Err(_) if pool.is_closed() => return,
                    Err(err) => {
                        tracing::warn!(error = %err, "hub LISTEN connection failed; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
                () = tokio::time::sleep(Duration::from_secs(10)) => {
                    if hub.strong_count() == 0 || pool.is_closed() {
                        return;
                    }
                }
            }
        }
    });
}

async fn connect(
    pool: &sea_orm::sqlx::PgPool,
) -> std::result::Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite() -> DatabaseConnection {
        sea_orm::Database::connect("sqlite::memory:").await.unwrap()
    }

    #[tokio::test]
    async fn subscribers_of_a_topic_get_its_messages_in_order_and_nothing_else() {
        let hub = Hub::new(sqlite().await, 16);
        let mut a = hub.subscribe("room:a").await;
        let mut a2 = hub.subscribe("room:a").await;
        let mut b = hub.subscribe("room:b").await;
        for n in 0..3 {
            hub.publish("room:a", &n.to_string()).await.unwrap();
        }
        hub.publish("room:b", "other").await.unwrap();
        for sub in [&mut a, &mut a2] {
            for n in 0..3 {
                assert_eq!(&*sub.recv().await.unwrap(), n.to_string());
            }
        }
        assert_eq!(&*b.recv().await.unwrap(), "other");
    }

    #[tokio::test]
    async fn a_slow_subscriber_lags_alone_and_topics_go_with_their_last_subscriber() {
        let hub = Hub::new(sqlite().await, 2);
        let mut slow = hub.subscribe("t").await;
        let mut fast = hub.subscribe("t").await;
        for n in 0..5 {
            hub.publish("t", &n.to_string()).await.unwrap();
            assert_eq!(&*fast.recv().await.unwrap(), n.to_string());
        }
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(3))
        ));
        assert_eq!(hub.subscribers("t"), 2);
        drop(slow);
        drop(fast);
        assert_eq!(hub.subscribers("t"), 0);
        assert!(
            hub.inner
                .topics
                .lock()
                .map(|t| t.is_empty())
                .unwrap_or(false)
        );
    }

    #[tokio::test]
    async fn oversized_payloads_are_refused() {
        let hub = Hub::new(sqlite().await, 2);
        assert!(
            hub.publish("t", &"x".repeat(MAX_PAYLOAD + 1))
                .await
                .is_err()
        );
    }
}
