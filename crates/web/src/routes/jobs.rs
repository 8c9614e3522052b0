//! `/jobs`: the background-job dashboard, each job's page with retry/cancel (and its result's
//! download link, for kinds that write a file), and `GET /api/jobs/{id}`. Admins only.

use crate::{
    AppState, Result,
    auth::{RequireAdmin, session::flash},
    extract::{Json, Path},
    page::Page,
};
use axum::{
    Router,
    extract::State,
    response::{Html, Redirect},
    routing::{get, post},
};
use jobs::{JobRecord, ListFilter, State as JobState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(dashboard))
        .route("/jobs/{id}", get(show))
        .route("/jobs/{id}/retry", post(retry))
        .route("/jobs/{id}/cancel", post(cancel))
        .route("/api/jobs/{id}", get(show_json))
}

async fn dashboard(
    State(state): State<AppState>,
    _: RequireAdmin,
    mut page: Page,
) -> Result<Html<String>> {
    let queue = &state.jobs;
    let counts = queue.counts().await?;
    let recent = queue
        .list(&ListFilter {
            limit: 50,
            ..ListFilter::default()
        })
        .await?;
    let failing = queue
        .list(&ListFilter {
            states: vec![JobState::Dead, JobState::Retrying],
            limit: 20,
            ..ListFilter::default()
        })
        .await?;
    let counts: Vec<_> = counts
        .iter()
        .map(|(state, n)| serde_json::json!({ "state": state, "count": n }))
        .collect();
    page.insert("counts", &counts);
    page.insert("recent", &recent);
    page.insert("failing", &failing);
    page.render(&state.templates, "jobs/index.html")
}

async fn show(
    State(state): State<AppState>,
    _: RequireAdmin,
    mut page: Page,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    let job = state.jobs.get(id).await?;
    page.insert("download", &download_url(&job));
    page.insert("job", &job);
    page.insert("can_retry", &job.state.can_retry());
    page.insert("can_cancel", &job.state.can_cancel());
    page.render(&state.templates, "jobs/show.html")
}

#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs", security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job: state, attempts, progress, last error", body = jobs::JobRecord),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Not an administrator", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No job with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn show_json(
    State(state): State<AppState>,
    _: RequireAdmin,
    Path(id): Path<i64>,
) -> Result<Json<JobRecord>> {
    Ok(Json(state.jobs.get(id).await?))
}

async fn retry(
    State(state): State<AppState>,
    _: RequireAdmin,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    let done = state.jobs.retry(id).await.map(|_| "will run again now");
    steered(&page, id, done).await
}

async fn cancel(
    State(state): State<AppState>,
    _: RequireAdmin,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    let done = state.jobs.cancel(id).await.map(|_| "is cancelled");
    steered(&page, id, done).await
}

/// Back to the job's page, with a flash saying what happened: done, or why not (the job moved on
/// since the page was drawn: it finished, or another admin got there first).
async fn steered(page: &Page, id: i64, done: jobs::Result<&str>) -> Result<Redirect> {
    match done {
        Ok(what) => flash(page.session(), "success", format!("Job {id} {what}.")).await?,
        Err(jobs::Error::WrongState { state, .. }) => {
            let text = format!("Job {id} is {state} now, so that no longer applies.");
            flash(page.session(), "error", text).await?;
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Redirect::to(&format!("/jobs/{id}")))
}

/// For each kind that writes a file: where a finished job's file downloads from.
const DOWNLOADS: &[fn(&JobRecord) -> Option<String>] = &[
    super::admin::download_url,
    super::export::download_url, // [demo:export]
];

/// Where a finished job's result downloads from; `None` for kinds that write no file.
pub(crate) fn download_url(job: &JobRecord) -> Option<String> {
    DOWNLOADS.iter().find_map(|url| url(job))
}

/// The jobs API's part of the OpenAPI document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(show_json))]
    struct Paths;
    <Paths as utoipa::OpenApi>::openapi()
}
