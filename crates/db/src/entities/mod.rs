//! sea-orm entities: one file per table, mirroring `migrations/`.

pub mod account_token;
pub mod api_token;
pub mod audit_log;
pub mod chat_message; // [demo:chat]
pub mod chat_presence; // [demo:chat]
pub mod product; // [demo:products]
pub mod product_image; // [demo:images]
pub mod rate_limit;
pub mod session;
pub mod user;
// [generate:entity-mod]
