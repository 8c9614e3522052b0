//! Browser tests: the pages as a person uses them, in Debian's Chromium driven over WebDriver
//! (fantoccini), at desktop (1280×800) and phone (390×844) sizes.
//!
//! `just e2e` installs what they need (chromium, chromium-driver, axe-core from npm) and runs
//! them: `cargo test -p app --features e2e --test e2e`. `TEST_DATABASE_URL` runs them on
//! PostgreSQL, as for the integration tests. A failed test leaves each browser's screenshot and
//! page source under `target/e2e/<test>/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    missing_debug_implementations,
    reason = "test code: a failed expectation is a failed test"
)]

mod browser;
mod harness;
#[path = "../it/helpers/mod.rs"]
#[allow(
    dead_code,
    unused_imports,
    reason = "the integration tests' harness; these tests use part of it"
)]
mod helpers;

mod accounts;
mod admin;
mod chat; // [demo:chat]
mod images; // [demo:images]
mod jobs;
mod pages;
mod products; // [demo:products]
mod todos; // [demo:todos]
mod visitor;
