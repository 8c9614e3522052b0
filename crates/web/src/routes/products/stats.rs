//! The price report, `/api/products/stats` and `/products/stats`: computed by the database (see
//! `db::products::price_stats`) and served from memory, at most a minute old.

use axum::{
    Extension, Router,
    extract::State,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, Utc};
use db::products::{self, PriceStats};
use serde::Serialize;

use super::Report;
use crate::{AppState, Result, extract::Json, page::Page};

pub(super) fn router(report: Report) -> Router<AppState> {
    Router::new()
        .route("/api/products/stats", get(api))
        .route("/products/stats", get(page))
        .layer(Extension(report))
}

/// The report as the API gives it: the figures and when they were computed.
/// The price report: at most a few seconds old (`computed_at`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PriceReport)]
struct Body<'a> {
    #[serde(flatten)]
    stats: &'a PriceStats,
    computed_at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/api/products/stats", tag = "products",
    responses((status = 200, description = "Counts, percentiles and a histogram of the prices", body = Body)))]
async fn api(
    State(state): State<AppState>,
    Extension(report): Extension<Report>,
) -> Result<Response> {
    let db = state.db.clone();
    let snapshot = report
        .get(move || async move { products::price_stats(&db).await })
        .await?;
    let body = Body {
        stats: &snapshot.value,
        computed_at: snapshot.computed_at,
    };
    Ok(Json(body).into_response())
}

async fn page(
    State(state): State<AppState>,
    Extension(report): Extension<Report>,
    mut page: Page,
) -> Result<Html<String>> {
    let db = state.db.clone();
    let snapshot = report
        .get(move || async move { products::price_stats(&db).await })
        .await?;
    let stats = &snapshot.value;
    let tallest = stats.histogram.iter().map(|b| b.count).max().unwrap_or(0);
    page.insert("stats", stats);
    page.insert("tallest", &tallest);
    page.insert("computed_at", &snapshot.computed_at);
    page.render(&state.templates, "products/stats.html")
}

pub(super) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(api))]
    struct Paths;
    <Paths as utoipa::OpenApi>::openapi()
}
