//! What `app generate resource` writes in `crates/web/src/routes/NAME/`.

use super::{Field, Kind, Resource};

pub(super) fn module(r: &Resource) -> String {
    r.fill(
        r#"//! __Labels__ (written by `app generate resource`; yours to change): a JSON API under
//! `/api/__name__` and HTML pages under `/__name__`, both on the same `db::__name__` queries.

mod api;
mod form;
mod pages;

use axum::Router;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().merge(api::router()).merge(pages::router())
}

pub(crate) use api::openapi;
"#,
    )
}

pub(super) fn api(r: &Resource) -> String {
    r.fill(
        r#"//! `/api/__name__`: list, show, create, update (with optimistic locking), delete. Reading is
//! open; creating needs a user (a bearer token, or the session cookie plus the CSRF header);
//! changing __a_label__ needs its owner or an administrator (403 otherwise).

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use db::{
    DatabaseConnection, Reads,
    __name__::{self, New__Type__, __Type__, __Type__Input, __Type__Patch},
};
use serde::Deserialize;

use crate::{
    AppState, Error, Result,
    auth::RequireUser,
    extract::{Json, Path, Query},
    listing::{self, Limits, ListBody, ListQuery},
};

/// The list's page size: 20 unless asked, at most 100.
const LIMITS: Limits = Limits {
    default: 20,
    max: 100,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/__name__", get(list).post(create))
        .route(
            "/api/__name__/{id}",
            get(show).patch(update).delete(destroy),
        )
}

/// `GET /api/__name__?limit=&sort=&after=|before=`: one page, newest first unless `sort` says
/// otherwise (`__name__::SORTS`).
#[utoipa::path(get, path = "/api/__name__", tag = "__name__", params(ListQuery),
    description = "One page, 20 unless `limit` says (at most 100), newest first unless `sort` \
        names another order.",
    responses(
        (status = 200, description = "A page; `Link` has the next, previous and first pages", body = ListBody<__Type__>),
        (status = 400, description = "A bad `limit`, `sort` or cursor", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn list(State(db): State<Reads>, Query(query): Query<ListQuery>) -> Result<Response> {
    let request = query.parse(&__name__::SORTS, LIMITS)?;
    let slice = __name__::list(&db, request.order, request.limit, &request.position)
        .await
        .map_err(listing::bad_request)?;
    Ok(listing::json("/api/__name__", &request, slice, LIMITS))
}

#[utoipa::path(get, path = "/api/__name__/{id}", tag = "__name__",
    params(("id" = i64, Path, description = "The __label__'s id")),
    responses((status = 200, description = "The __label__", body = __Type__), (status = 404, description = "No __label__ with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn show(State(db): State<Reads>, Path(id): Path<i64>) -> Result<Json<__Type__>> {
    Ok(Json(__name__::get(&db, id).await?))
}

#[utoipa::path(post, path = "/api/__name__", tag = "__name__", request_body = __Type__Input, security(("token" = []), ("session" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its address", body = __Type__),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "A session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
async fn create(
    State(db): State<DatabaseConnection>,
    RequireUser(user): RequireUser,
    Json(input): Json<__Type__Input>,
) -> Result<Response> {
    let new = New__Type__::parse(input).map_err(Error::Validation)?;
    let created = __name__::create(&db, user.actor(), new).await?;
    let location = format!("/api/__name__/{}", created.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response())
}

#[utoipa::path(patch, path = "/api/__name__/{id}", tag = "__name__", request_body = __Type__Patch, security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The __label__'s id")),
    responses(
        (status = 200, description = "Changed", body = __Type__),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Not the owner or an administrator, or a session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No __label__ with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "It changed since `version`: read it again", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id))]
async fn update(
    State(db): State<DatabaseConnection>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    Json(patch): Json<__Type__Patch>,
) -> Result<Json<__Type__>> {
    Ok(Json(__name__::update(&db, user.actor(), id, patch).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeleteParams {
    /// When given, delete only if the __label__ is still at this version.
    version: Option<i32>,
}

#[utoipa::path(delete, path = "/api/__name__/{id}", tag = "__name__", security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The __label__'s id"), DeleteParams),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Not the owner or an administrator, or a session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No __label__ with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "It changed since `version`", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id))]
async fn destroy(
    State(db): State<DatabaseConnection>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    Query(params): Query<DeleteParams>,
) -> Result<StatusCode> {
    __name__::delete(&db, user.actor(), id, params.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This resource's part of the OpenAPI document (`web::openapi::document` merges it).
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, show, create, update, destroy))]
    struct Paths;
    <Paths as utoipa::OpenApi>::openapi()
}
"#,
    )
}

/// How the form reads a field (`self.NAME`) into the input's type.
fn form_parse(f: &Field) -> String {
    let n = &f.name;
    let parser = match &f.kind {
        Kind::String | Kind::Text => {
            return if f.optional {
                format!("Some(self.{n}.clone())")
            } else {
                format!("self.{n}.clone()")
            };
        }
        Kind::Bool if f.optional => {
            return format!("errors.check(\"{n}\", crate::fields::yes_no(&self.{n}))");
        }
        Kind::Bool => return format!("crate::fields::checkbox(self.{n}.as_deref())"),
        Kind::Int => "int",
        Kind::BigInt | Kind::Ref(_) => "bigint",
        Kind::Float => "float",
        Kind::Date => "date",
        Kind::DateTime => "datetime",
        Kind::Uuid => "uuid",
    };
    if f.optional {
        format!(
            "errors.check(\"{n}\", crate::fields::optional(&self.{n}, crate::fields::{parser}))"
        )
    } else {
        format!("errors.check(\"{n}\", crate::fields::{parser}(&self.{n}))")
    }
}

/// How an edit form shows a row's field (`row.NAME`).
fn form_value(f: &Field) -> String {
    let n = &f.name;
    match (&f.kind, f.optional) {
        (Kind::String | Kind::Text, false) => format!("row.{n}.clone()"),
        (Kind::String | Kind::Text, true) => format!("row.{n}.clone().unwrap_or_default()"),
        (Kind::Bool, false) => format!("row.{n}.then(|| String::from(\"true\"))"),
        (Kind::Bool, true) => format!("crate::fields::yes_no_value(row.{n})"),
        (Kind::Date, false) => format!("crate::fields::date_value(row.{n})"),
        (Kind::Date, true) => {
            format!("row.{n}.map(crate::fields::date_value).unwrap_or_default()")
        }
        (Kind::DateTime, false) => format!("crate::fields::datetime_value(row.{n})"),
        (Kind::DateTime, true) => {
            format!("row.{n}.map(crate::fields::datetime_value).unwrap_or_default()")
        }
        (_, false) => format!("row.{n}.to_string()"),
        (_, true) => format!("row.{n}.map(|v| v.to_string()).unwrap_or_default()"),
    }
}

pub(super) fn form(r: &Resource) -> String {
    let fields: String = r
        .fields
        .iter()
        .map(|f| {
            let ty = if f.kind == Kind::Bool && !f.optional {
                "Option<String>"
            } else {
                "String"
            };
            format!("    #[serde(default)]\n    pub(super) {}: {ty},\n", f.name)
        })
        .collect();
    let from_row: String = r
        .fields
        .iter()
        .map(|f| format!("            {}: {},\n", f.name, form_value(f)))
        .collect();
    let parse: String = r
        .fields
        .iter()
        .map(|f| format!("            {}: {},\n", f.name, form_parse(f)))
        .collect();
    r.fill(FORM)
        .replace("__FORM_FIELDS__", &fields)
        .replace("__FROM_ROW__", &from_row)
        .replace("__PARSE__", &parse)
}

const FORM: &str = r#"//! The __label__ form as a browser sends it: every field a string, so nothing the user typed
//! is lost, and every problem comes back as a field error beside its input.

use db::{
    FieldErrors,
    __name__::{New__Type__, __Type__, __Type__Input},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct __Type__Form {
__FORM_FIELDS__    /// Hidden on the edit form: the version the user started editing.
    #[serde(default)]
    pub(super) version: String,
}

impl __Type__Form {
    pub(super) fn from_row(row: &__Type__) -> Self {
        Self {
__FROM_ROW__            version: row.version.to_string(),
        }
    }

    /// Reads every field, then checks them as the API does: every problem at once, under the
    /// form's field names.
    pub(super) fn parse(&self) -> Result<New__Type__, FieldErrors> {
        let mut errors = FieldErrors::new();
        let input = __Type__Input {
__PARSE__        };
        match New__Type__::parse(input) {
            Ok(new) => errors.into_result(new),
            Err(more) => {
                errors.merge(more);
                Err(errors)
            }
        }
    }

    pub(super) fn version(&self) -> Result<i32, FieldErrors> {
        self.version.trim().parse().map_err(|_| {
            let mut errors = FieldErrors::new();
            errors.add(
                "version",
                "the form is missing its version; reload the page",
            );
            errors
        })
    }
}
"#;

pub(super) fn pages(r: &Resource) -> String {
    let title = match r.title_field() {
        Some(f) => format!("row.{}.clone()", f.name),
        None => format!("format!(\"{} #{{}}\", row.id)", r.title_one()),
    };
    r.fill(PAGES).replace("__ROW_TITLE__", &title)
}

const PAGES: &str = r#"//! `/__name__`: the HTML pages. Forms re-render with field errors and the user's input kept;
//! successful writes redirect (303) so a refresh never re-submits.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use db::{
    FieldErrors,
    __name__::{self, __Type__, __Type__Patch},
    list::Position,
};
use serde::Deserialize;

use super::form::__Type__Form;
use crate::{
    AppState, Result, Templates,
    auth::{RequireUser, session::flash},
    extract::{Form, Path, Query},
    listing::{self, Limits, ListQuery, PageLinks},
    page::{Page, first_error_per_field},
};

/// The list's page size.
const PAGE_LIMITS: Limits = Limits {
    default: 20,
    max: 100,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/__name__", get(index).post(create))
        .route("/__name__/new", get(new))
        .route("/__name__/{id}", get(show))
        .route("/__name__/{id}/edit", get(edit).post(update))
        .route("/__name__/{id}/delete", get(confirm_delete).post(destroy))
}

/// The list's query: unlike the API's, other parameters are ignored (a shared link may carry
/// some).
#[derive(Debug, Deserialize)]
struct IndexQuery {
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    mut page: Page,
    Query(query): Query<IndexQuery>,
) -> Result<Html<String>> {
    let query = ListQuery {
        sort: query.sort,
        after: query.after,
        before: query.before,
        ..ListQuery::default()
    };
    let request = query.parse(&__name__::SORTS, PAGE_LIMITS)?;
    let slice = __name__::list(
        &state.reads,
        request.order,
        request.limit,
        &request.position,
    )
    .await
    .map_err(listing::bad_request)?;
    let links = PageLinks::new("/__name__", &request, &slice, PAGE_LIMITS.default);
    page.insert("items", &slice.items);
    page.insert("links", &links);
    page.insert("sort", request.order.name);
    page.insert("first_page", &matches!(request.position, Position::First));
    page.render(&state.templates, "__name__/index.html")
}

async fn show(
    State(state): State<AppState>,
    mut page: Page,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    let row = __name__::get(&state.reads, id).await?;
    let can_change = page
        .user
        .as_ref()
        .is_some_and(|user| user.actor().may_change(row.created_by));
    page.insert("can_change", &can_change);
    page.insert("item", &row);
    page.render(&state.templates, "__name__/show.html")
}

async fn new(State(state): State<AppState>, _: RequireUser, page: Page) -> Result<Html<String>> {
    form_page(
        page,
        &state.templates,
        "__name__/new.html",
        &__Type__Form::default(),
        None,
    )
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Form(form): Form<__Type__Form>,
) -> Result<Response> {
    let created = match form.parse() {
        Ok(new) => __name__::create(&state.db, user.actor(), new).await,
        Err(errors) => Err(db::Error::Invalid(errors)),
    };
    match created {
        Ok(row) => {
            flash(page.session(), "success", format!("Created “{}”.", title(&row))).await?;
            Ok(Redirect::to(&format!("/__name__/{}", row.id)).into_response())
        }
        Err(db::Error::Invalid(errors)) => {
            let page = form_page(
                page,
                &state.templates,
                "__name__/new.html",
                &form,
                Some(&errors),
            )?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn edit(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    let row = __name__::get_for_change(&state.db, user.actor(), id).await?;
    let form = __Type__Form::from_row(&row);
    edit_page(page, &state.templates, &row, &form, None, None)
}

#[tracing::instrument(skip_all, fields(id))]
async fn update(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(id): Path<i64>,
    Form(form): Form<__Type__Form>,
) -> Result<Response> {
    let parsed = form.parse().and_then(|new| Ok((new, form.version()?)));
    let updated = match parsed {
        Ok((new, version)) => {
            let patch = __Type__Patch::replace(new.into_input(), version);
            __name__::update(&state.db, user.actor(), id, patch).await
        }
        Err(errors) => Err(db::Error::Invalid(errors)),
    };
    match updated {
        Ok(row) => {
            flash(page.session(), "success", format!("Saved “{}”.", title(&row))).await?;
            Ok(Redirect::to(&format!("/__name__/{id}")).into_response())
        }
        Err(db::Error::Invalid(errors)) => {
            let row = __name__::get_for_change(&state.db, user.actor(), id).await?;
            let page = edit_page(page, &state.templates, &row, &form, Some(&errors), None)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(db::Error::StaleVersion { .. }) => {
            // Keep what the user typed, but move the form to the current version and say that
            // the row changed, so saving again is a deliberate choice.
            let current = __name__::get(&state.db, id).await?;
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
    let row = __name__::get_for_change(&state.db, user.actor(), id).await?;
    delete_page(page, &state.templates, &row, false)
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
    match __name__::delete(&state.db, user.actor(), id, version).await {
        Ok(()) => {
            flash(page.session(), "success", "Deleted.").await?;
            Ok(Redirect::to("/__name__").into_response())
        }
        Err(db::Error::StaleVersion { .. }) => {
            let current = __name__::get(&state.db, id).await?;
            let page = delete_page(page, &state.templates, &current, true)?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// What a flash message calls a row.
fn title(row: &__Type__) -> String {
    __ROW_TITLE__
}

fn form_page(
    mut page: Page,
    templates: &Templates,
    template: &str,
    form: &__Type__Form,
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
    row: &__Type__,
    form: &__Type__Form,
    errors: Option<&FieldErrors>,
    changed_meanwhile: Option<&__Type__>,
) -> Result<Html<String>> {
    page.insert("item", row);
    page.insert("conflict", &changed_meanwhile);
    form_page(page, templates, "__name__/edit.html", form, errors)
}

fn delete_page(
    mut page: Page,
    templates: &Templates,
    row: &__Type__,
    changed_meanwhile: bool,
) -> Result<Html<String>> {
    page.insert("item", row);
    page.insert("conflict", &changed_meanwhile);
    page.render(templates, "__name__/delete.html")
}
"#;
