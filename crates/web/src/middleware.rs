//! The middleware stack, in one place. Every route and the fallback get all of [`apply`]; the
//! routes that need to know who is asking also get [`sessions`].
//!
//! Order matters; the list below runs from the outermost layer (first to see a request, last to
//! see its response) inwards.

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::{
    AppState, Templates, WebConfig,
    auth::{DbSessionStore, csrf},
    deadline::DeadlineLayer,
    finish::FinishLayer,
};

/// What a group of routes does with request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bodies {
    /// Read whole, under the body limit and the request deadline (every route but uploads).
    Buffered,
    /// Streamed by the handler (the routes declared as uploads): capped by the upload limits,
    /// under the upload deadline and an idle timeout between chunks; a multipart form's CSRF
    /// token is its first field.
    Streamed,
}

/// The layers of the routes that know who is asking (pages, the API, accounts; not `/health` or
/// `/static`, which stay as cheap as possible): the session, outermost, then the CSRF check.
pub(crate) fn sessions(
    router: Router<AppState>,
    state: &AppState,
    bodies: Bodies,
) -> Router<AppState> {
    let security = &state.config.security;
    let ttl = time::Duration::try_from(security.session_ttl).unwrap_or(time::Duration::WEEK);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(security.session_cookie_name())
        .with_secure(security.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(ttl));
    let router = router.layer(axum::middleware::from_fn(run_writes_to_completion));
    let router = match bodies {
        Bodies::Buffered => router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        )),
        Bodies::Streamed => router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect_uploads,
        )),
    };
    router.layer(sessions)
}

/// A request that may write runs on a task of its own, so a client that disconnects (or the
/// request timeout) cannot cancel it halfway through a transaction: hyper would drop the
/// handler's future at whatever `.await` it had reached, and a transaction cut off mid-commit
/// can leave its connection's bookkeeping wrong (seen under load on PostgreSQL: a pooled
/// connection left inside a transaction, holding row locks). Reads stay cancellable.
async fn run_writes_to_completion(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        // Re-raised here, the panic reaches the `finish` layer like any other: a generic 500.
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// CORS, only when origins are configured: browsers on those origins may call the API with a
/// bearer token (never with cookies). With none configured no CORS header is ever sent, so
/// other sites' scripts cannot read any response.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let origins: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        if origins.is_empty() {
            return None;
        }
        AllowOrigin::list(origins)
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

pub(crate) fn apply<S>(
    router: Router<S>,
    config: &WebConfig,
    templates: &Templates,
    bodies: Bodies,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    // 0. Innermost of the global layers (it answers preflights itself): CORS, if configured.
    let router = match cors(&config.security.cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    let stack = ServiceBuilder::new()
        // 1. The request's lifecycle, outermost so it sees everything below: an id (or the
        //    caller's `x-request-id`) and a span before anything logs; a `Host` outside the
        //    allowlist is refused before routing; a panic anywhere below
        //    becomes a logged, generic 500; every response gets the id, the security headers and,
        //    for errors, its body (problem+json under /api, an HTML page elsewhere), which also
        //    dresses the bare statuses of the layers below; one `finished` log line.
        .layer(FinishLayer::new(
            templates.clone(),
            &config.security,
            config.metrics,
        ))
        // 2. Compress what is worth compressing (tiny bodies are left alone).
        .layer(CompressionLayer::new())
        // 3. Bound the time a request may take (an upload: also the time between two chunks).
        .layer(match bodies {
            Bodies::Buffered => DeadlineLayer::new(config.request_timeout),
            Bodies::Streamed => {
                DeadlineLayer::streaming(config.uploads.timeout, config.request_timeout)
            }
        })
        // 4. Cap request bodies; the extractors answer 413 before a handler runs. An upload's
        //    form caps its whole body itself (`upload::StreamedForm`).
        .layer(match bodies {
            Bodies::Buffered => DefaultBodyLimit::max(config.body_limit),
            Bodies::Streamed => DefaultBodyLimit::disable(),
        });
    router.layer(stack)
}

#[cfg(test)]
#[path = "middleware_tests.rs"]
mod tests;
