//! Products, the demo resource: a JSON API under `/api/products` and HTML pages under
//! `/products`, both on the same `db::products` queries.

mod api;
mod form;
mod pages;
mod stats;

use axum::Router;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(stats::router())
}
