//! The app's integration tests: one binary, many modules, each test with its own app and database.
//!
//! `cargo test --workspace` runs them on SQLite; with `TEST_DATABASE_URL=postgres://...` the same
//! tests run on PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    missing_debug_implementations,
    reason = "test code: a failed expectation is a failed test"
)]

mod admin;
mod admin_products; // [demo:products]
mod background_jobs;
mod cli;
mod demos;
mod deployment;
mod docs;
mod export; // [demo:export]
mod faults;
mod health;
mod helpers;
mod metrics;
mod middleware;
mod migrations;
mod openapi;
mod products_api; // [demo:products]
mod products_bad_input; // [demo:products]
mod products_jobs; // [demo:products]
mod products_list; // [demo:products]
mod products_pages; // [demo:products]
mod products_stats; // [demo:products]
mod reads;
pub(crate) mod realtime;
mod security;
mod server;
mod telemetry;
mod todos; // [demo:todos]
mod transactions;
// [generate:test-mod]
