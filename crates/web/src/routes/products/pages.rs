//! `/products`: the HTML pages. Forms re-render with field errors and the user's input kept;
//! successful writes redirect (303) so a refresh never re-submits.

use axum::{
    Extension, Router,
    extract::State,
    handler::Handler,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use db::{FieldErrors, list::Position, products};
use serde::Deserialize;

use super::{Report, form::ProductForm};
use crate::{
    AppState, Result, Templates,
    auth::{RequireUser, session::flash},
    extract::{Form, Path, Query},
    listing::{self, Limits, ListQuery, PageLinks},
    page::{Page, first_error_per_field},
};

/// The HTML list's page size.
const PAGE_LIMITS: Limits = Limits {
    default: 20,
    max: 100,
};

pub(super) fn router(report: Report) -> Router<AppState> {
    Router::new()
        .route(
            "/products",
            get(index.layer(Extension(report))).post(create),
        )
        .route("/products/new", get(new))
        .route("/products/{id}", get(show))
        .route("/products/{id}/edit", get(edit).post(update))
        .route("/products/{id}/delete", get(confirm_delete).post(destroy))
}

/// The list's query: unlike the API's, other parameters are ignored (a shared link may carry
/// some), and so is `page` from the numbered pages this list once had.
#[derive(Debug, Deserialize)]
struct IndexQuery {
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    Extension(report): Extension<Report>,
    mut page: Page,
    Query(query): Query<IndexQuery>,
) -> Result<Html<String>> {
    let query = ListQuery {
        sort: query.sort,
        after: query.after,
        before: query.before,
        ..ListQuery::default()
    };
    let request = query.parse(&products::ORDERS, PAGE_LIMITS)?;
    let slice = products::list(
        &state.reads,
        request.order,
        request.limit,
        &request.position,
    )
    .await
    .map_err(listing::bad_request)?;
    let links = PageLinks::new("/products", &request, &slice, PAGE_LIMITS.default);
    // The count comes with the price report: never counted per request, shown once known.
    let db = state.db.clone();
    let counted = report.peek(move || async move { products::price_stats(&db).await });
    page.insert("products", &slice.items);
    page.insert("links", &links);
    page.insert("sort", request.order.name);
    page.insert("first_page", &matches!(request.position, Position::First));
    page.insert("total", &counted.map(|report| report.value.count));
    page.render(&state.templates, "products/index.html")
}

async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    show_page(&state, page, id).await
}

/// The product's page (`page` may carry more, such as why an upload was refused).
pub(super) async fn show_page(state: &AppState, mut page: Page, id: i64) -> Result<Html<String>> {
    let product = products::get(&state.reads, id).await?;
    let can_change = page
        .user
        .as_ref()
        .is_some_and(|user| user.actor().may_change(product.created_by));
    page.insert("can_change", &can_change);
    page.insert("product", &product);
    // [demo:images begin]
    let image = db::product_images::get(&state.db, id).await?;
    let mut view = image.as_ref().map(ImageView::from);
    if let (Some(image), Some(view)) = (&image, &mut view)
        && image.thumbnail.is_none()
    {
        view.thumbnail_failed = thumbnail_failed(state, image).await?;
    }
    page.insert("image", &view);
    page.insert(
        "upload_max",
        &crate::upload::human_bytes(state.config.uploads.max_bytes),
    );
    // [demo:images end]
    if can_change {
        page = page.with_form_token().await?;
    }
    page.render(&state.templates, "products/show.html")
}

