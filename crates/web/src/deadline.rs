//! The request deadline: a request gets a fixed time to produce its response, or a 503. The
//! routes declared as uploads (and only they: what the client says its body is changes nothing)
//! get a longer deadline and an idle timeout between two chunks of the body, so a slow link can
//! finish a large file and a stalled client still lets go.
//!
//! Hand-written like `finish`, for the same reason: it runs on every request, and a boxed
//! `from_fn` middleware here cost `/health` measurably more than tower-http's `TimeoutLayer`,
//! which it replaces.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Body,
    http::{Request, Response, StatusCode},
    response::IntoResponse,
};
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower::{Layer, Service};
use tower_http::timeout::TimeoutBody;

#[derive(Debug, Clone, Copy)]
pub(crate) struct DeadlineLayer {
    limits: Limits,
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    /// The whole request, response included.
    total: Duration,
    /// Between two chunks of the request body, when the route streams it.
    between_chunks: Option<Duration>,
}

impl DeadlineLayer {
    /// `timeout` for the whole request.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            limits: Limits {
                total: timeout,
                between_chunks: None,
            },
        }
    }

    /// For streamed uploads: `total` for the whole request, `between_chunks` for the body.
    pub(crate) fn streaming(total: Duration, between_chunks: Duration) -> Self {
        Self {
            limits: Limits {
                total,
                between_chunks: Some(between_chunks),
            },
        }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            limits: self.limits,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
    limits: Limits,
}

impl<S> Service<Request<Body>> for Deadline<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let request = match self.limits.between_chunks {
            Some(idle) => request.map(|body| Body::new(TimeoutBody::new(idle, body))),
            None => request,
        };
        DeadlineFuture {
            inner: self.inner.call(request),
            sleep: tokio::time::sleep(self.limits.total),
        }
    }
}

pin_project! {
    pub(crate) struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Sleep,
    }
}

impl<F, E> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.inner.poll(cx) {
            return Poll::Ready(output);
        }
        if this.sleep.poll(cx).is_ready() {
            tracing::warn!("request took longer than its deadline; answered 503");
            let status = StatusCode::SERVICE_UNAVAILABLE;
            let mut response = status.into_response();
            // The `finish` layer writes it as the response's body.
            response
                .extensions_mut()
                .insert(crate::problem::Problem::for_status(status));
            return Poll::Ready(Ok(response));
        }
        Poll::Pending
    }
}
