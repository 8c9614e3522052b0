//! Serving a folder of files (`/static`, `/uploads`) with tower-http's `ServeDir`, its failures
//! answered like every other error: a name the file system refuses (too long, not valid) is a 404
//! like a missing file, anything else a logged 500 (`ServeDir` alone answers a bare 500 and logs
//! nothing unless built with its `tracing` feature).

use std::{convert::Infallible, io, path::Path};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderValue, header},
    response::IntoResponse,
};
use tower_http::services::ServeDir;

use crate::{AppState, Error};

/// Which folder answered, left in the response's extensions: a nested service has no matched
/// route, so the request metrics label its requests `{prefix}/{*path}` from this.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServedFrom(pub(crate) &'static str);

/// `dir` under `prefix`; a successful answer gets `cache_control`.
pub(crate) fn folder(
    prefix: &'static str,
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
            response.extensions_mut().insert(ServedFrom(prefix));
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
