//! A stand-in for JSONPlaceholder: `GET /todos/{id}` and `GET /todos?userId=N`, each answered
//! after `--delay-ms` (default 50), so the app's concurrency is what the bench measures, not the
//! internet.

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    routing::get,
};
use clap::Parser;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:4010")]
    addr: String,
    #[arg(long, default_value_t = 50)]
    delay_ms: u64,
}

#[derive(Debug, Deserialize)]
struct ByUser {
    #[serde(rename = "userId")]
    user_id: Option<u64>,
}

fn todo(id: u64) -> Value {
    json!({
        "userId": (id - 1) / 20 + 1,
        "id": id,
        "title": format!("todo number {id}"),
        "completed": id.is_multiple_of(3),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let delay = Duration::from_millis(args.delay_ms);
    let app = Router::new()
        .route("/todos/{id}", get(one))
        .route("/todos", get(by_user))
        .with_state(delay);
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn one(
    State(delay): State<Duration>,
    Path(id): Path<u64>,
) -> Result<Json<Value>, axum::http::StatusCode> {
    tokio::time::sleep(delay).await;
    if (1..=200).contains(&id) {
        Ok(Json(todo(id)))
    } else {
        Err(axum::http::StatusCode::NOT_FOUND)
    }
}

async fn by_user(State(delay): State<Duration>, Query(q): Query<ByUser>) -> Json<Value> {
    tokio::time::sleep(delay).await;
    let todos: Vec<Value> = (1..=200)
        .map(todo)
        .filter(|t| q.user_id.is_none_or(|u| t["userId"] == u))
        .collect();
    Json(Value::Array(todos))
}
