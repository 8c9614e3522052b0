//! The command line: `app [serve] | worker | jobs ... | migrate ... | seed | check`.

use clap::{Parser, Subcommand};

/// The async full-stack starter: web server, migrations, seed data and config checks in one binary.
///
/// Configuration comes from environment variables and an optional `.env` file; see
/// `.env.example` or run `app check`.
#[derive(Debug, Parser)]
#[command(name = "app", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write new code from templates, registered where it belongs: `app generate resource NAME
    /// field:type…`, `app generate job NAME`, `app generate migration NAME`. Run it from the
    /// project's root folder.
    Generate {
        /// List what would be written and edited, and change nothing.
        #[arg(long, global = true)]
        dry_run: bool,
        #[command(subcommand)]
        what: GenerateWhat,
    },
    /// Run the web server (the default). Applies pending migrations first unless
    /// APP_MIGRATE_ON_START=false.
    Serve,
    /// Apply, roll back or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    // [demo:products begin]
    /// Insert demo data. Running it again adds only what is missing.
    Seed {
        /// How many demo products should exist.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
        products: u64,
    },
    // [demo:products end]
    /// Run background jobs only (no HTTP server) until SIGTERM/SIGINT. Applies pending
    /// migrations first unless APP_MIGRATE_ON_START=false.
    Worker,
    /// Inspect and steer background jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Print the effective configuration (secrets hidden) and exit non-zero if it is invalid.
    Check {
        /// Also list everything that is wrong with this configuration for production, and exit
        /// non-zero if anything is.
        #[arg(long)]
        deploy: bool,
        /// Instead, ask the running server on APP_ADDR for `GET /health` and exit 0 only if it
        /// answers 200 within 5 s: a container's health check (the image has no HTTP client).
        #[arg(long, conflicts_with = "deploy")]
        health: bool,
    },
    /// Create an administrator. The password is read from a prompt, or from standard input when
    /// that is not a terminal (`echo "$PASSWORD" | app createsuperuser --email ...`); never from
    /// the command line, where other users and shell history would see it.
    Createsuperuser {
        #[arg(long)]
        email: String,
    },
    /// Create, list and revoke API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Create a token for a user and print it (only this once) on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "ci" or "laptop".
        #[arg(long)]
        name: String,
    },
    /// A user's tokens (never the tokens themselves).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by id (see `app token list`).
    Revoke {
        #[arg(long)]
        email: String,
        id: i64,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum JobsAction {
    /// Counts by state, then the newest jobs.
    List {
        /// Only jobs in this state (queued, running, succeeded, retrying, dead, cancelled).
        #[arg(long, value_parser = parse_state)]
        state: Option<jobs::State>,
        /// Only jobs of this kind (e.g. account_email).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
    },
    /// Everything about one job, as JSON.
    Show { id: i64 },
    /// Run a dead, cancelled or retrying job again now, with fresh attempts.
    Retry { id: i64 },
    /// Cancel a job that has not started.
    Cancel { id: i64 },
    /// Delete finished jobs (succeeded, dead, cancelled) older than some days.
    Purge {
        #[arg(long, default_value_t = 7)]
        older_than_days: u32,
    },
}

fn parse_state(raw: &str) -> Result<jobs::State, String> {
    jobs::State::parse(raw).ok_or_else(|| {
        let states: Vec<&str> = jobs::State::ALL.iter().map(|s| s.as_str()).collect();
        format!(
            "`{raw}` is not a job state: use one of {}",
            states.join(", ")
        )
    })
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the most recent migration(s).
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List each migration and whether it is applied.
    Status,
    /// Drop every table, then apply all migrations: all data is lost.
    Fresh {
        /// Required in production, where this would wipe the live database.
        #[arg(long)]
        yes: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve() {
        let cli = Cli::try_parse_from(["app"]).unwrap();
        assert!(cli.command.is_none());
    }

    #[test]
    fn jobs_list_checks_the_state() {
        let ok = Cli::try_parse_from(["app", "jobs", "list", "--state", "dead"]).unwrap();
        assert!(matches!(
            ok.command,
            Some(Command::Jobs {
                action: JobsAction::List {
                    state: Some(jobs::State::Dead),
                    ..
                }
            })
        ));
        let err = Cli::try_parse_from(["app", "jobs", "list", "--state", "zombie"]).err();
        assert!(err.is_some_and(|e| e.to_string().contains("not a job state")));
    }

    #[test]
    fn migrate_down_takes_a_step_count() {
        let cli = Cli::try_parse_from(["app", "migrate", "down", "--steps", "2"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Migrate {
                action: MigrateAction::Down { steps: 2 }
            })
        ));
    }
}

#[derive(Debug, Subcommand)]
pub enum GenerateWhat {
    /// A table with its pages, JSON API, queries and tests, e.g. `app generate resource orders
    /// customer:string total_cents:bigint note:text? paid:bool`.
    Resource {
        /// The table, plural snake_case, e.g. orders or line_items.
        name: String,
        /// `field:type`, type one of string, text, int, bigint, bool, float, date, datetime,
        /// uuid, references:OTHER; `?` after the type makes it optional, `:unique` unique.
        #[arg(required = true)]
        fields: Vec<String>,
    },
    /// A job kind in crates/jobs/src/kinds/NAME.rs, registered with the worker, and its test.
    Job {
        /// snake_case, e.g. send_report.
        name: String,
    },
    /// An empty migration, migrations/src/mYYYYMMDD_NNNNNN_NAME.rs, registered last.
    Migration {
        /// snake_case, e.g. add_totals_to_orders.
        name: String,
    },
}
