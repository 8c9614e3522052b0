//! The baseline: bare axum, no middleware, raw sqlx on the same database the app uses, with the
//! same pool size and SQLite settings. What this serves per second is the ceiling for the app.
//! sqlx comes through sea-orm's re-export so the workspace keeps a single sqlx.

use std::{
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use clap::Parser;
use sea_orm::sqlx::{
    self, PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:4020")]
    addr: String,
    /// `sqlite://...` or `postgres://...`
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 10)]
    max_connections: u32,
    /// SQLite only: read with rusqlite inline on the runtime's worker thread (a connection per
    /// thread, the statement cached) instead of sqlx. A ceiling, not a design: it blocks the
    /// runtime for the length of each read.
    #[arg(long)]
    rusqlite: bool,
    /// PostgreSQL only: read with tokio-postgres from a pool of `max_connections` connections,
    /// the statement prepared once on each.
    #[arg(long)]
    tokio_postgres: bool,
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    /// The SQLite file each worker thread opens once.
    Rusqlite(Arc<str>),
    TokioPostgres(Arc<Connections>),
}

/// A pool of tokio-postgres connections with the point read prepared on each: a request checks
/// one out for its query, as with any pool (no pipelining of requests on a shared connection).
#[derive(Debug)]
struct Connections {
    clients: Vec<(tokio_postgres::Client, tokio_postgres::Statement)>,
    permits: Semaphore,
    free: Mutex<Vec<usize>>,
}

impl Connections {
    async fn open(url: &str, count: u32) -> anyhow::Result<Self> {
        let mut clients = Vec::new();
        for _ in 0..count.max(1) {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            let statement = client.prepare(SELECT_PG).await?;
            clients.push((client, statement));
        }
        Ok(Self {
            permits: Semaphore::new(clients.len()),
            free: Mutex::new((0..clients.len()).collect()),
            clients,
        })
    }

    async fn checkout(&self) -> Option<Checkout<'_>> {
        let permit = self.permits.acquire().await.ok()?;
        let index = self.free.lock().ok()?.pop()?;
        Some(Checkout {
            pool: self,
            index,
            _permit: permit,
        })
    }
}

/// A connection in use; back in the pool on drop (also when the request is cancelled).
struct Checkout<'a> {
    pool: &'a Connections,
    index: usize,
    _permit: SemaphorePermit<'a>,
}

impl Checkout<'_> {
    fn get(&self) -> Option<&(tokio_postgres::Client, tokio_postgres::Statement)> {
        self.pool.clients.get(self.index)
    }
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.free.lock() {
            free.push(self.index);
        }
    }
}

thread_local! {
    static RUSQLITE: std::cell::RefCell<Option<rusqlite::Connection>> = const { std::cell::RefCell::new(None) };
}

#[derive(Debug, Serialize)]
struct Product {
    id: i64,
    name: String,
    price_cents: i64,
    version: i32,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

const SELECT_SQLITE: &str =
    "SELECT id, name, price_cents, version, created_at, updated_at FROM products WHERE id = ?";
const SELECT_PG: &str =
    "SELECT id, name, price_cents, version, created_at, updated_at FROM products WHERE id = $1";

type Columns = (
    i64,
    String,
    i64,
    i32,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
);

impl From<Columns> for Product {
    fn from((id, name, price_cents, version, created_at, updated_at): Columns) -> Self {
        Self {
            id,
            name,
            price_cents,
            version,
            created_at,
            updated_at,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pool = if args.rusqlite {
        let path = args
            .database_url
            .trim_start_matches("sqlite:")
            .trim_start_matches("//")
            .split('?')
            .next()
            .unwrap_or_default();
        Pool::Rusqlite(path.into())
    } else if args.tokio_postgres {
        Pool::TokioPostgres(Arc::new(
            Connections::open(&args.database_url, args.max_connections).await?,
        ))
    } else if args.database_url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(&args.database_url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        Pool::Sqlite(
            SqlitePoolOptions::new()
                .max_connections(args.max_connections)
                .connect_with(options)
                .await?,
        )
    } else {
        Pool::Postgres(
            PgPoolOptions::new()
                .max_connections(args.max_connections)
                .connect(&args.database_url)
                .await?,
        )
    };
    let app = Router::new()
        .route("/health", get(health))
        .route("/api/products/{id}", get(product))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn product(
    State(pool): State<Pool>,
    Path(id): Path<i64>,
) -> Result<Json<Product>, StatusCode> {
    let row = match &pool {
        Pool::Rusqlite(path) => return rusqlite_product(path, id),
        Pool::TokioPostgres(connections) => return tokio_postgres_product(connections, id).await,
        Pool::Sqlite(p) => {
            sqlx::query_as::<_, Columns>(SELECT_SQLITE)
                .bind(id)
                .fetch_optional(p)
                .await
        }
        Pool::Postgres(p) => {
            sqlx::query_as::<_, Columns>(SELECT_PG)
                .bind(id)
                .fetch_optional(p)
                .await
        }
    };
    match row {
        Ok(Some(columns)) => Ok(Json(Product::from(columns))),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn rusqlite_product(path: &str, id: i64) -> Result<Json<Product>, StatusCode> {
    let read = |conn: &rusqlite::Connection| -> rusqlite::Result<Option<Product>> {
        let mut statement = conn.prepare_cached(SELECT_SQLITE)?;
        let mut rows = statement.query([id])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let time = |i: usize| -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
            let text: String = row.get(i)?;
            text.parse().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        };
        Ok(Some(Product {
            id: row.get(0)?,
            name: row.get(1)?,
            price_cents: row.get(2)?,
            version: row.get(3)?,
            created_at: time(4)?,
            updated_at: time(5)?,
        }))
    };
    let found = RUSQLITE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(rusqlite::Connection::open(path)?);
        }
        match slot.as_ref() {
            Some(conn) => read(conn),
            None => Ok(None),
        }
    });
    match found {
        Ok(Some(product)) => Ok(Json(product)),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn tokio_postgres_product(
    connections: &Connections,
    id: i64,
) -> Result<Json<Product>, StatusCode> {
    let checkout = connections
        .checkout()
        .await
        .ok_or(StatusCode::SERVICE_UNAVAILABLE)?;
    let (client, statement) = checkout.get().ok_or(StatusCode::SERVICE_UNAVAILABLE)?;
    let row = client
        .query_opt(statement, &[&id])
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::NOT_FOUND)?;
    let product = (|| -> Result<Product, tokio_postgres::Error> {
        Ok(Product {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            price_cents: row.try_get(2)?,
            version: row.try_get(3)?,
            created_at: row.try_get(4)?,
            updated_at: row.try_get(5)?,
        })
    })()
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(product))
}
