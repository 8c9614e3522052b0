//! The HTTP layer: router, middleware, handlers and views.
//!
//! This is the only crate that knows about axum and Tera, and the only one that turns errors into
//! responses ([`Error`]). Handlers are thin: they parse input into validated types, call `db`
//! (or `api-client`, `jobs`), and render JSON or a template.

pub mod auth;
pub mod chat; // [demo:chat]
mod config;
mod dates;
mod deadline;
mod error;
mod extract;
pub mod fields;
mod files;
mod finish;
#[cfg(feature = "fixtures")]
mod fixtures;
pub mod forwarded;
pub mod listing;
pub mod metered;
mod middleware;
pub mod openapi;
mod page;
mod problem;
pub mod refreshed;
mod request_metrics;
mod router;
mod routes;
mod server;
mod shutdown;
mod state;
mod templates;
pub mod upload;

pub use chat::ChatConfig; // [demo:chat]
pub use config::{
    AccountsConfig, EmailVerification, SECURE_SESSION_COOKIE, SESSION_COOKIE, SecurityConfig,
    ServerConfig, UploadConfig, WebConfig,
};
pub use error::{Error, Result};
pub use router::build as build_router;
pub use server::serve;
pub use shutdown::Shutdown;
pub use state::{AppState, Parts as AppStateParts};
pub use templates::Templates;
