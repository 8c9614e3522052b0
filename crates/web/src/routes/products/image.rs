//! A product's image (the images demo, built on products): uploaded as a multipart form (the product page's form, or the API),
//! streamed to disk (see `crate::upload`), attached to the product in the same transaction that
//! enqueues its thumbnail job; served back from `/uploads`.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use db::product_images::{self, NewImage, ProductImage};
use jobs::kinds::{MakeThumbnail, thumbnail_name};

use super::pages::ImageView;
use crate::{
    AppState, Error, Result,
    auth::{RequireUser, session::flash},
    extract::{Json, Path},
    page::Page,
    upload::{self, StoredImage, StreamedForm},
};

/// Declared as uploads (`router::build`): the form streams in, its CSRF token checked first.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        // A reload of the page a refused upload re-rendered goes back to the product.
        .route("/products/{id}/image", get(to_product).post(upload_form))
        .route("/api/products/{id}/image", post(upload_api))
}

/// Receives the upload and attaches it to product `id`; the replaced image's files go once the
/// new one is committed.
async fn save(
    state: &AppState,
    actor: db::Actor,
    id: i64,
    form: StreamedForm,
) -> Result<ProductImage> {
    let config = &state.config.uploads;
    // A missing product (404) or someone else's (403) before the file is read.
    db::products::get_for_change(&state.db, actor, id).await?;
    let stored = upload::receive(form, config, &state.offload, &state.storage).await?;
    match attach(state, id, &stored).await {
        Ok((image, previous)) => {
            if let Some(previous) = previous {
                remove_files(state, &previous).await;
            }
            Ok(image)
        }
        Err(err) => {
            crate::files::remove_uploads(state, &[&stored.file]).await;
            Err(err)
        }
    }
}

async fn attach(
    state: &AppState,
    id: i64,
    stored: &StoredImage,
) -> Result<(ProductImage, Option<ProductImage>)> {
    let new = NewImage {
        file: stored.file.clone(),
        content_type: stored.kind.content_type(),
        bytes: i64::try_from(stored.bytes).unwrap_or(i64::MAX),
    };
    let txn = db::begin_write(&state.db).await?;
    let (image, previous) = product_images::attach(&txn, id, &new, db::now()).await?;
    let job = MakeThumbnail {
        product_id: id,
        file: stored.file.clone(),
    };
    state.jobs.enqueue(&txn, &job).await?;
    txn.commit().await.map_err(db::Error::from)?;
    Ok((image, previous))
}

/// Removes an image's file and its thumbnail (made or not).
pub(super) async fn remove_files(state: &AppState, image: &ProductImage) {
    let thumbnail = image
        .thumbnail
        .clone()
        .unwrap_or_else(|| thumbnail_name(&image.file));
    crate::files::remove_uploads(state, &[&image.file, &thumbnail]).await;
}

async fn to_product(Path(id): Path<i64>) -> Redirect {
    Redirect::to(&format!("/products/{id}#image"))
}

/// `POST /products/{id}/image` from the product page's form: back to the page, with a flash, or
/// the page again with the reason the file was refused.
async fn upload_form(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    mut page: Page,
    Path(id): Path<i64>,
    form: StreamedForm,
) -> Result<Response> {
    match save(&state, user.actor(), id, form).await {
        Ok(_) => {
            flash(
                page.session(),
                "success",
                "Image uploaded. Its preview appears here in a moment.",
            )
            .await?;
            Ok(Redirect::to(&format!("/products/{id}")).into_response())
        }
        Err(
            err @ (Error::BadRequest(_)
            | Error::Rejected { .. }
            | Error::PayloadTooLarge(_)
            | Error::UnsupportedMediaType(_)
            | Error::Unprocessable(_)),
        ) => {
            let status = err.status();
            page.insert("image_error", &err.for_people());
            let html = super::pages::show_page(&state, page, id).await?;
            Ok((status, html).into_response())
        }
        Err(err) => Err(err),
    }
}

/// `POST /api/products/{id}/image`: 201 with the image (its thumbnail comes later).
#[utoipa::path(post, path = "/api/products/{id}/image", tag = "products", security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The product's id")),
    request_body(content = ImageUpload, content_type = "multipart/form-data",
        description = "A PNG, JPEG, GIF or WebP image in the field `image`, checked by its content"),
    responses(
        (status = 201, description = "Kept; its thumbnail is made by a job", body = ImageView),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Not the owner or an administrator, or a session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No product with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the upload limit", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not an image of a kind this site takes", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "An image too large in pixels, or a form without its `image` field", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn upload_api(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    form: StreamedForm,
) -> Result<(StatusCode, Json<ImageView>)> {
    let image = save(&state, user.actor(), id, form).await?;
    Ok((StatusCode::CREATED, Json(ImageView::from(&image))))
}

/// The upload form, as the API documents it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "a schema: the form is read as a stream")]
struct ImageUpload {
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

pub(super) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(upload_api))]
    struct Paths;
    <Paths as utoipa::OpenApi>::openapi()
}
