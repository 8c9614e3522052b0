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
    DatabaseConnection, Reads,
    products::{self, NewProduct, Product, ProductChanges},
};
use serde::Deserialize;

use crate::{
    AppState, Error, Result,
    auth::RequireUser,
    extract::{Json, Path, Query},
    listing::{self, Limits, ListQuery},
};

/// The API list's page size: 20 unless asked, at most 100.
pub(super) const LIMITS: Limits = Limits {
    default: 20,
    max: 100,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/products", get(list).post(create))
        .route(
            "/api/products/{id}",
            get(show).patch(update).delete(destroy),
        )
}

/// `GET /api/products?limit=&sort=&after=|before=`: one page, newest first unless `sort` says
/// otherwise (`products::ORDERS`).
async fn list(State(db): State<Reads>, Query(query): Query<ListQuery>) -> Result<Response> {
    let request = query.parse(&products::ORDERS, LIMITS)?;
    let slice = products::list(&db, request.order, request.limit, &request.position)
        .await
        .map_err(listing::bad_request)?;
    Ok(listing::json("/api/products", &request, slice, LIMITS))
}

async fn show(State(db): State<Reads>, Path(id): Path<i64>) -> Result<Json<Product>> {
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
