//! One client connection: hyper serves it with the server's limits, a watch counts the requests
//! in flight on it (so an idle connection can be told from a busy one), and shutdown closes it
//! in two steps: politely once shutdown begins, by force at the drain deadline.

use std::{
    convert::Infallible,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use pin_project_lite::pin_project;
use tokio::{net::TcpStream, time::Instant};
use tower::ServiceExt;

use crate::Shutdown;

#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// No request in flight for this long closes the connection.
    pub(super) idle_timeout: Duration,
    /// How long a connection closed for idleness gets to say goodbye (HTTP/2's GOAWAY).
    pub(super) close_grace: Duration,
}

/// Why a connection is being closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    Idle,
    Shutdown,
}

pub(super) async fn serve(
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: Limits,
    shutdown: Shutdown,
) {
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let busy = Busy::begin(&activity);
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
    let close = tokio::select! {
        result = connection.as_mut() => return ended(result),
        () = shutdown.begun() => Close::Shutdown,
        () = activity.idle_for(limits.idle_timeout) => Close::Idle,
    };
    // HTTP/1.1: finish the request in flight, then close; HTTP/2: GOAWAY, finish open streams.
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        result = connection.as_mut() => ended(result),
        () = shutdown.forced() => tracing::debug!("connection cut off at the drain deadline"),
        () = tokio::time::sleep(limits.close_grace), if close == Close::Idle => {
            tracing::debug!("idle connection did not close in time; dropped");
        }
    }
}

/// A connection that ended on its own: the client left, or broke a limit (a header timeout, an
/// oversized header, a malformed request). Its client's problem, not ours: debug level.
fn ended(result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(err) = result {
        tracing::debug!(error = %err, "connection closed with an error");
    }
}

/// Requests in flight on one connection, and since when it has had none.
#[derive(Debug)]
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `opened` when the last request finished.
    idle_since_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Completes once the connection has had no request in flight for `limit`.
    async fn idle_for(&self, limit: Duration) {
        let limit_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        loop {
            let wait_ms = if self.in_flight.load(Ordering::Acquire) > 0 {
                limit_ms
            } else {
                let idle_ms = self
                    .now_ms()
                    .saturating_sub(self.idle_since_ms.load(Ordering::Acquire));
                if idle_ms >= limit_ms {
                    return;
                }
                limit_ms - idle_ms
            };
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        }
    }
}

/// One request in flight; the connection is idle again when the last one drops.
#[derive(Debug)]
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(activity))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            activity
                .idle_since_ms
                .store(activity.now_ms(), Ordering::Release);
        }
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
