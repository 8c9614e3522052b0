//! The CSV export demo: `POST /products/export` starts an export job and follows it on its job
//! page (live progress over `/events/jobs/{id}`); `GET /jobs/{id}/download` streams the file it
//! wrote. Administrators only.

use axum::{
    Router,
    body::Body,
    extract::State,
    http::header,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use jobs::{Job, JobRecord, State as JobState, kinds::ExportProducts};

use crate::{
    AppState, Error, Result,
    auth::{RequireAdmin, session::flash},
    extract::Path,
    page::Page,
};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs/{id}/download", get(download))
        .route("/products/export", post(export))
}

/// `POST /products/export`: start an export and follow it on its job page.
async fn export(State(state): State<AppState>, _: RequireAdmin, page: Page) -> Result<Redirect> {
    let enqueued = state.jobs.enqueue(&state.db, &ExportProducts {}).await?;
    let text = "Export started: this page shows its progress and then the file.";
    flash(page.session(), "success", text).await?;
    Ok(Redirect::to(&format!("/jobs/{}", enqueued.id)))
}

/// Where a finished export's file downloads from; `None` for other jobs and unfinished exports.
pub(crate) fn download_url(job: &JobRecord) -> Option<String> {
    (job.kind == ExportProducts::NAME && job.state == JobState::Succeeded)
        .then(|| format!("/jobs/{}/download", job.id))
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
