//! The baseline: bare axum, no middleware, raw sqlx on the same database the app uses, with the
//! same pool size and SQLite settings. What this serves per second is the ceiling for the app.
//! sqlx comes through sea-orm's re-export so the workspace keeps a single sqlx.

use std::{str::FromStr, time::Duration};

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

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:4020")]
    addr: String,
    /// `sqlite://...` or `postgres://...`
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 10)]
    max_connections: u32,
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
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
    let pool = if args.database_url.starts_with("sqlite:") {
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
