//! The middleware stack, in one place. Every route and the fallback get all of it.
//!
//! Order matters; the list below runs from the outermost layer (first to see a request, last to
//! see its response) inwards.

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, MatchedPath},
    http::{HeaderName, HeaderValue, Request, Response, StatusCode, header},
    middleware::from_fn_with_state,
};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tracing::Span;

use crate::{Templates, WebConfig, problem};

/// Content-Security-Policy: pages load scripts, styles and images from this origin only, no
/// inline script, and cannot be framed (clickjacking).
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub(crate) fn apply<S>(router: Router<S>, config: &WebConfig, templates: &Templates) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let stack = ServiceBuilder::new()
        // 1. Give the request an id (or keep the caller's `x-request-id`) before anything logs.
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
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
        // 3. Echo the request id on the response, for clients and support.
        .layer(PropagateRequestIdLayer::x_request_id())
        // 4. Security headers on every response, error pages included.
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(header_layer(header::CONTENT_SECURITY_POLICY, CSP))
        // 5. Compress what is worth compressing (tiny bodies are left alone).
        .layer(CompressionLayer::new())
        // 6. Give every error response its body (problem+json under /api, an HTML page
        //    elsewhere). Outside the layers below, so it also dresses their bare statuses.
        .layer(from_fn_with_state(
            templates.clone(),
            problem::render_problems,
        ))
        // 7. Bound the time a request may take.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        // 8. A panic in a handler becomes a logged, generic 500; the connection survives.
        .layer(CatchPanicLayer::custom(problem::panic_response))
        // 9. Cap request bodies; the extractors answer 413 before a handler runs.
        .layer(DefaultBodyLimit::max(config.body_limit));
    router.layer(stack)
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

fn request_span(request: &Request<Body>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get("x-request-id")
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
