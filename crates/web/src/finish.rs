//! The outermost layer: what every response gets, whatever produced it.
//!
//! - The request gets an id (the caller's `x-request-id` if it sent a sane one, else a new UUID),
//!   which the response echoes and every log line of the request carries.
//! - The response gets the security headers, unless the handler set its own.
//! - An error response gets its body: the [`Problem`](crate::problem::Problem) our `Error` left
//!   in its extensions, or one made from the bare status of another layer (405, the timeout's
//!   503, the panic handler's 500), as problem+json under `/api` and an HTML page elsewhere.
//!
//! One hand-written layer instead of seven generic ones (request id, propagation, four header
//! setters, a boxed `from_fn`): `just bench` showed the chain of futures costing as much as the
//! rest of a `/health` request.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use axum::{
    BoxError,
    body::{Body, Bytes, HttpBody},
    http::{HeaderMap, HeaderName, HeaderValue, Request, Response, header},
};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::{Templates, problem};

pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content-Security-Policy: pages load scripts, styles and images from this origin only, no
/// inline script, and cannot be framed (clickjacking).
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
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
    ]
}

#[derive(Debug, Clone)]
pub(crate) struct FinishLayer {
    templates: Templates,
}

impl FinishLayer {
    pub(crate) fn new(templates: Templates) -> Self {
        Self { templates }
    }
}

impl<S> Layer<S> for FinishLayer {
    type Service = Finish<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Finish {
            inner,
            templates: self.templates.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Finish<S> {
    inner: S,
    templates: Templates,
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
        FinishFuture {
            inner: self.inner.call(request),
            request_id,
            api,
            templates: self.templates.clone(),
        }
    }
}

pin_project! {
    pub(crate) struct FinishFuture<F> {
        #[pin]
        inner: F,
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
        let response = ready!(this.inner.poll(cx))?.map(Body::new);
        let mut response =
            if response.status().is_client_error() || response.status().is_server_error() {
                problem::with_body(response, *this.api, this.request_id, this.templates)
            } else {
                response
            };
        let headers = response.headers_mut();
        for (name, value) in security_headers() {
            headers.entry(name).or_insert(value);
        }
        headers.insert(X_REQUEST_ID, this.request_id.clone());
        Poll::Ready(Ok(response))
    }
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
