//! The price report, `/api/products/stats` and `/products/stats`: fetched asynchronously,
//! computed on the blocking bridge so a large catalogue never stalls other requests.

use axum::{Router, extract::State, response::Html, routing::get};
use db::products::{self, PriceStats};

use crate::{AppState, Result, extract::Json, page::Page};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/products/stats", get(api))
        .route("/products/stats", get(page))
}

async fn report(state: &AppState) -> Result<PriceStats> {
    let prices = products::all_prices(&state.db).await?;
    let stats = state
        .offload
        .run("products.price_stats", move || PriceStats::compute(prices))
        .await?;
    Ok(stats)
}

async fn api(State(state): State<AppState>) -> Result<Json<PriceStats>> {
    Ok(Json(report(&state).await?))
}

async fn page(State(state): State<AppState>, mut page: Page) -> Result<Html<String>> {
    let stats = report(&state).await?;
    let tallest = stats.histogram.iter().map(|b| b.count).max().unwrap_or(0);
    page.insert("stats", &stats);
    page.insert("tallest", &tallest);
    page.render(&state.templates, "products/stats.html")
}
