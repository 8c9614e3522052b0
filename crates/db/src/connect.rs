//! Opening the pool, with the settings each backend needs to behave under concurrency.

use std::{path::Path, time::Duration};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use secrecy::ExposeSecret;

use crate::{DbConfig, Error, Result};

/// Which database the app is talking to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(db: &impl ConnectionTrait) -> Self {
        match db.get_database_backend() {
            DatabaseBackend::Postgres => Self::Postgres,
            _ => Self::Sqlite,
        }
    }
}

/// How long a SQLite writer waits for the lock before giving up with `SQLITE_BUSY`.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection idle this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// Opens the connection pool. For a SQLite file, creates its folder first and turns on WAL (readers
/// never block the writer), a busy timeout (writers queue instead of failing) and foreign keys.
pub async fn connect(config: &DbConfig) -> Result<DatabaseConnection> {
    let url = config.url.expose_secret();
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        create_sqlite_parent_dir(url)?;
    }

    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(config.max_connections)
        .min_connections(1)
        .acquire_timeout(config.acquire_timeout)
        .connect_timeout(config.acquire_timeout)
        // sqlx pings a connection on every checkout by default: a second round trip for each
        // query. Only a connection idle long enough to have been dropped by the server or a
        // firewall is checked first; one that broke in between fails its query, which maps to
        // 503, and is replaced.
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(config.log_statements)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_millis(500))
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        })
        // A safety net: a transaction left open (a bug, or a statement cancelled at the wrong
        // moment) would hold its row locks for ever and stall every writer behind it; the server
        // ends such a session after a minute instead.
        .map_sqlx_postgres_opts(|opts| {
            opts.options([("idle_in_transaction_session_timeout", "60s")])
        });

    let db = Database::connect(options).await?;
    tracing::debug!(url = %config.redacted_url(), "database pool open");
    Ok(db)
}

/// Checks that the database answers; what `/ready` reports.
pub async fn ping(db: &DatabaseConnection) -> Result<()> {
    db.ping().await.map_err(Error::Unavailable)
}

/// `sqlite://data/async-starter.db?mode=rwc` → creates `data/` so a fresh clone needs no set-up step.
fn create_sqlite_parent_dir(url: &str) -> Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            Error::Unavailable(sea_orm::DbErr::Custom(format!(
                "cannot create the SQLite folder {}: {e}",
                dir.display()
            )))
        }),
        _ => Ok(()),
    }
}
