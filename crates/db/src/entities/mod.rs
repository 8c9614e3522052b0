//! sea-orm entities: one file per table, mirroring `migrations/`.

pub mod audit_log;
pub mod product;
