//! `/products`: the HTML pages. Forms re-render with field errors and the user's input kept;
//! successful writes redirect (303) so a refresh never re-submits.

use std::collections::BTreeMap;

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use db::{FieldErrors, products};
use serde::Deserialize;
use tera::Context;

use super::form::ProductForm;
use crate::{
    AppState, Error, Result, Templates,
    extract::{Form, Path, Query},
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
    Query(params): Query<PageParams>,
) -> Result<Html<String>> {
    let page = params.page.unwrap_or(1);
    if page == 0 {
        return Err(Error::BadRequest("Pages are numbered from 1.".into()));
    }
    let offset = (page - 1).saturating_mul(PER_PAGE);
    let list = products::list(&state.db, PER_PAGE, offset).await?;
    let pages = list.total.div_ceil(PER_PAGE).max(1);
    if page > pages {
        return Err(Error::NotFound(format!(
            "There is no page {page}: the list has {pages} page{}.",
            if pages == 1 { "" } else { "s" }
        )));
    }
    let mut context = Context::new();
    context.insert("products", &list.items);
    context.insert("total", &list.total);
    context.insert("page", &page);
    context.insert("pages", &pages);
    state.templates.page("products/index.html", &context)
}

async fn show(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Html<String>> {
    let product = products::get(&state.db, id).await?;
    let mut context = Context::new();
    context.insert("product", &product);
    state.templates.page("products/show.html", &context)
}

async fn new(State(templates): State<Templates>) -> Result<Html<String>> {
    form_page(
        &templates,
        "products/new.html",
        &ProductForm::default(),
        None,
    )
}

#[tracing::instrument(skip_all)]
async fn create(State(state): State<AppState>, Form(form): Form<ProductForm>) -> Result<Response> {
    let new = match form.parse() {
        Ok(new) => new,
        Err(errors) => return invalid_form(&state.templates, "products/new.html", &form, &errors),
    };
    let product = super::create_and_notify(&state, new).await?;
    Ok(Redirect::to(&format!("/products/{}", product.id)).into_response())
}

async fn edit(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Html<String>> {
    let product = products::get(&state.db, id).await?;
    let form = ProductForm::from_product(&product);
    edit_page(&state.templates, &product, &form, None, None)
}

#[tracing::instrument(skip_all, fields(id))]
async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<ProductForm>,
) -> Result<Response> {
    let parsed = form.parse().and_then(|new| Ok((new, form.version()?)));
    let (new, version) = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => {
            // Only a re-rendered form needs the product; a save reads it inside its transaction.
            let product = products::get(&state.db, id).await?;
            let page = edit_page(&state.templates, &product, &form, Some(&errors), None)?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match products::update(&state.db, id, version, new.into()).await {
        Ok(_) => Ok(Redirect::to(&format!("/products/{id}")).into_response()),
        Err(db::Error::StaleVersion { .. }) => {
            // Keep what the user typed, but move the form to the current version and show what
            // changed, so saving again is a deliberate choice.
            let current = products::get(&state.db, id).await?;
            let mut form = form;
            form.version = current.version.to_string();
            let page = edit_page(&state.templates, &current, &form, None, Some(&current))?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn confirm_delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    let product = products::get(&state.db, id).await?;
    delete_page(&state.templates, &product, false)
}

#[derive(Debug, Deserialize)]
struct DeleteForm {
    #[serde(default)]
    version: String,
}

#[tracing::instrument(skip_all, fields(id))]
async fn destroy(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<DeleteForm>,
) -> Result<Response> {
    let version = form.version.trim().parse::<i32>().ok();
    match products::delete(&state.db, id, version).await {
        Ok(()) => Ok(Redirect::to("/products").into_response()),
        Err(db::Error::StaleVersion { .. }) => {
            let current = products::get(&state.db, id).await?;
            let page = delete_page(&state.templates, &current, true)?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

fn form_page(
    templates: &Templates,
    template: &str,
    form: &ProductForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>> {
    let mut context = Context::new();
    context.insert("form", form);
    context.insert(
        "errors",
        &errors.map(first_error_per_field).unwrap_or_default(),
    );
    templates.page(template, &context)
}

fn invalid_form(
    templates: &Templates,
    template: &str,
    form: &ProductForm,
    errors: &FieldErrors,
) -> Result<Response> {
    let page = form_page(templates, template, form, Some(errors))?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn edit_page(
    templates: &Templates,
    product: &products::Product,
    form: &ProductForm,
    errors: Option<&FieldErrors>,
    changed_meanwhile: Option<&products::Product>,
) -> Result<Html<String>> {
    let mut context = Context::new();
    context.insert("product", product);
    context.insert("form", form);
    context.insert(
        "errors",
        &errors.map(first_error_per_field).unwrap_or_default(),
    );
    context.insert("conflict", &changed_meanwhile);
    templates.page("products/edit.html", &context)
}

fn delete_page(
    templates: &Templates,
    product: &products::Product,
    changed_meanwhile: bool,
) -> Result<Html<String>> {
    let mut context = Context::new();
    context.insert("product", product);
    context.insert("conflict", &changed_meanwhile);
    templates.page("products/delete.html", &context)
}

/// `{field: message}` for the template, one message per field.
fn first_error_per_field(errors: &FieldErrors) -> BTreeMap<&'static str, &str> {
    let mut map = BTreeMap::new();
    for e in errors.iter() {
        map.entry(e.field).or_insert(e.message.as_str());
    }
    map
}
