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
    listing::{self, Limits, ListBody, ListQuery},
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
#[utoipa::path(get, path = "/api/products", tag = "products", params(ListQuery),
    description = "One page of products, 20 unless `limit` says (at most 100), newest first unless \
        `sort` is one of `id`, `-id`, `name`, `-name`, `price_cents`, `-price_cents`.",
    responses(
        (status = 200, description = "A page; `Link` has the next, previous and first pages", body = ListBody<Product>),
        (status = 400, description = "A bad `limit`, `sort` or cursor", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn list(State(db): State<Reads>, Query(query): Query<ListQuery>) -> Result<Response> {
    let request = query.parse(&products::ORDERS, LIMITS)?;
    let slice = products::list(&db, request.order, request.limit, &request.position)
        .await
        .map_err(listing::bad_request)?;
    Ok(listing::json("/api/products", &request, slice, LIMITS))
}

#[utoipa::path(get, path = "/api/products/{id}", tag = "products",
    params(("id" = i64, Path, description = "The product's id")),
    responses((status = 200, description = "The product", body = Product), (status = 404, description = "No product with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn show(State(db): State<Reads>, Path(id): Path<i64>) -> Result<Json<Product>> {
    Ok(Json(products::get(&db, id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProduct {
    name: String,
    price_cents: i64,
}

#[utoipa::path(post, path = "/api/products", tag = "products", request_body = CreateProduct, security(("token" = []), ("session" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its address", body = Product),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "A session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateProduct {
    /// The version the client last saw; the update is refused (409) if the row moved on.
    version: i32,
    name: Option<String>,
    price_cents: Option<i64>,
}

#[utoipa::path(patch, path = "/api/products/{id}", tag = "products", request_body = UpdateProduct, security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The product's id")),
    responses(
        (status = 200, description = "Changed", body = Product),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Not the owner or an administrator, or a session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No product with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The product changed since `version`: read it again", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeleteParams {
    /// When given, delete only if the product is still at this version.
    version: Option<i32>,
}

#[utoipa::path(delete, path = "/api/products/{id}", tag = "products", security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The product's id"), DeleteParams),
    responses(
        (status = 204, description = "Deleted, with its image"),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Not the owner or an administrator, or a session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No product with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The product changed since `version`", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
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

/// The products API's part of the OpenAPI document.
pub(super) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, show, create, update, destroy))]
    struct Paths;
    <Paths as utoipa::OpenApi>::openapi()
}
