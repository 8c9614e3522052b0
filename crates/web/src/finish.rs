//! The outermost layer: what every response gets, whatever produced it.
//!
//! - The request gets an id (the caller's `x-request-id` if it sent a sane one, else a new UUID),
//!   which the response echoes.
//! - The request's client is worked out once ([`crate::forwarded`]: the TCP peer, or what a
//!   trusted proxy forwarded for) and left in its extensions.
//! - The request gets a span (method, matched route, URI, client, request id) that every log line inside
//!   carries, and one `finished` event with status and latency. Errors log themselves, once,
//!   where they happen. With the request log off (`RUST_LOG=warn`) none of this costs anything.
//! - A request for a `Host` outside the allowlist gets a 400 before any handler runs.
//! - The response gets the security headers (HSTS too in production), unless the handler set
//!   its own.
//! - A panic anywhere below becomes a logged, generic 500; the connection survives.
//! - An error response gets its body: the [`Problem`](crate::problem::Problem) our `Error` left
//!   in its extensions, or one made from the bare status of another layer (405, the timeout's
//!   503, the panic handler's 500), as problem+json under `/api` and an HTML page elsewhere.
//!
//! One hand-written layer instead of nine generic ones (request id, propagation, tracing, four
//! header setters, a boxed `from_fn`, panic catching, which also boxed every body): `just bench`
//! showed that chain of futures costing as much as the rest of a `/health` request. The request
//! metrics are recorded here too (when on), since this is where route, status and latency are
//! known: `http_requests_total` and `http_request_duration_seconds` by method, matched route and
//! status, and `http_requests_in_flight`, which a guard gives back if the request is dropped.

use std::{
    future::Future,
    net::SocketAddr,
    panic::AssertUnwindSafe,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    BoxError,
    body::{Body, Bytes, HttpBody},
    extract::{ConnectInfo, MatchedPath},
    http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, header},
    response::IntoResponse,
};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tracing::{Level, Span};

use crate::{
    Templates,
    config::SecurityConfig,
    forwarded::{self, ClientAddr},
    problem,
    request_metrics::Measured,
};

pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content-Security-Policy: pages load scripts, styles and images from this origin only, no
/// inline script, and cannot be framed (clickjacking).
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

fn security_headers(hsts_max_age: Option<std::time::Duration>) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    if let Some(max_age) = hsts_max_age
        && let Ok(value) =
            HeaderValue::from_str(&format!("max-age={}; includeSubDomains", max_age.as_secs()))
    {
        headers.push((header::STRICT_TRANSPORT_SECURITY, value));
    }
    headers
}

#[derive(Debug, Clone)]
pub(crate) struct FinishLayer {
    templates: Templates,
    guard: Arc<Guard>,
}

/// What the layer enforces and adds, worked out once.
#[derive(Debug)]
struct Guard {
    headers: Vec<(HeaderName, HeaderValue)>,
    security: SecurityConfig,
    metrics: bool,
}

impl FinishLayer {
    pub(crate) fn new(templates: Templates, security: &SecurityConfig, metrics: bool) -> Self {
        Self {
            templates,
            guard: Arc::new(Guard {
                headers: security_headers(security.hsts_max_age),
                security: security.clone(),
                metrics,
            }),
        }
    }
}

impl<S> Layer<S> for FinishLayer {
    type Service = Finish<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Finish {
            inner,
            templates: self.templates.clone(),
            guard: self.guard.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Finish<S> {
    inner: S,
    templates: Templates,
    guard: Arc<Guard>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Finish<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = FinishFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let request_id = request_id(request.headers());
        request
            .headers_mut()
            .insert(X_REQUEST_ID, request_id.clone());
        let api = problem::is_api(request.uri().path());
        let client = forwarded::resolve(
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
            request.headers(),
            &self.guard.security.trusted_proxies,
        );
        request.extensions_mut().insert(client);
        let (span, started) = request_span(&request, &request_id, client);
        let measured = self.guard.metrics.then(|| Measured::begin(&request));
        let (inner, panicked) = if let Some(refused) = self.refuse_host(&request) {
            (None, Some(refused))
        } else {
            let inner = span.in_scope(|| {
                std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request)))
            });
            match inner {
                Ok(future) => (Some(future), None),
                Err(panic) => (None, Some(problem::panic_response(panic))),
            }
        };
        FinishFuture {
            inner,
            panicked,
            span,
            started,
            measured,
            request_id,
            api,
            templates: self.templates.clone(),
            guard: self.guard.clone(),
        }
    }
}

