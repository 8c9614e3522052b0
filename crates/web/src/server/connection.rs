//! One client connection: hyper serves it with the server's limits, its [`Watch`] counts the
//! requests on it, and the server's sweeper (see `watch`) asks it to close — politely when it
//! has been idle too long or shutdown begins, at once at the drain deadline.
//!
//! Nothing here runs a timer: the connection's task only registers its waker and reads one
//! atomic when it wakes. An earlier version selected over the connection, an idle `Sleep` and
//! the shutdown signal on every wake-up, and callgrind counted that on every request.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, atomic::Ordering},
    task::{Context, Poll},
};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use pin_project_lite::pin_project;
use tokio::net::TcpStream;
use tower::ServiceExt;

use super::watch::{CLOSE, CUT, Watch};

pub(super) async fn serve(
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    watch: Arc<Watch>,
) {
    let service = {
        let watch = Arc::clone(&watch);
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let busy = Busy::begin(&watch);
            // The peer's address reaches handlers as axum's `ConnectInfo` (rate limits per IP).
            request.extensions_mut().insert(ConnectInfo(remote));
            let response = router.clone().oneshot(request.map(Body::new));
            async move {
                let response = response.await?;
                // The connection counts as busy until the response body has been sent.
                Ok::<_, Infallible>(response.map(|body| Tracked { body, _busy: busy }))
            }
        })
    };
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let mut closing = false;
    let ended = std::future::poll_fn(|cx| {
        watch.waker.register(cx.waker());
        match watch.order.load(Ordering::Acquire) {
            CUT => return Poll::Ready(None),
            // HTTP/1.1: finish the request in flight, then close; HTTP/2: GOAWAY, finish the
            // open streams.
            CLOSE if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            _ => {}
        }
        connection.as_mut().poll(cx).map(Some)
    })
    .await;
    match ended {
        // The client left, or broke a limit (a header timeout, an oversized header, a malformed
        // request): its problem, not ours, so debug level.
        Some(Err(err)) => tracing::debug!(error = %err, "connection closed with an error"),
        Some(Ok(())) => {}
        None => tracing::debug!("connection cut off"),
    }
}

/// One request in flight; the connection may count as idle again once the last one drops.
#[derive(Debug)]
struct Busy(Arc<Watch>);

impl Busy {
    fn begin(watch: &Arc<Watch>) -> Self {
        watch.requests.fetch_add(1, Ordering::Relaxed);
        watch.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(watch))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

pin_project! {
    /// A response body that keeps its connection marked busy until hyper has sent (and dropped)
    /// it.
    struct Tracked {
        #[pin]
        body: Body,
        _busy: Busy,
    }
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
