//! The request deadline: a request gets a fixed time to produce its response, or a 503 — except
//! a streamed upload (a multipart body), which its handler reads for as long as the client keeps
//! sending: that body gets an idle timeout between two chunks instead, so a slow link can finish
//! a large file and a stalled client still lets go.
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
    timeout: Duration,
}

impl DeadlineLayer {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            timeout: self.timeout,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
    timeout: Duration,
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
        if crate::upload::is_multipart(request.headers()) {
            let timeout = self.timeout;
            let request = request.map(|body| Body::new(TimeoutBody::new(timeout, body)));
            return DeadlineFuture {
                inner: self.inner.call(request),
                sleep: None,
            };
        }
        DeadlineFuture {
            inner: self.inner.call(request),
            sleep: Some(tokio::time::sleep(self.timeout)),
        }
    }
}

pin_project! {
    pub(crate) struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Option<Sleep>,
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
        let expired = this
            .sleep
            .as_pin_mut()
            .is_some_and(|sleep| sleep.poll(cx).is_ready());
        if expired {
            // The `finish` layer gives the bare 503 its body.
            return Poll::Ready(Ok(StatusCode::SERVICE_UNAVAILABLE.into_response()));
        }
        Poll::Pending
    }
}
