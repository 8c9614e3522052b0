//! Typed clients for the external HTTP APIs the app calls.
//!
//! One shared [`reqwest::Client`] (pooled connections, rustls on ring, gzip, timeouts, a user
//! agent naming the app) carries every upstream; each upstream gets a thin typed module on top.
//! Errors are classified so the web layer can answer 404, 429, 503, 504 or 502 without knowing
//! reqwest. This crate knows nothing of axum.
//!
//! The engine ([`Upstream`], its [`policy`], the config) is the same for every app; the typed
//! clients in [`clients`] are yours: one module per upstream, registered in `clients/mod.rs`.

pub mod clients;
mod config;
mod error;
pub mod policy;
mod upstream;

pub use clients::{ApiClients, UPSTREAMS};
pub use config::{ApiClientConfig, UpstreamConfig, UpstreamSpec, UpstreamVars};
pub use error::{Error, Result};
pub use upstream::{Upstream, UpstreamPolicy};

/// The one outbound HTTP client. Installs ring as rustls' process-wide crypto provider first:
/// reqwest is built without a provider of its own so the graph has exactly one (see
/// ARCHITECTURE.md, "One TLS stack").
fn http_client(config: &ApiClientConfig) -> Result<reqwest::Client> {
    // Err only means a provider is already installed (by `app` at start-up): fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(config.user_agent.as_str())
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .build()
        .map_err(Error::Build)
}
