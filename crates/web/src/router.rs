//! The whole HTTP surface: every resource's router, static files, the 404 fallback, and the
//! middleware stack around all of it.

use std::time::Duration;

use axum::{
    Router,
    http::{HeaderValue, Uri},
};

use crate::{
    AppState, Error, files,
    middleware::{self, Bodies},
    routes,
};

/// Builds the app's router. Tests and the `app` binary both call this, so they serve the same app.
pub fn build(state: AppState) -> Router {
    let with_sessions = Router::new()
        .merge(routes::home::router())
        .merge(routes::accounts::router())
        .merge(routes::products::router()) // [demo:products]
        .merge(routes::todos::router()) // [demo:todos]
        .merge(routes::jobs::router())
        .merge(routes::admin::router())
        .merge(routes::export::router()) // [demo:export]
        .merge(crate::chat::router()) // [demo:chat]
        .merge(routes::events::router());
    // [generate:router]
    #[cfg(feature = "fixtures")]
    let with_sessions = with_sessions.merge(crate::fixtures::router());
    let router = Router::new()
        .merge(middleware::sessions(
            with_sessions,
            &state,
            Bodies::Buffered,
        ))
        .merge(routes::health::router())
        .merge(crate::openapi::router())
        .merge(routes::todos::public_router()) // [demo:todos]
        .merge(static_files(&state))
        .merge(uploads())
        .fallback(not_found);
    // The only routes that stream a multipart body: declared here, not by what a client sends.
    let uploads = Router::new();
    let uploads = uploads.merge(routes::products::uploads()); // [demo:images]
    #[cfg(feature = "fixtures")]
    let uploads = uploads.merge(crate::fixtures::uploads());
    let streamed = middleware::sessions(uploads, &state, Bodies::Streamed);
    let (config, templates) = (&state.config, &state.templates);
    middleware::apply(router, config, templates, Bodies::Buffered)
        .merge(middleware::apply(
            streamed,
            config,
            templates,
            Bodies::Streamed,
        ))
        .with_state(state)
}

async fn not_found(uri: Uri) -> Error {
    Error::NotFound(format!("Nothing lives at {}.", uri.path()))
}

/// `static/` with `Last-Modified` (so browsers revalidate cheaply) and, on success, a
/// `Cache-Control` that lets them skip even that for a day in production.
fn static_files(state: &AppState) -> Router<AppState> {
    let value = cache_control(state.config.static_max_age);
    files::folder(
        "/static",
        "/static/{*path}",
        &state.config.static_dir,
        value,
    )
}

/// `/uploads/{name}`: uploaded files (and what jobs make of them, such as thumbnails), from the
/// store. Their names are generated and never reused, so browsers and proxies may keep them for
/// a year without asking again.
fn uploads() -> Router<AppState> {
    let forever = HeaderValue::from_static("public, max-age=31536000, immutable");
    files::stored("/uploads", storage::UPLOADS, forever)
}

fn cache_control(max_age: Duration) -> HeaderValue {
    if max_age.is_zero() {
        return HeaderValue::from_static("no-cache");
    }
    HeaderValue::from_str(&format!("public, max-age={}", max_age.as_secs()))
        .unwrap_or(HeaderValue::from_static("no-cache"))
}
