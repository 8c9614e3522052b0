//! The database schema, as an ordered list of reversible migrations.
//!
//! `app migrate up|down|status|fresh` drives these, and `app serve` applies pending ones at start.
//! Each migration is a file named `mYYYYMMDD_NNNNNN_what.rs` and must work on SQLite and
//! PostgreSQL alike: build statements with sea-query, not raw SQL, unless a comment says why.

pub use sea_orm_migration::{MigrationStatus, prelude::*};

// The engine's tables: users and their credentials, the audit log, the job queue.
mod m20261121_000001_create_users;
mod m20261121_000002_create_audit_log;
mod m20261121_000003_create_jobs;
// Yours (and the demos'), one line each here and in the list below, oldest first.
mod m20261121_000004_create_products; // [demo:products]
mod m20261121_000005_create_product_images; // [demo:images]
mod m20261121_000006_create_chat; // [demo:chat]
mod m20261129_000007_index_jobs_by_unique_key;
mod m20261129_000008_account_tokens;
mod m20261130_000009_users_is_active;
// [generate:migration-mod]

/// Every migration of the app, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_users::Migration),
            Box::new(m20261121_000002_create_audit_log::Migration),
            Box::new(m20261121_000003_create_jobs::Migration),
            Box::new(m20261121_000004_create_products::Migration), // [demo:products]
            Box::new(m20261121_000005_create_product_images::Migration), // [demo:images]
            Box::new(m20261121_000006_create_chat::Migration),     // [demo:chat]
            Box::new(m20261129_000007_index_jobs_by_unique_key::Migration),
            Box::new(m20261129_000008_account_tokens::Migration),
            Box::new(m20261130_000009_users_is_active::Migration),
            // [generate:migration]
        ]
    }
}
