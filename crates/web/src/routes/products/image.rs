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
            delete_quietly(state, &stored.file).await;
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
    for file in [&image.file, &thumbnail] {
        delete_quietly(state, file).await;
    }
}

/// A file left behind costs some space, not correctness: a failure is logged, not answered.
async fn delete_quietly(state: &AppState, file: &str) {
    if let Err(err) = state.storage.delete(&storage::upload_key(file)).await {
        tracing::warn!(error = %err, file, "could not delete an uploaded file");
    }
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
async fn upload_api(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    form: StreamedForm,
) -> Result<(StatusCode, Json<ImageView>)> {
    let image = save(&state, user.actor(), id, form).await?;
    Ok((StatusCode::CREATED, Json(ImageView::from(&image))))
}
