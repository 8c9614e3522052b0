//! Liveness and readiness, for load balancers and orchestrators.

use std::time::Duration;

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

use crate::AppState;

/// How long `/ready` waits for the database before calling it down.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

/// The process is up and serving. Touches nothing else, so it stays cheap under any load.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The app can do its work: it is not on its way out (SIGTERM), and the database answers within
/// [`READY_TIMEOUT`].
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.shutdown().is_leaving() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "stopping" })),
        );
    }
    match tokio::time::timeout(READY_TIMEOUT, db::ping(&state.db)).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": "ok" })),
        ),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database unavailable");
            unavailable("the database did not answer")
        }
        Err(_) => {
            tracing::warn!("readiness check: database timed out");
            unavailable("the database did not answer in time")
        }
    }
}

fn unavailable(reason: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "database": reason })),
    )
}
