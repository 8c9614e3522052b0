//! `/metrics` in Prometheus' text format, on a listener of its own (`APP_METRICS_ADDR`, off by
//! default), so it is never exposed through the proxy with the app.
//!
//! The crates record through the `metrics` facade (a no-op until a recorder is installed):
//! `web` the requests (`http_requests_total`, `http_request_duration_seconds`,
//! `http_requests_in_flight`) and open streams (`sse_connections`, `websocket_connections`),
//! `jobs` each attempt (`jobs_attempts_total`, `job_duration_seconds`), `api-client` each
//! upstream call (`upstream_requests_total`, `upstream_call_duration_seconds`,
//! `upstream_circuit_state`). What is a state rather than an event is read when scraped: the
//! database pools (`db_pool_connections`, `db_pool_idle`, `db_pool_waiting`) and the job queue
//! (`jobs` by kind and state).
//!
//! The recorder is metrics-exporter-prometheus's; it renders, our own server (with its header
//! and idle timeouts) serves. Histograms are kept as observations until the next upkeep, so a
//! task runs the upkeep every few seconds whether or not anyone scrapes.

use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use anyhow::Context;
use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use jobs::Queue;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Latency buckets, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often recorded observations are folded into the histograms.
const UPKEEP: Duration = Duration::from_secs(5);

/// The process's recorder, installed on first use (tests start many apps in one process).
pub fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .context("the metrics' histogram buckets")?
        .build_recorder();
    let handle = HANDLE.get_or_init(|| recorder.handle()).clone();
    // Fails only if a recorder is already installed (a race with another first use), whose
    // handle is the one kept above.
    let _ = metrics::set_global_recorder(recorder);
    Ok(handle)
}

/// What `/metrics` reads when scraped.
#[derive(Clone)]
struct Sources {
    handle: PrometheusHandle,
    reads: db::Reads,
    queue: Queue,
    /// The (kind, state) pairs reported so far: one that has no jobs any more is set to 0.
    reported: Arc<Mutex<HashSet<(String, &'static str)>>>,
}

/// The metrics listener, bound (so port 0 works) and ready to serve.
pub struct MetricsServer {
    listener: TcpListener,
    router: Router,
    server: web::ServerConfig,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl MetricsServer {
    pub async fn bind(
        addr: SocketAddr,
        reads: db::Reads,
        queue: Queue,
        server: &web::ServerConfig,
    ) -> anyhow::Result<Self> {
        let handle = recorder()?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening for metrics on {addr} (APP_METRICS_ADDR)"))?;
        let router = Router::new()
            .route("/metrics", get(render))
            .with_state(Sources {
                handle: handle.clone(),
                reads,
                queue,
                reported: Arc::default(),
            });
        Ok(Self {
            listener,
            router,
            server: server.clone(),
            handle,
        })
    }

    pub fn addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `stop`, running the histograms' upkeep meanwhile.
    pub async fn run(self, stop: impl Future<Output = ()> + Send) {
        let handle = self.handle;
        let upkeep = async move {
            let mut every = tokio::time::interval(UPKEEP);
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        };
        let serve = web::serve(
            self.listener,
            self.router,
            &self.server,
            web::Shutdown::new(),
            stop,
        );
        tokio::select! {
            () = serve => {}
            () = upkeep => {}
        }
    }
}

async fn render(State(sources): State<Sources>) -> impl IntoResponse {
    sample_pools(&sources.reads);
    sample_queue(&sources).await;
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        sources.handle.render(),
    )
}

fn sample_pools(reads: &db::Reads) {
    for stats in reads.pool_stats() {
        let pool = stats.pool;
        metrics::gauge!("db_pool_connections", "pool" => pool).set(stats.size as f64);
        if let Some(idle) = stats.idle {
            metrics::gauge!("db_pool_idle", "pool" => pool).set(idle as f64);
        }
        if let Some(waiting) = stats.waiting {
            metrics::gauge!("db_pool_waiting", "pool" => pool).set(waiting as f64);
        }
    }
}

async fn sample_queue(sources: &Sources) {
    match sources.queue.counts_by_kind().await {
        Ok(counts) => {
            let now: HashSet<(String, &'static str)> = counts
                .iter()
                .map(|(kind, state, _)| (kind.clone(), state.as_str()))
                .collect();
            let mut reported = sources
                .reported
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (kind, state) in reported.difference(&now) {
                metrics::gauge!("jobs", "kind" => kind.clone(), "state" => *state).set(0.0);
            }
            for (kind, state, count) in counts {
                metrics::gauge!("jobs", "kind" => kind, "state" => state.as_str())
                    .set(count as f64);
            }
            reported.extend(now);
        }
        // The scrape still answers, without the queue's numbers; the pools tell why.
        Err(err) => tracing::warn!(error = %err, "reading the job counts for /metrics"),
    }
}
