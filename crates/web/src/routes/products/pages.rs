//! `/products`: the HTML pages. Forms re-render with field errors and the user's input kept;
//! successful writes redirect (303) so a refresh never re-submits.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use db::{FieldErrors, products};
use serde::Deserialize;

use super::form::ProductForm;
use crate::{
    AppState, Error, Result, Templates,
    auth::{RequireUser, session::flash},
    extract::{Form, Path, Query},
    page::{Page, first_error_per_field},
};

const PER_PAGE: u64 = 20;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/products", get(index).post(create))
        .route("/products/new", get(new))
        .route("/products/{id}", get(show))
        .route("/products/{id}/edit", get(edit).post(update))
        .route("/products/{id}/delete", get(confirm_delete).post(destroy))
}

#[derive(Debug, Deserialize)]
struct PageParams {
    page: Option<u64>,
}

async fn index(
    State(state): State<AppState>,
    mut page: Page,
    Query(params): Query<PageParams>,
) -> Result<Html<String>> {
    let number = params.page.unwrap_or(1);
    if number == 0 {
        return Err(Error::BadRequest("Pages are numbered from 1.".into()));
    }
    let Some(offset) = (number - 1)
        .checked_mul(PER_PAGE)
        .filter(|offset| *offset <= products::MAX_OFFSET)
    else {
        return Err(Error::BadRequest(format!(
            "There is no page {number}: page numbers go up to {}.",
            products::MAX_OFFSET / PER_PAGE + 1
        )));
    };
    let list = products::list(&state.db, PER_PAGE, offset).await?;
    let pages = list.total.div_ceil(PER_PAGE).max(1);
    if number > pages {
        return Err(Error::NotFound(format!(
            "There is no page {number}: the list has {pages} page{}.",
            if pages == 1 { "" } else { "s" }
        )));
    }
    page.insert("products", &list.items);
    page.insert("total", &list.total);
    page.insert("page", &number);
    page.insert("pages", &pages);
    page.render(&state.templates, "products/index.html")
}

async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    show_page(&state, page, id, None).await
}

/// The product's page, with the reason its last upload was refused, if it was.
pub(super) async fn show_page(
    state: &AppState,
    mut page: Page,
    id: i64,
    image_error: Option<&str>,
) -> Result<Html<String>> {
    let product = products::get(&state.db, id).await?;
    let image = db::product_images::get(&state.db, id).await?;
    let can_change = page
        .user
        .as_ref()
        .is_some_and(|user| user.actor().may_change(product.created_by));
    page.insert("can_change", &can_change);
    page.insert("product", &product);
    page.insert("image", &image.as_ref().map(super::image::ImageView::from));
    page.insert("image_error", &image_error);
    page.insert(
        "upload_max",
        &crate::upload::human_bytes(state.config.uploads.max_bytes),
    );
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
