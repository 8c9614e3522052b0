//! The deployable application: configuration, telemetry, the CLI, and [`Application`], which
//! wires `db`, `api-client`, `jobs` and `web` together.
//!
//! `main.rs` stays a few lines long so that tests boot exactly the code production runs:
//! `Application::build(&config)` then `run_until_stopped`.

pub mod accounts;
pub mod cli;
pub mod commands;
pub mod config;
pub mod generate;
pub mod metrics;
mod startup;
pub mod telemetry;
pub mod worker;

pub use config::{Config, Environment};
pub use startup::{Application, install_crypto_provider, shutdown_signal};

/// Hub messages a subscriber may fall behind by before it is told it lagged (a WebSocket may
/// keep a smaller outbound buffer of its own on top). Each topic with a subscriber holds this
/// many slots (tokio's broadcast allocates them up front, ~40 bytes each), and a topic per
/// visitor-chosen name (a room) is cheap only if this is: 1,024 made each topic cost 40 KB.
pub const HUB_CAPACITY: usize = 128;
