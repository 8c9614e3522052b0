//! Reads that skip what a general-purpose driver spends per query.
//!
//! Queries are built by sea-orm (a `Select<E>`) and rows come back as the entity's model, read
//! through its `serde::Deserialize`; only the driver underneath differs from the pool's.
//!
//! - **SQLite** ([`sqlite`]): sqlx runs each connection on a thread of its own and talks to it
//!   through channels, two futex wake-ups and context switches per query, half of the server's
//!   time in a profile of a point read (`GET /api/<resource>/{id}`). [`Reads`] serves reads from a few threads that
//!   each own a read-only rusqlite connection and take their work from one shared queue.
//! - **PostgreSQL** ([`postgres`]): a pool of tokio-postgres connections, each preparing a
//!   statement once and reusing it, with rows decoded straight from the wire format into the
//!   model. Measured side by side, sqlx served 59 % of what bare tokio-postgres did on the same
//!   point read. A query whose parameter or column types these readers do not decode goes to
//!   the sea-orm pool instead, unchanged.
//!
//! Writes never come here: they stay on the pool (behind SQLite's write queue). A read here sees
//! the last committed state, as a pool connection would; a read that must see the caller's own
//! uncommitted writes runs on its transaction (the [`Read`] trait covers both).

use std::sync::Arc;

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult, Select,
};
use serde::de::DeserializeOwned;

use secrecy::ExposeSecret;

use crate::{DbConfig, Error, Result, WriteTransaction};

mod postgres;
mod row;
mod sqlite;

/// Where reads run: the pool, SQLite reader threads, or PostgreSQL read connections. What the
/// readers leave (a type they do not handle) runs on the pool.
#[derive(Debug, Clone)]
pub struct Reads {
    db: DatabaseConnection,
    readers: Readers,
}

#[derive(Debug, Clone)]
enum Readers {
    None,
    Sqlite(Arc<sqlite::Readers>),
    Postgres(Arc<postgres::Readers>),
}

impl Reads {
    /// Reads through `db` itself (SQLite in memory, tests).
    pub fn pool(db: DatabaseConnection) -> Self {
        Self {
            db,
            readers: Readers::None,
        }
    }

    /// Reads for `db`, opened from `config`: on a SQLite file, `config.readers` reader threads
    /// with a connection each; on PostgreSQL, a pool of up to `config.max_connections` read
    /// connections (opened when first needed); otherwise the pool.
    pub fn open(db: &DatabaseConnection, config: &DbConfig) -> Result<Self> {
        let url = config.url.expose_secret();
        let readers = if let Some(path) = sqlite_path(db, url) {
            Readers::Sqlite(Arc::new(sqlite::Readers::start(
                &path,
                config.readers.max(1),
            )?))
        } else if db.get_database_backend() == DbBackend::Postgres {
            match postgres::Readers::open(url, config) {
                Ok(readers) => Readers::Postgres(Arc::new(readers)),
                Err(why) => {
                    tracing::info!(
                        "PostgreSQL reads go through the sea-orm pool: {why} (see DATABASE_URL in the README)"
                    );
                    Readers::None
                }
            }
        } else {
            Readers::None
        };
        Ok(Self {
            db: db.clone(),
            readers,
        })
    }
}

/// The SQLite file behind `url`, when `db` is SQLite on a file.
/// How busy one connection pool is, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// `write` (sea-orm's sqlx pool, which also serves reads without readers of their own) or
    /// `read` (the PostgreSQL read pool, or the SQLite reader threads).
    pub pool: &'static str,
    /// Connections open (SQLite readers: threads).
    pub size: usize,
    /// Of those, not in use (unknown for SQLite readers).
    pub idle: Option<usize>,
    /// Callers waiting for a connection (unknown for sqlx's pool, which does not count them).
    pub waiting: Option<usize>,
}

impl Reads {
    /// Every pool this process holds, as it is now.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let mut stats = Vec::with_capacity(2);
        let (size, idle) = match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size() as usize, pool.num_idle())
            }
            DbBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size() as usize, pool.num_idle())
            }
            _ => (0, 0),
        };
        stats.push(PoolStats {
            pool: "write",
            size,
            idle: Some(idle),
            waiting: None,
        });
        match &self.readers {
            Readers::None => {}
            Readers::Sqlite(readers) => stats.push(readers.stats()),
            Readers::Postgres(readers) => stats.push(readers.stats()),
        }
        stats
    }
}

fn sqlite_path(db: &DatabaseConnection, url: &str) -> Option<String> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let path = url
        .strip_prefix("sqlite:")?
        .trim_start_matches("//")
        .split('?')
        .next()?;
    (!path.is_empty() && path != ":memory:" && !url.contains("mode=memory"))
        .then(|| path.to_owned())
}

/// What can run a read query: the pool, a transaction (the read sees its own writes), [`Reads`].
#[async_trait::async_trait]
pub trait Read: Sync {
    /// Every row `select` returns.
    async fn all<E>(&self, select: Select<E>) -> Result<Vec<E::Model>>
    where
        E: EntityTrait,
        E::Model: DeserializeOwned + FromQueryResult + Send + 'static;

    /// The first row `select` returns, if any.
    async fn one<E>(&self, select: Select<E>) -> Result<Option<E::Model>>
    where
        E: EntityTrait,
        E::Model: DeserializeOwned + FromQueryResult + Send + 'static,
    {
        use sea_orm::QuerySelect;
        Ok(self.all(select.limit(1)).await?.into_iter().next())
    }
}

macro_rules! read_through_sea_orm {
    ($($ty:ty),*) => {$(
        #[async_trait::async_trait]
        impl Read for $ty {
            async fn all<E>(&self, select: Select<E>) -> Result<Vec<E::Model>>
            where
                E: EntityTrait,
                E::Model: DeserializeOwned + FromQueryResult + Send + 'static,
            {
                Ok(select.all(self).await?)
            }
        }
    )*};
}

read_through_sea_orm!(DatabaseConnection, DatabaseTransaction, WriteTransaction);

#[async_trait::async_trait]
impl Read for Reads {
    async fn all<E>(&self, select: Select<E>) -> Result<Vec<E::Model>>
    where
        E: EntityTrait,
        E::Model: DeserializeOwned + FromQueryResult + Send + 'static,
    {
        let read = match &self.readers {
            Readers::None => None,
            Readers::Sqlite(readers) => readers.all(&select).await?,
            Readers::Postgres(readers) => readers.all(&select).await?,
        };
        match read {
            Some(models) => Ok(models),
            None => Ok(select.all(&self.db).await?),
        }
    }
}

fn type_error(message: String) -> Error {
    Error::Database(sea_orm::DbErr::Type(message))
}

fn unavailable(message: String) -> Error {
    Error::Unavailable(sea_orm::DbErr::Custom(message))
}
