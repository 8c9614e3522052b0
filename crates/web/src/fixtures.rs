//! Test fixtures (feature `fixtures`, which only the tests' build turns on): `/api/test/notes`
//! and a form posting to `/test/notes`, a small resource on `db::fixtures` built the way every
//! resource is (validated input, a user to write, CSRF on forms, the owner rule, optimistic
//! locking, the audit row), and a note's file upload (`/api/test/notes/{id}/file`, and a form
//! posting to `/test/notes/{id}/file`), for the engine's own tests to aim at. Not in any release
//! build.

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use db::{DatabaseConnection, fixtures};
use serde::Deserialize;

use crate::{
    AppState, Result,
    auth::RequireUser,
    extract::{Form, Json, Path, Query},
    upload::{self, StoredImage, StreamedForm},
};

/// Declared as uploads (`router::build`): the form streams in, its CSRF token checked first.
pub(crate) fn uploads() -> Router<AppState> {
    Router::new()
        .route("/api/test/notes/{id}/file", post(upload_api))
        .route("/test/notes/{id}/file", post(upload_form))
}

/// Receives an image for note `id`, if the actor may change the note (404 or 403 before the
/// file is read). Nothing records it: the file stays in the store's uploads.
async fn receive(
    state: &AppState,
    actor: db::Actor,
    id: i64,
    form: StreamedForm,
) -> Result<StoredImage> {
    fixtures::get_for_change(&state.db, actor, id).await?;
    upload::receive(form, &state.config.uploads, &state.offload, &state.storage).await
}

/// `201` with the stored file's name, type and size.
async fn upload_api(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    form: StreamedForm,
) -> Result<Response> {
    let stored = receive(&state, user.actor(), id, form).await?;
    let body = serde_json::json!({
        "url": format!("/uploads/{}", stored.file),
        "content_type": stored.kind.content_type(),
        "bytes": stored.bytes,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// A browser's form: `303` to the stored file; a refusal is the error page.
async fn upload_form(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    form: StreamedForm,
) -> Result<Redirect> {
    let stored = receive(&state, user.actor(), id, form).await?;
    Ok(Redirect::to(&format!("/uploads/{}", stored.file)))
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/test/notes", get(list).post(create))
        .route("/api/test/notes/{id}", get(show).patch(update))
        .route("/test/notes", post(create_from_form))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    limit: Option<u64>,
}

async fn list(
    State(db): State<db::Reads>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<fixtures::Note>>> {
    let limit = params.limit.unwrap_or(20).min(1_000);
    Ok(Json(fixtures::list(&db, limit).await?))
}

async fn show(State(db): State<db::Reads>, Path(id): Path<i64>) -> Result<Json<fixtures::Note>> {
    Ok(Json(fixtures::get(&db, id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    body: String,
}

async fn create(
    State(db): State<DatabaseConnection>,
    RequireUser(user): RequireUser,
    Json(input): Json<NewNote>,
) -> Result<Response> {
    let note = fixtures::create(&db, user.actor(), &input.body).await?;
    let location = format!("/api/test/notes/{}", note.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(note),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    body: String,
}

async fn create_from_form(
    State(db): State<DatabaseConnection>,
    RequireUser(user): RequireUser,
    Form(input): Form<NoteForm>,
) -> Result<Redirect> {
    let note = fixtures::create(&db, user.actor(), &input.body).await?;
    Ok(Redirect::to(&format!("/api/test/notes/{}", note.id)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteChange {
    version: i32,
    body: String,
}

async fn update(
    State(db): State<DatabaseConnection>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
    Json(input): Json<NoteChange>,
) -> Result<Json<fixtures::Note>> {
    let note = fixtures::update(&db, user.actor(), id, input.version, &input.body).await?;
    Ok(Json(note))
}
