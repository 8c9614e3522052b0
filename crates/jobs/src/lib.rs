//! Background jobs on the app's own database.
//!
//! The engine (a `jobs` table, transactional enqueue, workers with leases and retries, a cron
//! scheduler) lands with its own issue; see ARCHITECTURE.md for the design it will follow. The
//! crate exists now so the dependency graph (`app` → `web` → `jobs` → `db`) is fixed from the start.

/// The jobs crate's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] db::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
