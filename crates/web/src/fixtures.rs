//! Test fixtures (feature `fixtures`, which only the tests' build turns on): `/api/test/notes`
//! and a form posting to `/test/notes`, a
//! small resource on `db::fixtures` built the way every resource is (validated input, a user to
//! write, CSRF on forms, the owner rule, optimistic locking, the audit row), for the engine's own
//! tests to aim at. Not in any release build.

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
};

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
