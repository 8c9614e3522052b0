//! Reads that do not pay for a thread hop per connection.
//!
//! sqlx runs each SQLite connection on a thread of its own and talks to it through channels: a
//! query checks out a connection, wakes its thread, and is woken back for the result. Under load
//! that is two futex wake-ups and context switches per query, and a profile of
//! `GET /api/products/{id}` showed them as half of the server's time. On SQLite, [`Reads`] serves
//! reads from a few threads that each own a read-only connection (rusqlite, its statement cache
//! kept) and take their work from one shared queue: a busy reader goes from one query to the next
//! without sleeping, and the answer reaches a task that is usually awake already.
//!
//! Queries are still built by sea-orm (a `Select<E>`); the rows come back as the entity's model,
//! read through its `serde::Deserialize`, with each column converted by the type the entity
//! declares for it. On PostgreSQL, [`Reads`] is the pool itself.
//!
//! Writes never come here: they stay on the pool, behind SQLite's write queue. A reader sees the
//! last committed state (WAL), as a pool connection would.

use std::{str::FromStr, sync::Arc, thread};

use sea_orm::{
    ColumnTrait, ColumnType, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, QueryTrait, Select, Value,
};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use secrecy::ExposeSecret;

use crate::{DbConfig, Error, Result, WriteTransaction};

mod row;

/// Where reads run: the pool, or (SQLite) reader threads beside it.
#[derive(Debug, Clone)]
pub struct Reads {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Pool(DatabaseConnection),
    Sqlite(Arc<Readers>),
}

impl Reads {
    /// Reads through `db` itself (PostgreSQL, or SQLite in memory).
    pub fn pool(db: DatabaseConnection) -> Self {
        Self {
            inner: Inner::Pool(db),
        }
    }

    /// Reads for `db`, opened from `config`: on a SQLite file, `config.readers` reader threads
    /// with a connection each; otherwise the pool.
    pub fn open(db: &DatabaseConnection, config: &DbConfig) -> Result<Self> {
        match sqlite_path(db, config.url.expose_secret()) {
            Some(path) => Ok(Self {
                inner: Inner::Sqlite(Arc::new(Readers::start(&path, config.readers.max(1))?)),
            }),
            None => Ok(Self::pool(db.clone())),
        }
    }
}

/// The SQLite file behind `url`, when `db` is SQLite on a file.
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
        match &self.inner {
            Inner::Pool(db) => Ok(select.all(db).await?),
            Inner::Sqlite(readers) => {
                let statement = select.build(DbBackend::Sqlite);
                let values = statement.values.map(|v| v.0).unwrap_or_default();
                let (sql, values) = inline_limit(statement.sql, values);
                let params = params(&values)?;
                readers
                    .run(move |conn| query::<E>(conn, &sql, &params))
                    .await
            }
        }
    }
}

/// A job for a reader thread: given its connection, it answers through its own channel.
type Job = Box<dyn FnOnce(&rusqlite::Connection) + Send>;

/// The reader threads and their shared queue. Dropping the last handle closes the queue; each
/// thread finishes the job in hand and exits.
#[derive(Debug)]
struct Readers {
    queue: flume::Sender<Job>,
}

/// Statements each reader keeps prepared.
const STATEMENT_CACHE: usize = 64;

impl Readers {
    fn start(path: &str, threads: usize) -> Result<Self> {
        let (queue, jobs) = flume::unbounded::<Job>();
        for n in 0..threads {
            let conn = open_reader(path)?;
            let jobs = jobs.clone();
            thread::Builder::new()
                .name(format!("sqlite-reader-{n}"))
                .spawn(move || {
                    while let Some(job) = next_job(&jobs) {
                        job(&conn);
                    }
                })
                .map_err(|e| unavailable(format!("cannot start a SQLite reader: {e}")))?;
        }
        Ok(Self { queue })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // The caller may have gone away (a hang-up): then nobody needs the answer.
            let _ = answer.send(work(conn));
        });
        self.queue
            .send(job)
            .map_err(|_| unavailable("the SQLite readers have stopped".into()))?;
        answered
            .await
            .map_err(|_| unavailable("a SQLite reader stopped mid-query".into()))?
    }
}

/// How many times an idle reader yields its core, looking for work between yields, before it
/// sleeps on the queue.
const YIELDS_BEFORE_SLEEP: u32 = 16;

/// The next job, or `None` once the queue is closed. Under load the next job is usually there
/// already or arrives within a few yields: looking again instead of sleeping at once saves the
/// futex wait and wake-up that would otherwise cost more than the read itself.
fn next_job(jobs: &flume::Receiver<Job>) -> Option<Job> {
    for _ in 0..YIELDS_BEFORE_SLEEP {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(flume::TryRecvError::Disconnected) => return None,
            Err(flume::TryRecvError::Empty) => thread::yield_now(),
        }
    }
    jobs.recv().ok()
}

fn open_reader(path: &str) -> Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(|e| sqlite_error(&e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| sqlite_error(&e))?;
    Ok(conn)
}

