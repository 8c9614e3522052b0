//! What each CLI subcommand does, as functions tests can call directly.

use std::io::Write;

use anyhow::{Context, bail};
use db::DatabaseConnection;
use migration::{Migrator, MigratorTrait};

use crate::{Config, Environment, cli::MigrateAction, startup::install_crypto_provider};

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