impl<S> Finish<S> {
    /// A 400 for a `Host` outside the allowlist (a forged host would otherwise end up in
    /// absolute links and password-reset mails).
    fn refuse_host<B>(&self, request: &Request<B>) -> Option<Response<Body>> {
        if self.guard.security.allowed_hosts.is_empty() {
            return None;
        }
        let host = effective_host(request.headers(), request.uri()).unwrap_or_default();
        if self.guard.security.host_allowed(host) {
            return None;
        }
        tracing::warn!(host, "request for a host that is not allowed");
        let mut response = StatusCode::BAD_REQUEST.into_response();
        response.extensions_mut().insert(problem::Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-host",
            "This server does not answer for that host name (see APP_ALLOWED_HOSTS).",
        ));
        Some(response)
    }
}

/// The host a request is for: the URI's authority when it has one (an absolute-form request
/// line, `GET http://host/ HTTP/1.1`, or HTTP/2's `:authority`), which RFC 9112 says wins over
/// the `Host` header; the `Host` header otherwise.
pub(crate) fn effective_host<'a>(
    headers: &'a HeaderMap,
    uri: &'a axum::http::Uri,
) -> Option<&'a str> {
    uri.authority()
        .map(|authority| authority.as_str())
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()))
}

pin_project! {
    pub(crate) struct FinishFuture<F> {
        // `None` when calling the inner service panicked; then `panicked` holds the answer.
        #[pin]
        inner: Option<F>,
        panicked: Option<Response<Body>>,
        span: Span,
        guard: Arc<Guard>,
        // Set only when the request log is on.
        started: Option<Instant>,
        // Set only when metrics are on.
        measured: Option<Measured>,
        request_id: HeaderValue,
        api: bool,
        templates: Templates,
    }
}

impl<F, B, E> Future for FinishFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let response = match this.inner.as_pin_mut() {
            // Refused before the inner service, or calling it panicked: the answer is ready.
            None => this
                .panicked
                .take()
                .unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
            Some(inner) => match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(result)) => result?.map(Body::new),
                Err(panic) => problem::panic_response(panic),
            },
        };
        if response.status().is_server_error()
            && response.extensions().get::<problem::Problem>().is_none()
        {
            // Our errors and caught panics log themselves; a layer that answered a bare 5xx did
            // not (every 5xx is logged once).
            tracing::error!(
                status = response.status().as_u16(),
                "answered a server error with no logged cause"
            );
        }
        let mut response =
            if response.status().is_client_error() || response.status().is_server_error() {
                problem::with_body(response, *this.api, this.request_id, this.templates)
            } else {
                response
            };
        let headers = response.headers_mut();
        headers.reserve(this.guard.headers.len() + 1);
        for (name, value) in &this.guard.headers {
            headers.entry(name.clone()).or_insert_with(|| value.clone());
        }
        headers.insert(X_REQUEST_ID, this.request_id.clone());
        if let Some(measured) = this.measured.take() {
            let folder = response.extensions().get::<crate::files::ServedFrom>();
            measured.finish(response.status(), folder.map(|f| f.0));
        }
        if let Some(started) = this.started {
            let latency_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
            tracing::info!(status = response.status().as_u16(), latency_ms, "finished");
        }
        Poll::Ready(Ok(response))
    }
}

/// The request's span and start time, or a disabled span and no clock read when the request log
/// is off.
fn request_span<B>(
    request: &Request<B>,
    request_id: &HeaderValue,
    client: ClientAddr,
) -> (Span, Option<Instant>) {
    if !tracing::enabled!(Level::INFO) {
        return (Span::none(), None);
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    // A mailed link's token stays out of the logs: such a request logs its route as its URI.
    let uri: &dyn std::fmt::Display = if route.contains("{token}") {
        &route
    } else {
        request.uri()
    };
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        uri = %uri,
        client = client.ip.map(tracing::field::display),
        request_id = %request_id.to_str().unwrap_or_default(),
    );
    (span, Some(Instant::now()))
}

/// The caller's id when it is short printable text (it ends up in logs), a new UUID otherwise.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    if let Some(id) = headers.get(X_REQUEST_ID)
        && !id.is_empty()
        && id.len() <= 128
        && id.as_bytes().iter().all(|b| b.is_ascii_graphic())
    {
        return id.clone();
    }
    let mut buffer = uuid::Uuid::encode_buffer();
    let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(id).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}