/// Runs one query on a reader's connection and reads each row into the entity's model.
fn query<E>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[rusqlite::types::Value],
) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: DeserializeOwned,
{
    let mut statement = conn.prepare_cached(sql).map_err(|e| sqlite_error(&e))?;
    let kinds: Vec<Option<ColumnType>> = statement
        .column_names()
        .into_iter()
        .map(|name| {
            E::Column::from_str(name)
                .ok()
                .map(|c| c.def().get_column_type().clone())
        })
        .collect();
    let mut rows = statement
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(|e| sqlite_error(&e))?;
    let mut models = Vec::new();
    while let Some(row) = rows.next().map_err(|e| sqlite_error(&e))? {
        let model = row::read(row, &kinds).map_err(|e| {
            type_error(format!(
                "a {} row does not fit its model: {e}",
                E::default().table_name()
            ))
        })?;
        models.push(model);
    }
    Ok(models)
}

/// The statement with its `LIMIT` written into the SQL instead of bound.
///
/// SQLite plans a statement for the value bound to its `LIMIT`, and so marks the statement
/// expired whenever that parameter is bound again: every execution of `... LIMIT ?` is parsed
/// and planned anew, cached or not (seen in a profile as `sqlite3Reprepare` under
/// `sqlite3_step`). With the number in the text, a cached statement is planned once. Limits
/// come from a small set (1 for one row, a page size plus one), so the cache holds them all.
fn inline_limit(sql: String, mut values: Vec<Value>) -> (String, Vec<Value>) {
    const LIMIT: &str = " LIMIT ?";
    let limit = match values.last() {
        Some(Value::BigUnsigned(Some(n))) => Some(*n),
        Some(Value::BigInt(Some(n))) => u64::try_from(*n).ok(),
        _ => None,
    };
    match (sql.strip_suffix(LIMIT), limit) {
        (Some(head), Some(n)) => {
            values.pop();
            (format!("{head} LIMIT {n}"), values)
        }
        _ => (sql, values),
    }
}

/// sea-query's bound values as rusqlite's.
fn params(values: &[Value]) -> Result<Vec<rusqlite::types::Value>> {
    use rusqlite::types::Value as Sql;
    values
        .iter()
        .map(|value| {
            Ok(match value {
                Value::Bool(v) => v.map_or(Sql::Null, |b| Sql::Integer(i64::from(b))),
                Value::TinyInt(v) => v.map_or(Sql::Null, |v| Sql::Integer(v.into())),
                Value::SmallInt(v) => v.map_or(Sql::Null, |v| Sql::Integer(v.into())),
                Value::Int(v) => v.map_or(Sql::Null, |v| Sql::Integer(v.into())),
                Value::BigInt(v) => v.map_or(Sql::Null, Sql::Integer),
                Value::TinyUnsigned(v) => v.map_or(Sql::Null, |v| Sql::Integer(v.into())),
                Value::SmallUnsigned(v) => v.map_or(Sql::Null, |v| Sql::Integer(v.into())),
                Value::Unsigned(v) => v.map_or(Sql::Null, |v| Sql::Integer(v.into())),
                Value::BigUnsigned(v) => match v {
                    None => Sql::Null,
                    Some(v) => Sql::Integer(
                        i64::try_from(*v).map_err(|_| type_error(format!("{v} is past i64")))?,
                    ),
                },
                Value::Float(v) => v.map_or(Sql::Null, |v| Sql::Real(v.into())),
                Value::Double(v) => v.map_or(Sql::Null, Sql::Real),
                Value::String(v) => v.clone().map_or(Sql::Null, Sql::Text),
                other => {
                    return Err(type_error(format!(
                        "a {other:?} parameter is not supported by the SQLite readers"
                    )));
                }
            })
        })
        .collect()
}

fn sqlite_error(err: &rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) => {
            unavailable(err.to_string())
        }
        _ => Error::Database(sea_orm::DbErr::Custom(format!("SQLite reader: {err}"))),
    }
}

fn type_error(message: String) -> Error {
    Error::Database(sea_orm::DbErr::Type(message))
}

fn unavailable(message: String) -> Error {
    Error::Unavailable(sea_orm::DbErr::Custom(message))
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, QuerySelect, QueryTrait, Value};

    use super::{DbBackend, inline_limit};
    use crate::entities::product;

    fn built(select: &sea_orm::Select<product::Entity>) -> (String, Vec<Value>) {
        let statement = select.build(DbBackend::Sqlite);
        inline_limit(
            statement.sql,
            statement.values.map(|v| v.0).unwrap_or_default(),
        )
    }

    #[test]
    fn the_limit_is_written_into_the_sql_and_the_other_values_stay_bound() {
        let (sql, values) = built(&product::Entity::find_by_id(5).limit(21));
        assert!(
            sql.ends_with(r#"WHERE "products"."id" = ? LIMIT 21"#),
            "{sql}"
        );
        assert_eq!(values, vec![Value::BigInt(Some(5))]);
    }

    #[test]
    fn statements_without_a_limit_or_with_an_offset_are_left_alone() {
        let (sql, values) = built(&product::Entity::find_by_id(5));
        assert!(sql.ends_with(r#""products"."id" = ?"#), "{sql}");
        assert_eq!(values.len(), 1);
        let (sql, values) = built(&product::Entity::find().limit(3).offset(6));
        assert!(sql.ends_with("LIMIT ? OFFSET ?"), "{sql}");
        assert_eq!(values.len(), 2);
    }
}
