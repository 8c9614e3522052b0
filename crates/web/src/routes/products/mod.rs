//! Products, the demo resource: a JSON API under `/api/products` and HTML pages under
//! `/products`, both on the same `db::products` queries.

mod api;
mod form;
mod image;
mod pages;
mod stats;

use axum::Router;
use db::products::{self, NewProduct, Product};
use jobs::kinds::ProductCreatedEmail;

use crate::{AppState, Result};

/// Creates a product and enqueues the notification in the same transaction: both or neither.
/// The API and the form both create through here.
async fn create_and_notify(state: &AppState, new: NewProduct) -> Result<Product> {
    let txn = db::begin_write(&state.db).await?;
    let product = products::create(&txn, new).await?;
    let notice = ProductCreatedEmail {
        product_id: product.id,
    };
    state.jobs.enqueue(&txn, &notice).await?;
    txn.commit().await.map_err(db::Error::from)?;
    Ok(product)
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(stats::router())
        .merge(image::router())
}
