//! `/jobs`: the background-job dashboard, each job's page with retry/cancel, the export
//! download, and `GET /api/jobs/{id}`. Admins only.

use crate::{
    AppState, Error, Result,
    auth::RequireAdmin,
    extract::{Json, Path},
    page::Page,
};
use axum::{
    Router,
    body::Body,
    extract::State,
    http::header,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use jobs::{Job, JobRecord, ListFilter, State as JobState, kinds::ExportProducts};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(dashboard))
        .route("/jobs/{id}", get(show))
        .route("/jobs/{id}/retry", post(retry))
        .route("/jobs/{id}/cancel", post(cancel))
        .route("/jobs/{id}/download", get(download))
        .route("/products/export", post(export))
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
    page.insert("download", &has_download(&state, &job).await);
    page.insert("job", &job);
    page.insert("can_retry", &job.state.can_retry());
    page.insert("can_cancel", &job.state.can_cancel());
    page.render(&state.templates, "jobs/show.html")
}

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
    Path(id): Path<i64>,
) -> Result<Redirect> {
    state.jobs.retry(id).await?;
    Ok(Redirect::to(&format!("/jobs/{id}")))
}

async fn cancel(
    State(state): State<AppState>,
    _: RequireAdmin,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    state.jobs.cancel(id).await?;
    Ok(Redirect::to(&format!("/jobs/{id}")))
}

/// `POST /products/export`: start an export and follow it on its job page.
async fn export(State(state): State<AppState>, _: RequireAdmin) -> Result<Redirect> {
    let enqueued = state.jobs.enqueue(&state.db, &ExportProducts {}).await?;
    Ok(Redirect::to(&format!("/jobs/{}", enqueued.id)))
}

/// Where a finished export's file downloads from; `None` for other jobs and unfinished exports.
pub(crate) fn download_url(job: &JobRecord) -> Option<String> {
    (job.kind == ExportProducts::NAME && job.state == JobState::Succeeded)
        .then(|| format!("/jobs/{}/download", job.id))
}

async fn has_download(state: &AppState, job: &JobRecord) -> bool {
    download_url(job).is_some()
        && tokio::fs::try_exists(jobs::kinds::export_path(&state.exports_dir, job.id))
            .await
            .unwrap_or(false)
}

/// The file a finished export wrote, streamed from disk.
async fn download(
    State(state): State<AppState>,
    _: RequireAdmin,
    Path(id): Path<i64>,
) -> Result<Response> {
    let job = state.jobs.get(id).await?;
    if job.kind != ExportProducts::NAME {
        return Err(Error::NotFound(format!(
            "Job {id} is not an export: it has no file."
        )));
    }
    if job.state != JobState::Succeeded {
        return Err(Error::Conflict(format!(
            "Export {id} is {}: the file is ready once it has succeeded.",
            job.state
        )));
    }
    let path = jobs::kinds::export_path(&state.exports_dir, id);
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound(format!(
                "The file of export {id} is gone (purged or written on another machine)."
            )));
        }
        Err(err) => return Err(Error::internal(err)),
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = format!("attachment; filename=\"products-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
