//! Starting transactions the same way everywhere.

use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};

use crate::Result;

/// Begins a transaction that will write. On SQLite it starts `IMMEDIATE`, taking the write lock
/// up front: a deferred transaction that reads and then writes can fail with `SQLITE_BUSY` when
/// another writer commits in between, and the busy timeout cannot save it. PostgreSQL ignores
/// the mode. Nested inside another transaction it becomes a savepoint.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}
