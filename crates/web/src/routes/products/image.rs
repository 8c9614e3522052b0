//! A product's image: uploaded as a multipart form (the product page's form, or the API),
//! streamed to disk (see `crate::upload`), attached to the product in the same transaction that
//! enqueues its thumbnail job; served back from `/uploads`.

use axum::{
    Extension, Router,
    extract::{DefaultBodyLimit, Multipart, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use db::product_images::{self, NewImage, ProductImage};
use jobs::kinds::{MakeThumbnail, thumbnail_name};
use serde::Serialize;

use crate::{
    AppState, Error, Result,
    auth::{RequireUser, csrf, session::flash},
    extract::{Json, Path},
    page::Page,
    upload::{self, StoredImage},
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/products/{id}/image", post(upload_form))
        .route("/api/products/{id}/image", post(upload_api))
        // The upload counts its own bytes against `APP_UPLOAD_MAX_BYTES` as they stream in.
        .layer(DefaultBodyLimit::disable())
}

/// An image as the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct ImageView {
    pub(crate) url: String,
    /// `None` until the thumbnail job has run.
    pub(crate) thumbnail_url: Option<String>,
    pub(crate) content_type: String,
    pub(crate) bytes: i64,
}

impl From<&ProductImage> for ImageView {
    fn from(image: &ProductImage) -> Self {
        Self {
            url: format!("/uploads/{}", image.file),
            thumbnail_url: image.thumbnail.as_ref().map(|t| format!("/uploads/{t}")),
            content_type: image.content_type.clone(),
            bytes: image.bytes,
        }
    }
}

/// Receives the upload and attaches it to product `id`; the replaced image's files go once the
/// new one is committed.
async fn save(
    state: &AppState,
    id: i64,
    headers: &HeaderMap,
    multipart: Multipart,
    csrf: Option<&csrf::Pending>,
) -> Result<ProductImage> {
    let config = &state.config.uploads;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    upload::check_declared_length(declared, config)?;
    // A missing product is a 404 before any byte is read.
    db::products::get(&state.db, id).await?;
    let stored = upload::receive(multipart, config, csrf).await?;
    match attach(state, id, &stored).await {
        Ok((image, previous)) => {
            if let Some(previous) = previous {
                remove_files(state, &previous).await;
            }
            Ok(image)
        }
        Err(err) => {
            let _ = tokio::fs::remove_file(config.dir.join(&stored.file)).await;
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
    let dir = &state.config.uploads.dir;
    let thumbnail = image
        .thumbnail
        .clone()
        .unwrap_or_else(|| thumbnail_name(&image.file));
    for file in [&image.file, &thumbnail] {
        let _ = tokio::fs::remove_file(dir.join(file)).await;
    }
}

/// `POST /products/{id}/image` from the product page's form: back to the page, with a flash, or
/// the page again with the reason the file was refused.
async fn upload_form(
    State(state): State<AppState>,
    _: RequireUser,
    page: Page,
    Path(id): Path<i64>,
    pending: Option<Extension<csrf::Pending>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response> {
    let pending = pending.map(|Extension(p)| p);
    match save(&state, id, &headers, multipart, pending.as_ref()).await {
        Ok(_) => {
            flash(
                page.session(),
                "success",
                "Image uploaded. Its thumbnail appears here in a moment.",
            )
            .await?;
            Ok(Redirect::to(&format!("/products/{id}")).into_response())
        }
        Err(
            err @ (Error::BadRequest(_)
            | Error::PayloadTooLarge(_)
            | Error::UnsupportedMediaType(_)),
        ) => {
            let status = err.status();
            let html = super::pages::show_page(&state, page, id, Some(&err.to_string())).await?;
            Ok((status, html).into_response())
        }
        Err(err) => Err(err),
    }
}

/// `POST /api/products/{id}/image`: 201 with the image (its thumbnail comes later).
async fn upload_api(
    State(state): State<AppState>,
    _: RequireUser,
    Path(id): Path<i64>,
    pending: Option<Extension<csrf::Pending>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<ImageView>)> {
    let pending = pending.map(|Extension(p)| p);
    let image = save(&state, id, &headers, multipart, pending.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(ImageView::from(&image))))
}
