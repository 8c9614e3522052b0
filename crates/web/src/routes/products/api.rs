//! `/api/products`: list, show, create, update (with optimistic locking), delete. Reading is
//! open; creating needs a user (a bearer token, or the session cookie plus the CSRF header);
//! changing a product needs its owner or an administrator (403 otherwise).

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use db::{
    DatabaseConnection, Page,
    products::{self, NewProduct, Product, ProductChanges},
};
use serde::{Deserialize, Serialize};

use crate::{
    AppState, Error, Result,
    auth::RequireUser,
    extract::{Json, Path, Query},
};

pub(super) const DEFAULT_LIMIT: u64 = 20;
pub(super) const MAX_LIMIT: u64 = 100;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/products", get(list).post(create))
        .route(
            "/api/products/{id}",
            get(show).patch(update).delete(destroy),
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    limit: Option<u64>,
    offset: Option<u64>,
}

#[derive(Debug, Serialize)]
struct ProductList {
    #[serde(flatten)]
    page: Page<Product>,
    /// The `offset` of the next page, `null` on the last one.
    next_offset: Option<u64>,
}

async fn list(
    State(db): State<DatabaseConnection>,
    Query(params): Query<ListParams>,
) -> Result<Json<ProductList>> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "`limit` must be between 1 and {MAX_LIMIT} (got {limit})."
        )));
    }
    let offset = params.offset.unwrap_or(0);
    if offset > products::MAX_OFFSET {
        return Err(Error::BadRequest(format!(
            "`offset` must be at most {} (got {offset}).",
            products::MAX_OFFSET
        )));
    }
    let page = products::list(&db, limit, offset).await?;
    let end = page.offset.saturating_add(page.items.len() as u64);
    let next_offset = (end < page.total).then_some(end);
    Ok(Json(ProductList { page, next_offset }))
}

async fn show(State(db): State<DatabaseConnection>, Path(id): Path<i64>) -> Result<Json<Product>> {
    Ok(Json(products::get(&db, id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProduct {
    name: String,
    price_cents: i64,
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Json(input): Json<CreateProduct>,
) -> Result<Response> {
    let new = NewProduct::parse(&input.name, input.price_cents).map_err(Error::Validation)?;
    let product = super::create_and_notify(&state, user.actor(), new).await?;
    let location = format!("/api/products/{}", product.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(product),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateProduct {
    /// The version the client last saw; the update is refused (409) if the row moved on.
    version: i32,
    name: Option<String>,
    price_cents: Option<i64>,
}

#[tracing::instrument(skip_all, fields(id))]
async fn update(
    State(db): State<DatabaseConnection>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    Json(input): Json<UpdateProduct>,
) -> Result<Json<Product>> {
    let changes = ProductChanges::parse(input.name.as_deref(), input.price_cents)
        .map_err(Error::Validation)?;
    let updated = products::update(&db, user.actor(), id, input.version, changes).await?;
    Ok(Json(updated))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteParams {
    /// When given, delete only if the product is still at this version.
    version: Option<i32>,
}

#[tracing::instrument(skip_all, fields(id))]
async fn destroy(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    Query(params): Query<DeleteParams>,
) -> Result<StatusCode> {
    super::delete_with_files(&state, user.actor(), id, params.version).await?;
    Ok(StatusCode::NO_CONTENT)
}
