//! Background jobs on the app's own database: no broker.
//!
//! - [`Queue`] puts jobs in the `jobs` table, on the pool or inside the caller's transaction
//!   (commit = enqueued, rollback = no job), now or at a time, once per unique key.
//! - [`Runner`] is a worker: it claims due jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL), runs
//!   them concurrently under a lease kept alive by a heartbeat, retries failures with backoff
//!   until `dead`, fires cron schedules exactly once per tick, and on shutdown gives back what
//!   it could not finish.
//! - [`kinds`] holds the app's job types, one file each, and [`Services`] what they run with.
//!
//! ARCHITECTURE.md ("Background jobs") explains the design and why it is built here.

mod admin;
mod clock;
mod error;
mod job;
pub mod kinds;
pub mod mailer;
mod notify;
pub mod progress;
mod queue;
mod runner;
pub mod schedule;
mod services;
mod sql;

pub use admin::{JobRecord, ListFilter, exists};
pub use backoff::Backoff;
pub use clock::Clock;
pub use error::{BoxError, Error, Permanent, Result, permanent};
pub use job::{Job, JobContext, State};
pub use mailer::{Email, Mailer};
pub use progress::Progress;
pub use queue::{Enqueued, Queue};
pub use runner::RETRY_BACKOFF;
pub use runner::{Drained, Runner, WorkerConfig};
pub use services::Services;
