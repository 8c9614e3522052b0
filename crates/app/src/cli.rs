//! The command line: `app [serve] | migrate | seed | check`.

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
    /// Run the web server (the default). Applies pending migrations first unless
    /// APP_MIGRATE_ON_START=false.
    Serve,
    /// Apply, roll back or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Insert demo data. Running it again adds only what is missing.
    Seed {
        /// How many demo products should exist.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
        products: u64,
    },
    /// Print the effective configuration (secrets hidden) and exit non-zero if it is invalid.
    Check,
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
        let cli = Cli::try_parse_from(["app"]).ok();
        assert!(cli.is_some_and(|c| c.command.is_none()));
    }

    #[test]
    fn migrate_down_takes_a_step_count() {
        let cli = Cli::try_parse_from(["app", "migrate", "down", "--steps", "2"]).ok();
        assert!(matches!(
            cli.and_then(|c| c.command),
            Some(Command::Migrate {
                action: MigrateAction::Down { steps: 2 }
            })
        ));
    }
}
