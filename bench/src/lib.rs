//! Pieces shared by the bench binaries. The binaries:
//!
//! - `bench`: the orchestrator behind `just bench` (see its `--help`);
//! - `mock-upstream`: a JSONPlaceholder-shaped todos API that answers after a fixed delay;
//! - the upload row (`upload`) streams 200 MB through the image upload and watches memory;
//! - the memory rows (`memory`) sign in 200 times at once and hold 5,000 idle WebSockets;
//! - `bare-baseline`: the smallest axum server that does the same reads with raw sqlx, the
//!   physical limit of this stack on this machine.

pub mod app_env;
pub mod jobs;
pub mod loads;
pub mod memory;
pub mod pg;
pub mod proc_stats;
pub mod report;
pub mod scale;
pub mod servers;
pub mod upload;
pub mod wrk;
