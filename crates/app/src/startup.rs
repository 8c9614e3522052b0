//! Building and running the server.

use std::{future::Future, net::SocketAddr};

use anyhow::Context;
use api_client::ApiClients;
use axum::Router;
use db::DatabaseConnection;
use jobs::{Queue, Runner, Services};
use migration::{Migrator, MigratorTrait};
use tokio::{net::TcpListener, sync::watch};
use web::{AppState, AppStateParts, Templates};

use crate::{Config, metrics::MetricsServer, worker};

/// A bound, ready-to-serve app. Binding happens in [`Application::build`], so port 0 works and
/// [`Application::port`] tells which port the OS picked.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    server: web::ServerConfig,
    shutdown: web::Shutdown,
    db: DatabaseConnection,
    addr: SocketAddr,
    queue: Queue,
    hub: db::Hub,
    /// The in-process worker, unless `APP_JOBS_IN_PROCESS=false`.
    worker: Option<Runner<Services>>,
    /// `/metrics`, when `APP_METRICS_ADDR` is set.
    metrics: Option<MetricsServer>,
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        install_crypto_provider();
        let db = db::connect(&config.db)
            .await
            .with_context(|| format!("connecting to {}", config.db.redacted_url()))?;
        if config.migrate_on_start {
            Migrator::up(&db, None)
                .await
                .context("applying pending migrations")?;
        }
        let templates = Templates::load(&config.web.templates_dir, config.web.reload_templates)
            .context("loading templates")?;
        let api = ApiClients::new(&config.api).context("building the HTTP client")?;
        let offload = offload::Offload::per_core();
        let hub = db::Hub::new(db.clone(), crate::HUB_CAPACITY);
        let queue = Queue::new(db.clone(), hub.clone());
        let storage = worker::open_storage(config)?;
        let services = worker::services(
            config,
            &db,
            &queue,
            api.clone(),
            offload.clone(),
            hub.clone(),
            storage.clone(),
        )?;
        let worker = if config.jobs.in_process {
            Some(worker::runner(config, queue.clone(), services)?)
        } else {
            None
        };
        let reads = db::Reads::open(&db, &config.db).context("starting the SQLite readers")?;
        let metrics = match config.metrics_addr {
            Some(addr) => Some(
                MetricsServer::bind(addr, reads.clone(), queue.clone(), &config.web.server).await?,
            ),
            None => None,
        };
        let state = AppState::new(AppStateParts {
            db: db.clone(),
            reads,
            templates,
            api,
            offload,
            passwords: offload::Offload::dedicated("password-hash", config.web.password_hashers)
                .context("starting the password-hashing threads")?,
            jobs: queue.clone(),
            storage,
            hub: hub.clone(),
            config: config.web.clone(),
        });
        let shutdown = state.shutdown().clone();
        let router = web::build_router(state);
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("listening on {}", config.addr))?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            router,
            server: config.web.server.clone(),
            shutdown,
            db,
            addr,
            queue,
            hub,
            worker,
            metrics,
        })
    }

    /// The app's routes, as built (the OpenAPI test walks them).
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Where `/metrics` is served, when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(MetricsServer::addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The app's pool, shared with every request.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The job queue the app enqueues on.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The process's publish/subscribe hub (job progress, worker wake-ups, live features).
    pub fn hub(&self) -> &db::Hub {
        &self.hub
    }

    /// Serves (and runs the in-process worker) until `shutdown` completes; then lets in-flight
    /// requests, event streams, WebSockets and running jobs finish (each within its deadline),
    /// gives back unfinished jobs and closes the pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut stop: watch::Receiver<bool>| async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        };
        if let Some(metrics) = self.metrics {
            tokio::spawn(metrics.run(stopped(stop.clone())));
        }
        let serve = web::serve(
            self.listener,
            self.router,
            &self.server,
            self.shutdown,
            stopped(stop.clone()),
        );
        match self.worker {
            Some(worker) => {
                let ((), worked) = tokio::join!(serve, worker.run(stopped(stop)));
                worked.context("running jobs")?;
            }
            None => serve.await,
        }
        if let Err(err) = self.db.close_by_ref().await {
            tracing::warn!(error = %err, "closing the database pool");
        }
        Ok(())
    }
}

/// One crypto provider (ring) for rustls in the whole process: sqlx and reqwest both use it.
pub fn install_crypto_provider() {
    // Err only means it is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
///
/// The handlers are installed when this is *called*, not when the future is first polled, so a
/// signal that arrives while start-up work is still running is not fatal: it is kept and seen
/// at the first poll. Once installed they stay, so further signals during the drain are
/// harmless.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        let (mut terminate, mut interrupt) = match (terminate, interrupt) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(err), _) | (_, Err(err)) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM/SIGINT");
                std::future::pending::<()>().await;
                return;
            }
        };
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutdown signal received, finishing in-flight requests and jobs");
    }
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown signal received, finishing in-flight requests and jobs");
    }
}
