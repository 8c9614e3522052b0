//! The middleware stack, in one place. Every route and the fallback get all of it.
//!
//! Order matters; the list below runs from the outermost layer (first to see a request, last to
//! see its response) inwards.

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode};
use tower::ServiceBuilder;
use tower_http::{compression::CompressionLayer, timeout::TimeoutLayer};

use crate::{Templates, WebConfig, finish::FinishLayer};

pub(crate) fn apply<S>(router: Router<S>, config: &WebConfig, templates: &Templates) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let stack = ServiceBuilder::new()
        // 1. The request's lifecycle, outermost so it sees everything below: an id (or the
        //    caller's `x-request-id`) and a span before anything logs; a panic anywhere below
        //    becomes a logged, generic 500; every response gets the id, the security headers and,
        //    for errors, its body (problem+json under /api, an HTML page elsewhere), which also
        //    dresses the bare statuses of the layers below; one `finished` log line.
        .layer(FinishLayer::new(templates.clone()))
        // 2. Compress what is worth compressing (tiny bodies are left alone).
        .layer(CompressionLayer::new())
        // 3. Bound the time a request may take.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        // 4. Cap request bodies; the extractors answer 413 before a handler runs.
        .layer(DefaultBodyLimit::max(config.body_limit));
    router.layer(stack)
}

#[cfg(test)]
#[path = "middleware_tests.rs"]
mod tests;
