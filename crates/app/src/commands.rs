//! What each CLI subcommand does, as functions tests can call directly.

use std::io::Write;

use anyhow::{Context, bail};
use db::DatabaseConnection;
use migration::{Migrator, MigratorTrait};

use crate::{
    Config, Environment,
    cli::{JobsAction, MigrateAction},
    startup::install_crypto_provider,
};

/// Opens the database for a one-off command.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    install_crypto_provider();
    db::connect(&config.db)
        .await
        .with_context(|| format!("connecting to {}", config.db.redacted_url()))
}

/// Each migration's name and whether it is applied, oldest first.
pub async fn migration_status(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, bool)>> {
    // Creates the (empty) tracking table on a new database, as sea-orm's own `status` does.
    Migrator::install(db).await?;
    Ok(Migrator::get_migration_with_status(db)
        .await?
        .into_iter()
        .map(|m| {
            let applied = matches!(m.status(), migration::MigrationStatus::Applied);
            (m.name().to_owned(), applied)
        })
        .collect())
}

pub async fn migrate(
    config: &Config,
    db: &DatabaseConnection,
    action: MigrateAction,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match action {
        MigrateAction::Up => {
            let pending = migration_status(db)
                .await?
                .iter()
                .filter(|(_, a)| !a)
                .count();
            Migrator::up(db, None).await?;
            writeln!(out, "applied {pending} migration(s)")?;
        }
        MigrateAction::Down { steps } => {
            Migrator::down(db, Some(steps)).await?;
            writeln!(out, "rolled back up to {steps} migration(s)")?;
        }
        MigrateAction::Status => {
            for (name, applied) in migration_status(db).await? {
                let state = if applied { "applied" } else { "pending" };
                writeln!(out, "{state:<8} {name}")?;
            }
        }
        MigrateAction::Fresh { yes } => {
            if config.env == Environment::Production && !yes {
                bail!(
                    "`migrate fresh` drops every table; in production pass --yes if you really mean it"
                );
            }
            Migrator::fresh(db).await?;
            writeln!(out, "dropped all tables and applied every migration")?;
        }
    }
    Ok(())
}

// [demo:products begin]
/// `app seed`: makes `products` demo products exist.
pub async fn seed(
    db: &DatabaseConnection,
    products: u64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = db::products::seed_demo(db, products)
        .await
        .context("seeding products")?;
    writeln!(
        out,
        "products: {} inserted, {} already present ({:.2} s)",
        report.inserted,
        report.already_present,
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
// [demo:products end]

/// `app jobs ...`: the same operations as the `/jobs` dashboard.
pub async fn jobs(
    db: &DatabaseConnection,
    action: JobsAction,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let queue = jobs::Queue::new(db.clone(), db::Hub::new(db.clone(), crate::HUB_CAPACITY));
    match action {
        JobsAction::List { state, kind, limit } => {
            let counts = queue.counts().await?;
            let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
            writeln!(out, "{}", summary.join(" · "))?;
            let filter = jobs::ListFilter {
                states: state.into_iter().collect(),
                kind,
                limit,
            };
            let listed = queue.list(&filter).await?;
            if listed.is_empty() {
                writeln!(out, "no jobs match")?;
            }
            for job in listed {
                writeln!(
                    out,
                    "{:>8}  {:<9}  {:<24} attempt {}/{}  run at {}{}",
                    job.id,
                    job.state.as_str(),
                    job.kind,
                    job.attempts,
                    job.max_attempts,
                    job.run_at.format("%Y-%m-%d %H:%M:%S"),
                    job.last_error
                        .map(|e| format!("  error: {}", e.lines().next().unwrap_or_default()))
                        .unwrap_or_default()
                )?;
            }
        }
        JobsAction::Show { id } => {
            let job = queue.get(id).await?;
            writeln!(out, "{}", serde_json::to_string_pretty(&job)?)?;
        }
        JobsAction::Retry { id } => {
            let job = queue.retry(id).await?;
            writeln!(out, "job {} ({}) is queued again", job.id, job.kind)?;
        }
        JobsAction::Cancel { id } => {
            let job = queue.cancel(id).await?;
            writeln!(out, "job {} ({}) is cancelled", job.id, job.kind)?;
        }
        JobsAction::Purge { older_than_days } => {
            let before = chrono::Utc::now() - chrono::Duration::days(i64::from(older_than_days));
            let deleted = queue.purge(before).await?;
            writeln!(
                out,
                "deleted {deleted} finished job(s) older than {older_than_days} day(s)"
            )?;
        }
    }
    Ok(())
}

/// `app check --health`: `GET /health` from the server this configuration describes (on
/// loopback when it listens on every address), with the `Host` it answers to; `Ok` only for a
/// 200 within 5 s. Plain HTTP/1.1 over a socket: the runtime image has no HTTP client.
pub async fn check_health(config: &Config) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let mut addr = config.addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    // A host the allowlist accepts (a `.domain` entry stands for the domain itself).
    let host = config
        .web
        .security
        .allowed_hosts
        .iter()
        .find(|h| h.as_str() != "*")
        .map_or_else(
            || addr.to_string(),
            |h| h.trim_start_matches('.').to_owned(),
        );
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("nothing answers on {addr}"))?;
        let request = format!("GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = vec![0_u8; 64];
        let read = stream.read(&mut head).await?;
        let status_line = String::from_utf8_lossy(&head[..read]);
        let status = status_line.split(' ').nth(1).unwrap_or_default().to_owned();
        anyhow::ensure!(
            status == "200",
            "GET http://{addr}/health answered {status:?}"
        );
        Ok(())
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), ask)
        .await
        .with_context(|| format!("GET http://{addr}/health took over 5 s"))?
}
