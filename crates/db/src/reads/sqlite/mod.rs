//! SQLite reads on reader threads of their own: each owns a read-only rusqlite connection (its
//! statement cache kept) and takes work from one shared queue.

use std::{str::FromStr, thread};

use sea_orm::{ColumnTrait, ColumnType, DbBackend, EntityTrait, QueryTrait, Select, Value};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::{type_error, unavailable};
use crate::{Error, Result};

mod row;

/// A job for a reader thread: given its connection, it answers through its own channel.
type Job = Box<dyn FnOnce(&rusqlite::Connection) + Send>;

/// The reader threads and their shared queue. Dropping the last handle closes the queue; each
/// thread finishes the job in hand and exits.
#[derive(Debug)]
pub(super) struct Readers {
    queue: flume::Sender<Job>,
    threads: usize,
}

/// Statements each reader keeps prepared.
const STATEMENT_CACHE: usize = 64;

impl Readers {
    pub(super) fn start(path: &str, threads: usize) -> Result<Self> {
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
        Ok(Self { queue, threads })
    }

    /// The reader threads, and the reads queued for one.
    pub(super) fn stats(&self) -> super::PoolStats {
        super::PoolStats {
            pool: "read",
            size: self.threads,
            idle: None,
            waiting: Some(self.queue.len()),
        }
    }

    /// Every row `select` returns, read on one of the threads; `None` when a parameter is one
    /// the readers do not bind (the caller runs it on the pool).
    pub(super) async fn all<E>(&self, select: &Select<E>) -> Result<Option<Vec<E::Model>>>
    where
        E: EntityTrait,
        E::Model: DeserializeOwned + Send + 'static,
    {
        let statement = select.build(DbBackend::Sqlite);
        let values = statement.values.map(|v| v.0).unwrap_or_default();
        let (sql, values) = inline_limit(statement.sql, values);
        let Some(params) = params(&values) else {
            return Ok(None);
        };
        self.run(move |conn| query::<E>(conn, &sql, &params))
            .await
            .map(Some)
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
pub(super) fn query<E>(
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
pub(super) fn inline_limit(sql: String, mut values: Vec<Value>) -> (String, Vec<Value>) {
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

/// sea-query's bound values as rusqlite's, written as sqlx writes them (so a comparison in SQL
/// means the same), or `None` for a value the readers leave to the pool.
pub(super) fn params(values: &[Value]) -> Option<Vec<rusqlite::types::Value>> {
    use chrono::SecondsFormat;
    use rusqlite::types::Value as Sql;
    use sea_orm::sea_query::OptionEnum;
    values
        .iter()
        .map(|value| {
            if !value.is_some() {
                return Some(Sql::Null);
            }
            Some(match value {
                Value::Bool(Some(b)) => Sql::Integer(i64::from(*b)),
                Value::TinyInt(Some(v)) => Sql::Integer(i64::from(*v)),
                Value::SmallInt(Some(v)) => Sql::Integer(i64::from(*v)),
                Value::Int(Some(v)) => Sql::Integer(i64::from(*v)),
                Value::BigInt(Some(v)) => Sql::Integer(*v),
                Value::TinyUnsigned(Some(v)) => Sql::Integer(i64::from(*v)),
                Value::SmallUnsigned(Some(v)) => Sql::Integer(i64::from(*v)),
                Value::Unsigned(Some(v)) => Sql::Integer(i64::from(*v)),
                Value::BigUnsigned(Some(v)) => Sql::Integer(i64::try_from(*v).ok()?),
                Value::Float(Some(v)) => Sql::Real(f64::from(*v)),
                Value::Double(Some(v)) => Sql::Real(*v),
                Value::String(Some(v)) => Sql::Text(v.clone()),
                Value::Char(Some(v)) => Sql::Text(v.to_string()),
                Value::Enum(OptionEnum::Some(v)) => Sql::Text(v.value.to_string()),
                Value::Bytes(Some(v)) => Sql::Blob(v.clone()),
                Value::Json(Some(v)) => Sql::Text(v.to_string()),
                Value::ChronoDate(Some(v)) => Sql::Text(v.format("%F").to_string()),
                Value::ChronoTime(Some(v)) => Sql::Text(v.format("%T%.f").to_string()),
                Value::ChronoDateTime(Some(v)) => Sql::Text(v.format("%F %T%.f").to_string()),
                Value::ChronoDateTimeUtc(Some(v)) => {
                    Sql::Text(v.to_rfc3339_opts(SecondsFormat::AutoSi, false))
                }
                Value::ChronoDateTimeLocal(Some(v)) => {
                    Sql::Text(v.to_rfc3339_opts(SecondsFormat::AutoSi, false))
                }
                Value::ChronoDateTimeWithTimeZone(Some(v)) => {
                    Sql::Text(v.to_rfc3339_opts(SecondsFormat::AutoSi, false))
                }
                _ => return None,
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

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, QuerySelect, QueryTrait, Value};

    use sea_orm::DbBackend;

    use super::inline_limit;
    use crate::entities::user;

    fn built(select: &sea_orm::Select<user::Entity>) -> (String, Vec<Value>) {
        let statement = select.build(DbBackend::Sqlite);
        inline_limit(
            statement.sql,
            statement.values.map(|v| v.0).unwrap_or_default(),
        )
    }

    #[test]
    fn the_limit_is_written_into_the_sql_and_the_other_values_stay_bound() {
        let (sql, values) = built(&user::Entity::find_by_id(5).limit(21));
        assert!(sql.ends_with(r#"WHERE "users"."id" = ? LIMIT 21"#), "{sql}");
        assert_eq!(values, vec![Value::BigInt(Some(5))]);
    }

    #[test]
    fn statements_without_a_limit_or_with_an_offset_are_left_alone() {
        let (sql, values) = built(&user::Entity::find_by_id(5));
        assert!(sql.ends_with(r#""users"."id" = ?"#), "{sql}");
        assert_eq!(values.len(), 1);
        let (sql, values) = built(&user::Entity::find().limit(3).offset(6));
        assert!(sql.ends_with("LIMIT ? OFFSET ?"), "{sql}");
        assert_eq!(values.len(), 2);
    }
}
