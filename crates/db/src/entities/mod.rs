//! sea-orm entities: one file per table, mirroring `migrations/`.

pub mod api_token;
pub mod audit_log;
pub mod product;
pub mod rate_limit;
pub mod session;
pub mod user;