async fn new(State(state): State<AppState>, _: RequireUser, page: Page) -> Result<Html<String>> {
    form_page(
        page,
        &state.templates,
        "products/new.html",
        &ProductForm::default(),
        None,
    )
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Form(form): Form<ProductForm>,
) -> Result<Response> {
    let new = match form.parse() {
        Ok(new) => new,
        Err(errors) => {
            let page = form_page(
                page,
                &state.templates,
                "products/new.html",
                &form,
                Some(&errors),
            )?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let product = super::create_and_notify(&state, user.actor(), new).await?;
    flash(
        page.session(),
        "success",
        format!("Product “{}” created.", product.name),
    )
    .await?;
    Ok(Redirect::to(&format!("/products/{}", product.id)).into_response())
}

async fn edit(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    let product = products::get_for_change(&state.db, user.actor(), id).await?;
    let form = ProductForm::from_product(&product);
    edit_page(page, &state.templates, &product, &form, None, None)
}

#[tracing::instrument(skip_all, fields(id))]
async fn update(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(id): Path<i64>,
    Form(form): Form<ProductForm>,
) -> Result<Response> {
    let parsed = form.parse().and_then(|new| Ok((new, form.version()?)));
    let (new, version) = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => {
            // Only a re-rendered form needs the product; a save reads it inside its transaction.
            let product = products::get_for_change(&state.db, user.actor(), id).await?;
            let page = edit_page(page, &state.templates, &product, &form, Some(&errors), None)?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match products::update(&state.db, user.actor(), id, version, new.into()).await {
        Ok(product) => {
            flash(
                page.session(),
                "success",
                format!("Product “{}” saved.", product.name),
            )
            .await?;
            Ok(Redirect::to(&format!("/products/{id}")).into_response())
        }
        Err(db::Error::StaleVersion { .. }) => {
            // Keep what the user typed, but move the form to the current version and show what
            // changed, so saving again is a deliberate choice.
            let current = products::get(&state.db, id).await?;
            let mut form = form;
            form.version = current.version.to_string();
            let page = edit_page(
                page,
                &state.templates,
                &current,
                &form,
                None,
                Some(&current),
            )?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn confirm_delete(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    let product = products::get_for_change(&state.db, user.actor(), id).await?;
    delete_page(page, &state.templates, &product, false)
}

#[derive(Debug, Deserialize)]
struct DeleteForm {
    #[serde(default)]
    version: String,
}

#[tracing::instrument(skip_all, fields(id))]
async fn destroy(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(id): Path<i64>,
    Form(form): Form<DeleteForm>,
) -> Result<Response> {
    let version = form.version.trim().parse::<i32>().ok();
    match super::delete_with_files(&state, user.actor(), id, version).await {
        Ok(()) => {
            flash(page.session(), "success", "Product deleted.").await?;
            Ok(Redirect::to("/products").into_response())
        }
        Err(db::Error::StaleVersion { .. }) => {
            let current = products::get(&state.db, id).await?;
            let page = delete_page(page, &state.templates, &current, true)?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

fn form_page(
    mut page: Page,
    templates: &Templates,
    template: &str,
    form: &ProductForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>> {
    page.insert("form", form);
    page.insert(
        "errors",
        &errors.map(first_error_per_field).unwrap_or_default(),
    );
    page.render(templates, template)
}

fn edit_page(
    mut page: Page,
    templates: &Templates,
    product: &products::Product,
    form: &ProductForm,
    errors: Option<&FieldErrors>,
    changed_meanwhile: Option<&products::Product>,
) -> Result<Html<String>> {
    page.insert("product", product);
    page.insert("conflict", &changed_meanwhile);
    form_page(page, templates, "products/edit.html", form, errors)
}

fn delete_page(
    mut page: Page,
    templates: &Templates,
    product: &products::Product,
    changed_meanwhile: bool,
) -> Result<Html<String>> {
    page.insert("product", product);
    page.insert("conflict", &changed_meanwhile);
    page.render(templates, "products/delete.html")
}

// [demo:images begin]
/// An image as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct ImageView {
    pub(super) url: String,
    /// `None` until the thumbnail job has run.
    pub(super) thumbnail_url: Option<String>,
    pub(super) content_type: String,
    pub(super) bytes: i64,
    /// The thumbnail job gave up (the file does not decode, say): no thumbnail is coming.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) thumbnail_failed: bool,
}

/// Whether the image's thumbnail job ended without making one. Its job row goes in with the
/// image (one transaction), so a missing row means the job was purged long after it ended.
async fn thumbnail_failed(
    state: &AppState,
    image: &db::product_images::ProductImage,
) -> Result<bool> {
    use jobs::Job as _;
    let job = jobs::kinds::MakeThumbnail {
        product_id: image.product_id,
        file: image.file.clone(),
    };
    let Some(key) = job.unique_key() else {
        return Ok(false);
    };
    let latest = state.jobs.latest_with_key(&key).await?;
    Ok(latest.is_none_or(|job| {
        matches!(
            job.state,
            jobs::State::Dead | jobs::State::Cancelled | jobs::State::Succeeded
        )
    }))
}

impl From<&db::product_images::ProductImage> for ImageView {
    fn from(image: &db::product_images::ProductImage) -> Self {
        Self {
            url: format!("/uploads/{}", image.file),
            thumbnail_url: image.thumbnail.as_ref().map(|t| format!("/uploads/{t}")),
            content_type: image.content_type.clone(),
            bytes: image.bytes,
            thumbnail_failed: false,
        }
    }
}
// [demo:images end]
