//! The data layer: connections, entities, queries and transactions.
//!
//! Query functions take `&impl ConnectionTrait` (reads) or `&impl Writer` (writes, atomic in a
//! transaction from [`begin_write`]), so the caller decides whether they run on the pool or inside
//! a transaction it already holds. This crate knows nothing of HTTP: it returns [`Error`], which classifies what
//! went wrong, and `web` decides what that means for a response.

pub mod account_tokens;
mod actor;
pub mod admin;
pub mod api_tokens;
pub mod audit;
pub mod chat; // [demo:chat]
mod config;
mod connect;
pub mod entities;
mod error;
#[cfg(feature = "fixtures")]
pub mod fixtures;
mod hub;
pub mod list;
pub mod product_images; // [demo:images]
pub mod products; // [demo:products]
pub mod rate_limits;
mod reads;
pub mod sessions;
mod transaction;
pub mod users;
pub mod validation;
// [generate:resource-mod]

pub use actor::Actor;
pub use config::{DbConfig, with_database_name};
pub use connect::{Backend, connect, ping};
pub use error::{Error, Result};
pub use hub::{Hub, MAX_PAYLOAD as HUB_MAX_PAYLOAD, Subscription, notify_expression};
pub use reads::{PoolStats, Read, Reads};
pub use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait,
};
pub use tokio::sync::broadcast::error::RecvError as HubRecvError;
pub use transaction::{WriteTransaction, WriteTurn, Writer, begin_write};
pub use validation::{FieldError, FieldErrors};

/// The current time at the precision both databases store (microseconds), so a row returned
/// from a write equals the same row read back later.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
