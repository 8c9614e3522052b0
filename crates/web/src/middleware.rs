//! The middleware stack, in one place. Every route and the fallback get all of it.
//!
//! Order matters; the list below runs from the outermost layer (first to see a request, last to
//! see its response) inwards.

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, MatchedPath},
    http::{Request, Response, StatusCode},
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer, compression::CompressionLayer, timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tracing::{Level, Span};

use crate::{
    Templates, WebConfig,
    finish::{FinishLayer, X_REQUEST_ID},
    problem,
};

pub(crate) fn apply<S>(router: Router<S>, config: &WebConfig, templates: &Templates) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let stack = ServiceBuilder::new()
        // 1. Every request gets an id (or keeps the caller's `x-request-id`) before anything logs;
        //    every response gets the id, the security headers and, for errors, its body
        //    (problem+json under /api, an HTML page elsewhere). Outermost, so it also dresses the
        //    bare statuses of the layers below and error pages carry the headers too.
        .layer(FinishLayer::new(templates.clone()))
        // 2. One span per request: every log line inside carries the method, route and request id;
        //    one `finished` event records status and latency. Errors log themselves, once, where
        //    they happen, so this layer's failure logging is off.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(on_response)
                .on_failure(()),
        )
        // 3. Compress what is worth compressing (tiny bodies are left alone).
        .layer(CompressionLayer::new())
        // 4. Bound the time a request may take.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        // 5. A panic in a handler becomes a logged, generic 500; the connection survives.
        .layer(CatchPanicLayer::custom(problem::panic_response))
        // 6. Cap request bodies; the extractors answer 413 before a handler runs.
        .layer(DefaultBodyLimit::max(config.body_limit));
    router.layer(stack)
}

fn request_span(request: &Request<Body>) -> Span {
    // Skip the field work when the span would be thrown away (the request log is off).
    if !tracing::enabled!(Level::INFO) {
        return Span::none();
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        uri = %request.uri(),
        request_id,
    )
}

/// Runs inside the request span, so the event carries the method, route and request id.
fn on_response<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    let latency_ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    tracing::info!(status = response.status().as_u16(), latency_ms, "finished");
}

#[cfg(test)]
#[path = "middleware_tests.rs"]
mod tests;
