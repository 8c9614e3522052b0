//! `app`: the one binary. See `app --help`.

use std::{io::Write, process::ExitCode};

use app::{
    Application, Config,
    cli::{Cli, Command, MigrateAction},
    commands, shutdown_signal, telemetry,
};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}\n\nSee .env.example for every variable, or run `app check`.");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Check) = cli.command {
        return check(&config);
    }
    telemetry::init(&config.log_filter, config.log_format);
    match run(cli.command.unwrap_or(Command::Serve), &config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: &Config) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Serve | Command::Check => {
            drop(out);
            // Before anything slow, so a signal during start-up stops us cleanly.
            let shutdown = shutdown_signal();
            let app = Application::build(config).await?;
            tracing::info!(
                env = %config.env,
                database = %config.db.redacted_url(),
                "listening on http://{}",
                app.addr()
            );
            app.run_until_stopped(shutdown).await?;
            tracing::info!("stopped");
        }
        Command::Worker => {
            drop(out);
            let shutdown = shutdown_signal();
            let db = commands::connect(config).await?;
            if config.migrate_on_start {
                commands::migrate(config, &db, MigrateAction::Up, &mut std::io::sink()).await?;
            }
            app::worker::run_standalone(config, db, shutdown).await?;
        }
        Command::Jobs { action } => {
            let db = commands::connect(config).await?;
            commands::jobs(&db, action, &mut out).await?;
        }
        Command::Migrate { action } => {
            let db = commands::connect(config).await?;
            commands::migrate(config, &db, action, &mut out).await?;
        }
        Command::Seed { products } => {
            let db = commands::connect(config).await?;
            commands::seed(&db, products, &mut out).await?;
        }
    }
    Ok(())
}

/// `app check`: a valid config was loaded, so print it.
fn check(config: &Config) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let printed =
        write!(out, "{}", config.describe()).and_then(|()| writeln!(out, "configuration OK"));
    if printed.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
