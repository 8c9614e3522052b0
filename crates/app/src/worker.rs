//! Wiring the job system: the queue, what jobs run with, and the app's worker.

use anyhow::Context;
use api_client::ApiClients;
use db::DatabaseConnection;
use jobs::{Mailer, Queue, Runner, Services};

use crate::{Config, metrics::MetricsServer};

/// What every job runs with, built from the config and the app's shared handles.
pub fn services(
    config: &Config,
    db: &DatabaseConnection,
    queue: &Queue,
    api: ApiClients,
    offload: offload::Offload,
    hub: db::Hub,
    storage: storage::Storage,
) -> anyhow::Result<Services> {
    let mailer =
        Mailer::new(&config.jobs.mailer, &config.jobs.mail_from).context("building the mailer")?;
    Ok(Services {
        db: db.clone(),
        queue: queue.clone(),
        mailer,
        api,
        offload,
        storage,
        scratch_dir: config.jobs.scratch_dir(),
        export_batch: jobs::kinds::DEFAULT_EXPORT_BATCH,
        notify_email: config.jobs.notify_email.clone(),
        hub,
        image_max_pixels: config.web.uploads.max_pixels,
    })
}

/// The store for uploads and exports (`APP_STORAGE`).
pub fn open_storage(config: &Config) -> anyhow::Result<storage::Storage> {
    let storage = storage::Storage::open(&config.storage).context("opening the file storage")?;
    tracing::info!(
        storage = storage.kind(),
        "files are kept in the {} store",
        storage.kind()
    );
    Ok(storage)
}

/// A worker that knows every job type of the app and its schedules.
pub fn runner(
    config: &Config,
    queue: Queue,
    services: Services,
) -> anyhow::Result<Runner<Services>> {
    jobs::kinds::runner(queue, services, config.jobs.worker.clone()).context("building the worker")
}

/// `app worker`: run jobs (no HTTP) until `shutdown` (SIGTERM/SIGINT), then drain and exit.
pub async fn run_standalone(
    config: &Config,
    db: DatabaseConnection,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let hub = db::Hub::new(db.clone(), crate::HUB_CAPACITY);
    let queue = Queue::new(db.clone(), hub.clone());
    let api = ApiClients::new(&config.api).context("building the HTTP client")?;
    let storage = open_storage(config)?;
    let services = services(
        config,
        &db,
        &queue,
        api,
        offload::Offload::per_core(),
        hub,
        storage,
    )?;
    let metrics = match config.metrics_addr {
        Some(addr) => {
            let reads = db::Reads::open(&db, &config.db).context("opening the read pool")?;
            let server =
                MetricsServer::bind(addr, reads, queue.clone(), &config.web.server).await?;
            Some(server)
        }
        None => None,
    };
    let runner = runner(config, queue, services)?;
    match metrics {
        Some(metrics) => {
            // The metrics stop with the worker: `run` returns once the jobs have drained.
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let serving = tokio::spawn(metrics.run(async {
                let _ = stopped.await;
            }));
            let ran = runner.run(shutdown).await;
            let _ = stop.send(());
            let _ = serving.await;
            ran?;
        }
        None => runner.run(shutdown).await?,
    }
    if let Err(err) = db.close_by_ref().await {
        tracing::warn!(error = %err, "closing the database pool");
    }
    Ok(())
}
