//! Serving files: a folder on disk (`/static`) with tower-http's `ServeDir`, and the files in the
//! store (`/uploads`, exports) through [`download`].
//!
//! `ServeDir`'s failures
//! answered like every other error: a name the file system refuses (too long, not valid) is a 404
//! like a missing file, anything else a logged 500 (`ServeDir` alone answers a bare 500 and logs
//! nothing unless built with its `tracing` feature).

use std::{convert::Infallible, io, path::Path};

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tower_http::services::ServeDir;

use crate::{AppState, Error, extract};

/// Which folder answered, left in the response's extensions: a nested service has no matched
/// route, so the request metrics label its requests with this (`/static/{*path}`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServedFrom(pub(crate) &'static str);

/// `dir` under `prefix`; a successful answer gets `cache_control`. `label` names the route in
/// the request metrics.
pub(crate) fn folder(
    prefix: &'static str,
    label: &'static str,
    dir: &Path,
    cache_control: HeaderValue,
) -> Router<AppState> {
    let files = ServeDir::new(dir);
    let service = tower::service_fn(move |request: Request| {
        let mut files = files.clone();
        let cache_control = cache_control.clone();
        async move {
            let path = request.uri().path().to_owned();
            let mut response = match files.try_call(request).await {
                Ok(response) => {
                    let mut response = response.map(Body::new);
                    if response.status().is_success() {
                        response
                            .headers_mut()
                            .insert(header::CACHE_CONTROL, cache_control);
                    }
                    response
                }
                Err(err) if is_missing(&err) => {
                    Error::NotFound(format!("Nothing lives at {path}.")).into_response()
                }
                Err(err) => Error::internal(err).into_response(),
            };
            response.extensions_mut().insert(ServedFrom(label));
            Ok::<_, Infallible>(response)
        }
    });
    Router::new().nest_service(prefix, service)
}

fn is_missing(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound
            | io::ErrorKind::PermissionDenied
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::InvalidFilename
            | io::ErrorKind::InvalidInput
    )
}

/// `GET {prefix}/{name}`: the stored file `{folder}/{name}`, streamed through the app with its
/// length, type (by its extension), `ETag` (a matching `If-None-Match` gets a 304) and
/// `cache_control`; or, when the store signs URLs (S3, `APP_S3_SIGNED_URL_SECS`), a redirect to
/// a short-lived URL the bucket serves itself.
pub(crate) fn stored(
    prefix: &'static str,
    folder: &'static str,
    cache_control: HeaderValue,
) -> Router<AppState> {
    let handler = move |State(state): State<AppState>,
                        extract::Path(name): extract::Path<String>,
                        headers: HeaderMap| {
        let cache_control = cache_control.clone();
        async move {
            let missing = || Error::NotFound(format!("Nothing lives at {prefix}/{name}."));
            if !is_plain_name(&name) {
                return Err(missing());
            }
            let key = format!("{folder}/{name}");
            download(&state, &key, cache_control, &headers)
                .await
                .map_err(|err| match err {
                    Error::NotFound(_) => missing(),
                    other => other,
                })
        }
    };
    Router::new().route(&format!("{prefix}/{{name}}"), get(handler))
}

/// Removes uploaded files (by their names under `uploads/`), e.g. once the rows that pointed at
/// them are deleted. A file left behind costs space, not correctness: a failure is logged, not
/// answered.
pub(crate) async fn remove_uploads(state: &AppState, files: &[&str]) {
    for file in files {
        if let Err(err) = state.storage.delete(&storage::upload_key(file)).await {
            tracing::warn!(error = %err, file, "could not delete an uploaded file");
        }
    }
}

/// A job's stored file (an export) as a private download named `filename`; `gone` says what
/// happened when the file is no longer there.
pub(crate) async fn job_file(
    state: &AppState,
    key: &str,
    filename: &str,
    headers: &HeaderMap,
    gone: String,
) -> Result<Response, Error> {
    let private = HeaderValue::from_static("private, no-cache");
    let mut response = match download(state, key, private, headers).await {
        Err(Error::NotFound(_)) => return Err(Error::NotFound(gone)),
        other => other?,
    };
    if response.status().is_success() {
        let disposition = format!("attachment; filename=\"{filename}\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// The stored file `key` as a response: a redirect to a signed URL when the store gives one,
/// else its bytes streamed through the app.
pub(crate) async fn download(
    state: &AppState,
    key: &str,
    cache_control: HeaderValue,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    if let Some(url) = state.storage.signed_url(key).await? {
        let mut response = Redirect::temporary(&url).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(response);
    }
    let object = state.storage.get(key).await?;
    let etag = object
        .etag
        .as_deref()
        .map(|tag| format!("\"{}\"", tag.trim_matches('"')))
        .and_then(|tag| HeaderValue::from_str(&tag).ok());
    let last_modified = object
        .last_modified
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let mut response = match &etag {
        Some(tag) if headers.get(header::IF_NONE_MATCH) == Some(tag) => {
            StatusCode::NOT_MODIFIED.into_response()
        }
        _ => {
            let body = Body::from_stream(object.body);
            let mut response = body.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(object.size));
            response
        }
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, content_type(key));
    out.insert(header::CACHE_CONTROL, cache_control);
    if let Some(tag) = etag {
        out.insert(header::ETAG, tag);
    }
    if let Ok(value) = HeaderValue::from_str(&last_modified) {
        out.insert(header::LAST_MODIFIED, value);
    }
    Ok(response)
}

/// A generated name: letters, digits, `-`, `_` and `.`, not starting with a dot.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn content_type(key: &str) -> HeaderValue {
    let extension = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    HeaderValue::from_static(match extension.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    })
}
