//! Starting write transactions the same way everywhere, and queueing SQLite's writers.
//!
//! SQLite allows one writer at a time. Left to itself, a writer that finds the lock taken sleeps
//! in SQLite's busy handler (1, 2, 5, 10 … 100 ms) and tries again, so under many concurrent
//! writers an unlucky one keeps losing: a JSON create with 64 connections had a p99 of
//! several hundred milliseconds. Here every writer of this process first takes a permit from one
//! FIFO semaphore per SQLite file, so they wait in line on the async runtime and the lock is
//! handed over as soon as it is free. Writers in other processes (a separate `app worker`) still
//! meet the busy handler. PostgreSQL writes in parallel and takes no permit.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, LazyLock, Mutex, PoisonError},
    time::Duration,
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Error, Result};

/// How long a writer waits for its turn before giving up: the same as SQLite's busy timeout.
const WAIT_FOR_TURN: Duration = Duration::from_secs(5);

/// Where writes can start: the pool, an open transaction (a nested write is a savepoint), or a
/// [`WriteTransaction`]. Query functions that write take `&impl Writer`.
pub trait Writer: ConnectionTrait + Send + Sync {
    /// Begins a transaction that will write (see [`begin_write`]).
    fn begin_write(&self) -> impl Future<Output = Result<WriteTransaction>> + Send;

    /// The turn to write one statement outside a transaction (`None`: no turn needed, e.g. on
    /// PostgreSQL or inside a transaction that already holds it). Keep it while the statement runs.
    fn write_turn(&self) -> impl Future<Output = Result<Option<WriteTurn>>> + Send;
}

/// A place in the queue of this process's SQLite writers; the next writer goes when it drops.
#[derive(Debug)]
pub struct WriteTurn(#[allow(dead_code, reason = "held for its Drop")] OwnedSemaphorePermit);

/// Begins a transaction that will write. On SQLite it waits for this process's write turn, then
/// starts `IMMEDIATE`, taking the write lock up front: a deferred transaction that reads and then
/// writes can fail with `SQLITE_BUSY` when another writer commits in between, and the busy
/// timeout cannot save it. PostgreSQL ignores both. Nested inside another transaction it becomes
/// a savepoint.
pub async fn begin_write(db: &impl Writer) -> Result<WriteTransaction> {
    db.begin_write().await
}

impl Writer for DatabaseConnection {
    async fn begin_write(&self) -> Result<WriteTransaction> {
        let turn = self.write_turn().await?;
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.begin_with_options(options).await?;
        Ok(WriteTransaction { txn, _turn: turn })
    }

    async fn write_turn(&self) -> Result<Option<WriteTurn>> {
        let Some(gate) = gate(self) else {
            return Ok(None);
        };
        match tokio::time::timeout(WAIT_FOR_TURN, gate.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Some(WriteTurn(permit))),
            Ok(Err(_)) | Err(_) => Err(Error::Unavailable(DbErr::Custom(format!(
                "waited {} s for the SQLite write lock",
                WAIT_FOR_TURN.as_secs()
            )))),
        }
    }
}

impl Writer for DatabaseTransaction {
    async fn begin_write(&self) -> Result<WriteTransaction> {
        Ok(WriteTransaction {
            txn: self.begin().await?,
            _turn: None,
        })
    }

    async fn write_turn(&self) -> Result<Option<WriteTurn>> {
        Ok(None)
    }
}

impl Writer for WriteTransaction {
    async fn begin_write(&self) -> Result<WriteTransaction> {
        self.txn.begin_write().await
    }

    async fn write_turn(&self) -> Result<Option<WriteTurn>> {
        Ok(None)
    }
}

/// A transaction that writes, holding this process's SQLite write turn until it ends. Use it
/// like a [`DatabaseTransaction`]: pass `&txn` to queries, then `commit` or `rollback` (dropping
/// it rolls back).
#[derive(Debug)]
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    _turn: Option<WriteTurn>,
}

impl WriteTransaction {
    pub async fn commit(self) -> std::result::Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> std::result::Result<(), DbErr> {
        self.txn.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> std::result::Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> std::result::Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(
        &self,
        stmt: Statement,
    ) -> std::result::Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> std::result::Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// One semaphore per SQLite file this process writes to (two pools on one file share it).
static GATES: LazyLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = LazyLock::new(Mutex::default);

fn gate(db: &DatabaseConnection) -> Option<Arc<Semaphore>> {
    // Checked first: `get_sqlite_connection_pool` panics on any other backend.
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename();
    // Each connection to `:memory:` is a database of its own: nothing to share.
    if file.as_os_str().is_empty() || file == Path::new(":memory:") {
        return None;
    }
    let mut gates = GATES.lock().unwrap_or_else(PoisonError::into_inner);
    let gate = gates
        .entry(file.to_owned())
        .or_insert_with(|| Arc::new(Semaphore::new(1)));
    Some(Arc::clone(gate))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use super::*;
    use crate::DbConfig;

    async fn sqlite() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("gate.db").display());
        let db = crate::connect(&DbConfig::new(url)).await.unwrap();
        (dir, db)
    }

    /// Writers wait in line on the runtime and get the lock in the order they asked for it.
    #[tokio::test]
    async fn writers_take_turns_in_arrival_order() {
        let (_dir, db) = sqlite().await;
        let first = db.begin_write().await.unwrap();
        let order = Arc::new(StdMutex::new(Vec::new()));
        let mut writers = Vec::new();
        for i in 0..8 {
            let (db, order) = (db.clone(), Arc::clone(&order));
            writers.push(tokio::spawn(async move {
                let txn = db.begin_write().await.unwrap();
                order.lock().unwrap().push(i);
                txn.commit().await.unwrap();
            }));
            // Let writer `i` reach the queue before `i + 1` is spawned.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        }
        assert!(
            order.lock().unwrap().is_empty(),
            "nobody writes while the first one does"
        );
        first.commit().await.unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
    }

    /// A writer that cannot get its turn (e.g. its own task holds the write transaction) fails
    /// after the busy timeout, as SQLite's busy handler would, instead of hanging.
    #[tokio::test]
    async fn a_writer_gives_up_when_its_turn_never_comes() {
        let (_dir, db) = sqlite().await;
        let holder = db.begin_write().await.unwrap();
        tokio::time::pause();
        let waited = db.write_turn().await;
        tokio::time::resume();
        assert!(matches!(waited, Err(Error::Unavailable(_))), "{waited:?}");
        // Inside the transaction no turn is needed: nested writes are savepoints.
        assert!(holder.write_turn().await.unwrap().is_none());
        let nested = holder.begin_write().await.unwrap();
        nested.commit().await.unwrap();
        holder.commit().await.unwrap();
        assert!(db.write_turn().await.unwrap().is_some());
    }
}
