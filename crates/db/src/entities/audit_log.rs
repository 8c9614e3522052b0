//! The `audit_log` table: one row per change to an audited entity.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The table name of the changed row, e.g. `orders`.
    pub entity: String,
    pub entity_id: i64,
    /// `created`, `updated` or `deleted`.
    pub action: String,
    /// JSON: the row after creation, `{field: [old, new]}` for an update, the row before deletion.
    pub changes: String,
    pub created_at: DateTimeUtc,
    /// The user who made the change; `None` for the app's own writes (the demo seed).
    pub actor_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
