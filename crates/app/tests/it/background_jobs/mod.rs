//! Background jobs, on SQLite and on PostgreSQL: the engine (J1, J4–J8), draining at shutdown
//! (J3), real worker processes killed and stopped (J2, J3), and the app's own job types.

pub(crate) mod app_jobs;
mod drain;
mod engine;
mod processes;
mod support;
