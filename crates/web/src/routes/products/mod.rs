//! Products, the demo resource: a JSON API under `/api/products` and HTML pages under
//! `/products`, both on the same `db::products` queries.

mod api;
mod form;
mod image; // [demo:images]
mod pages;
mod stats;

use std::{sync::Arc, time::Duration};

use axum::Router;
use db::{
    Actor,
    products::{self, NewProduct, PriceStats, Product},
};
use jobs::kinds::ProductCreatedEmail;

use crate::{AppState, Result, refreshed::Refreshed};

/// Creates a product owned by `actor` and enqueues the notification in the same transaction:
/// both or neither. The API and the form both create through here.
async fn create_and_notify(state: &AppState, actor: Actor, new: NewProduct) -> Result<Product> {
    let txn = db::begin_write(&state.db).await?;
    let product = products::create(&txn, actor, new).await?;
    let notice = ProductCreatedEmail {
        product_id: product.id,
    };
    state.jobs.enqueue(&txn, &notice).await?;
    txn.commit().await.map_err(db::Error::from)?;
    Ok(product)
}

/// Deletes a product if `actor` may (an image row goes with it, by cascade), then any image
/// files. The API and the form both delete through here.
async fn delete_with_files(
    state: &AppState,
    actor: Actor,
    id: i64,
    version: Option<i32>,
) -> std::result::Result<(), db::Error> {
    // [demo:images begin]
    let image = db::product_images::get(&state.db, id).await?;
    // [demo:images end]
    products::delete(&state.db, actor, id, version).await?;
    // [demo:images begin]
    if let Some(image) = image {
        image::remove_files(state, &image).await;
    }
    // [demo:images end]
    Ok(())
}

/// The price report (with the product count the list shows), computed by the database at most
/// once a minute per process and served from memory in between.
type Report = Arc<Refreshed<PriceStats>>;

/// How old a served report may be.
const REPORT_MAX_AGE: Duration = Duration::from_secs(60);

/// The products API's part of the OpenAPI document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api::openapi();
    doc.merge(stats::openapi());
    doc.merge(image::openapi()); // [demo:images]
    doc
}

pub(crate) fn router() -> Router<AppState> {
    let report: Report = Refreshed::new(REPORT_MAX_AGE);
    Router::new()
        .merge(api::router())
        .merge(pages::router(Arc::clone(&report)))
        .merge(stats::router(report))
}

// [demo:images begin]
/// The routes that receive a streamed upload (see `router::build`).
pub(crate) fn uploads() -> Router<AppState> {
    image::router()
}
// [demo:images end]
