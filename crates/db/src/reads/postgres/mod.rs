//! PostgreSQL reads on tokio-postgres: a pool of read connections (deadpool), each preparing a
//! statement the first time it sees its SQL and reusing it after, rows decoded from the binary
//! wire format straight into the model.
//!
//! The SQL is sea-orm's own (`Select::build` for PostgreSQL), so a read here returns what
//! `select.all(&pool)` returns. Parameters are bound by the types the prepared statement
//! declares for them. A statement with a parameter or a column these readers do not decode
//! (numeric, arrays, enums, uuid, ...) runs on the sea-orm pool instead: the fast path covers
//! the common types, nothing else changes.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use sea_orm::{DbBackend, EntityTrait, QueryTrait, Select};
use serde::de::DeserializeOwned;
use tokio_postgres::{NoTls, config::SslMode, error::SqlState, types::ToSql};

use super::{type_error, unavailable};
use crate::{DbConfig, Error, Result};

mod params;
mod row;
mod tls;

/// Statements one connection keeps prepared before it starts over; the app's queries come from
/// a small set of shapes, so this is only a bound against a caller that builds unbounded ones.
const STATEMENT_CACHE: usize = 256;

/// What `application_name` the read connections report, unless the URL sets one.
const APPLICATION_NAME: &str = "app-reads";

/// The read connections.
#[derive(Debug)]
pub(super) struct Readers {
    pool: Pool,
}

impl Readers {
    /// The read pool's connections, and the callers waiting for one.
    pub(super) fn stats(&self) -> super::PoolStats {
        let status = self.pool.status();
        super::PoolStats {
            pool: "read",
            size: status.size,
            idle: Some(status.available),
            waiting: Some(status.waiting),
        }
    }

    /// The readers for `url`, or why they cannot serve it: an option tokio-postgres does not
    /// know (sqlx's own, `sslrootcert`), or an `sslmode` that verifies certificates, which is
    /// left to sqlx rather than done twice.
    pub(super) fn open(url: &str, config: &DbConfig) -> std::result::Result<Self, String> {
        let mut pg = tokio_postgres::Config::from_str(url).map_err(|e| e.to_string())?;
        if pg.get_application_name().is_none() {
            pg.application_name(APPLICATION_NAME);
        }
        let recycling = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match pg.get_ssl_mode() {
            SslMode::Disable => Manager::from_config(pg, NoTls, recycling),
            // libpq's meaning, which sqlx keeps: encrypted, the certificate not verified.
            SslMode::Prefer | SslMode::Require => {
                let tls = tls::unverified().map_err(|e| format!("TLS: {e}"))?;
                Manager::from_config(pg, tls, recycling)
            }
            other => return Err(format!("sslmode {other:?} is not handled by the readers")),
        };
        let max = usize::try_from(config.max_connections.max(1)).unwrap_or(usize::MAX);
        let pool = Pool::builder(manager)
            .max_size(max)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(config.acquire_timeout))
            .create_timeout(Some(config.acquire_timeout))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { pool })
    }

    /// Every row `select` returns; `None` when the statement has a type these readers leave to
    /// the pool. A connection found closed (the server restarted, the connection was terminated)
    /// is dropped and the read tried once more on another.
    pub(super) async fn all<E>(&self, select: &Select<E>) -> Result<Option<Vec<E::Model>>>
    where
        E: EntityTrait,
        E::Model: DeserializeOwned,
    {
        let statement = select.build(DbBackend::Postgres);
        let values = statement.values.map(|v| v.0).unwrap_or_default();
        let mut retried = false;
        loop {
            match self.try_all::<E>(&statement.sql, &values).await {
                Ok(models) => return Ok(models),
                Err(Failure::Lost(_)) if !retried => retried = true,
                Err(Failure::Lost(err)) => return Err(lost(&err)),
                Err(Failure::Other(err)) => return Err(err),
            }
        }
    }

    /// The models, or `None` when the statement has a type these readers leave to sea-orm.
    async fn try_all<E>(
        &self,
        sql: &str,
        values: &[sea_orm::Value],
    ) -> std::result::Result<Option<Vec<E::Model>>, Failure>
    where
        E: EntityTrait,
        E::Model: DeserializeOwned,
    {
        let client = self.pool.get().await.map_err(|e| pool_error(&e))?;
        if client.statement_cache.size() >= STATEMENT_CACHE {
            client.statement_cache.clear();
        }
        let prepared = client.prepare_cached(sql).await.map_err(failure)?;
        if !prepared
            .columns()
            .iter()
            .all(|column| row::readable(column.type_()))
        {
            return Ok(None);
        }
        let Some(bound) = params::bind(values, prepared.params()) else {
            return Ok(None);
        };
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b as _).collect();
        let rows = client.query(&prepared, &refs).await.map_err(failure)?;
        drop(client);
        rows.iter()
            .map(|r| {
                row::read(r).map_err(|e| {
                    Failure::Other(type_error(format!(
                        "a {} row does not fit its model: {e}",
                        E::default().table_name()
                    )))
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Why a read failed: the connection went away (worth one more try on another), or anything
/// else (an answer).
enum Failure {
    Lost(tokio_postgres::Error),
    Other(Error),
}

fn failure(err: tokio_postgres::Error) -> Failure {
    if connection_lost(&err) {
        return Failure::Lost(err);
    }
    Failure::Other(match err.code() {
        Some(code) if unavailable_code(code) => unavailable(format!("PostgreSQL reader: {err}")),
        _ => Error::Database(sea_orm::DbErr::Custom(format!("PostgreSQL reader: {err}"))),
    })
}

fn pool_error(err: &PoolError) -> Failure {
    Failure::Other(unavailable(format!("no PostgreSQL read connection: {err}")))
}

fn lost(err: &tokio_postgres::Error) -> Error {
    unavailable(format!("PostgreSQL read connection lost: {err}"))
}

/// The connection is gone (closed, reset, terminated by the server), as opposed to a statement
/// the server refused.
fn connection_lost(err: &tokio_postgres::Error) -> bool {
    use std::error::Error as _;
    err.is_closed()
        || err
            .source()
            .is_some_and(|source| source.is::<std::io::Error>())
        || err.code().is_some_and(|code| {
            code == &SqlState::ADMIN_SHUTDOWN || code == &SqlState::CRASH_SHUTDOWN
        })
}

/// Codes that mean "not now" rather than "not this": connection failures (class 08), the server
/// starting or stopping (57P), out of resources (53).
fn unavailable_code(code: &SqlState) -> bool {
    let code = code.code();
    code.starts_with("08") || code.starts_with("57P") || code.starts_with("53")
}
