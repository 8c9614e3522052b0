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
    if let Some(Command::Check { deploy: true, .. }) = cli.command {
        return check_deploy();
    }
    if let Some(Command::Generate { dry_run, what }) = &cli.command {
        return match app::generate::run(what, *dry_run, &mut std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::from(2)
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}\n\nSee .env.example for every variable, or run `app check`.");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Check { health: true, .. }) = cli.command {
        return match commands::check_health(&config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("unhealthy: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::Check { .. }) = cli.command {
        return check(&config);
    }
    let telemetry = telemetry::init(&config.log_filter, config.log_format, config.otlp.as_ref());
    let result = run(cli.command.unwrap_or(Command::Serve), &config).await;
    telemetry.shutdown().await;
    match result {
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
        // Handled before the configuration is read (it needs none); the same here.
        Command::Generate { dry_run, what } => app::generate::run(&what, dry_run, &mut out)?,
        Command::Serve | Command::Check { .. } => {
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
        Command::Createsuperuser { email } => {
            // Read before connecting, so a prompt is not kept waiting on the database.
            let password = app::accounts::read_new_password()?;
            let db = commands::connect(config).await?;
            app::accounts::create_superuser(&db, &email, password, &mut out).await?;
        }
        Command::Token { action } => {
            let db = commands::connect(config).await?;
            app::accounts::token(&db, action, &mut out).await?;
        }
        // [demo:products begin]
        Command::Seed { products } => {
            let db = commands::connect(config).await?;
            commands::seed(&db, products, &mut out).await?;
        } // [demo:products end]
    }
    Ok(())
}

/// `app check --deploy`: the configuration, then every problem it has (invalid values and what
/// is unfit for production); non-zero if there is any.
fn check_deploy() -> ExitCode {
    let (config, mut problems) = match Config::from_env_with_errors() {
        Ok(read) => read,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    // A variable whose value is already reported invalid is not reported twice.
    let variable = |line: &str| line.split([':', ' ']).next().unwrap_or_default().to_owned();
    let invalid: Vec<String> = problems.iter().map(|p| variable(p)).collect();
    for problem in app::config::deploy_problems(&config) {
        if !invalid.contains(&variable(&problem)) {
            problems.push(problem);
        }
    }
    let mut out = std::io::stdout().lock();
    let mut report = config.describe();
    if problems.is_empty() {
        report.push_str("deploy check: no problems found\n");
    } else {
        report.push_str(&format!(
            "deploy check: {} problem(s):\n  - {}\n",
            problems.len(),
            problems.join("\n  - ")
        ));
    }
    let printed = write!(out, "{report}");
    if problems.is_empty() && printed.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
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
