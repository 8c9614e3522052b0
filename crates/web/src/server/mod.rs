//! Serving HTTP: the accept loop, the limits every connection gets, and the drain after SIGTERM.
//!
//! `axum::serve` installs no timer, so with it a client that sends half a request line, or
//! nothing at all, keeps its connection (and, at shutdown, the whole process) for as long as it
//! likes. Here hyper runs with tokio's timer and:
//!
//! - HTTP/1.1 headers must arrive within `header_read_timeout`, counted from when the connection
//!   opens or its previous response ends (hyper's timer; it also closes idle kept-alive
//!   connections), and fit in `max_header_bytes` and `max_headers` (431 otherwise);
//! - a connection with no request in flight for `idle_timeout` is closed (this is what bounds
//!   an idle HTTP/2 connection, whose client may keep it busy with pings); one sweeper task
//!   watches every connection, so a connection's own task runs no timer of its own;
//! - on shutdown the listener closes, every connection is asked to close once its request is
//!   answered, event streams and WebSockets end themselves ([`Shutdown`]), and all of that gets
//!   `drain_timeout`; whatever is still open then is cut off.
//!
//! Request bodies and handlers are bounded elsewhere (the body limit and the request deadline in
//! `middleware`).

mod connection;
mod watch;

use std::{future::Future, io, sync::Arc, time::Duration};

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioTimer},
    server::conn::auto,
};
use tokio::net::TcpListener;

use crate::{ServerConfig, Shutdown};

/// hyper's defaults for HTTP/1.1: header fields per request, and the read buffer (which the
/// request line and headers must fit in).
const HYPER_MAX_HEADERS: usize = 100;
const HYPER_MAX_BUF_SIZE: usize = 8192 + 4096 * 100;

/// How long tasks that were cut off at the drain deadline get to notice it.
const CUT_OFF_GRACE: Duration = Duration::from_secs(5);

/// Serves `router` on `listener` until `signal` completes, then drains (see the module docs).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: &ServerConfig,
    shutdown: Shutdown,
    signal: impl Future<Output = ()>,
) {
    let builder = Arc::new(builder(config));
    let registry = Arc::new(watch::Registry::default());
    let limits = watch::Limits {
        idle_timeout: config.idle_timeout,
        close_grace: config.header_read_timeout,
    };
    let sweeper = tokio::spawn(watch::sweep(
        Arc::clone(&registry),
        limits,
        shutdown.clone(),
    ));
    // SIGTERM, then (with a leave delay) failing readiness while still serving, then the drain.
    let leave_delay = config.leave_delay;
    let leaving = shutdown.clone();
    let signal = async move {
        signal.await;
        if !leave_delay.is_zero() {
            leaving.leave();
            tracing::info!(
                delay_secs = leave_delay.as_secs_f64(),
                "leaving: /ready answers 503; still serving until the proxy stops sending"
            );
            tokio::time::sleep(leave_delay).await;
        }
    };
    let mut signal = std::pin::pin!(signal);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut signal => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote)) => {
                // Responses are written whole by hyper: no reason to let Nagle delay them.
                let _ = stream.set_nodelay(true);
                shutdown.spawn(connection::serve(
                    stream,
                    remote,
                    router.clone(),
                    Arc::clone(&builder),
                    registry.watch(),
                ));
            }
            // The client gave up before we took its connection: nothing to do.
            Err(err) if is_connection_error(&err) => {}
            // Out of file descriptors, say: wait a little, or the loop would spin.
            Err(err) => {
                tracing::error!(error = %err, "accepting a connection failed; trying again in 1 s");
                tokio::select! {
                    () = &mut signal => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    drop(listener);
    drain(&shutdown, config.drain_timeout).await;
    sweeper.abort();
}

fn builder(config: &ServerConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    let mut http1 = builder.http1();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    // Set only when it differs from hyper's own default (100): set at all, hyper initialises a
    // header array of that size for every request (~1,000 instructions, callgrind), where its
    // default uses an uninitialised one.
    if config.max_headers != HYPER_MAX_HEADERS {
        http1.max_headers(config.max_headers);
    }
    // The request line and headers must fit in the read buffer; hyper's minimum is 8 KiB.
    if config.max_header_bytes != HYPER_MAX_BUF_SIZE {
        http1.max_buf_size(config.max_header_bytes.max(8 * 1024));
    }
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(config.max_header_bytes).unwrap_or(u32::MAX))
        // WebSockets over HTTP/2 (RFC 8441), as `axum::serve` allows them.
        .enable_connect_protocol();
    builder
}

/// Stops taking new work and waits, up to `deadline`, for what is open to finish; then cuts off
/// the rest.
async fn drain(shutdown: &Shutdown, deadline: Duration) {
    tracing::info!(
        open = shutdown.running(),
        deadline_secs = deadline.as_secs_f64(),
        "draining: no new connections; open ones finish their requests"
    );
    shutdown.begin();
    if tokio::time::timeout(deadline, shutdown.drained())
        .await
        .is_ok()
    {
        return;
    }
    tracing::warn!(
        open = shutdown.running(),
        "drain deadline reached: closing the connections that are still open"
    );
    shutdown.force();
    if tokio::time::timeout(CUT_OFF_GRACE, shutdown.drained())
        .await
        .is_err()
    {
        tracing::error!(
            open = shutdown.running(),
            "tasks still running after the drain deadline; exiting anyway"
        );
    }
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
