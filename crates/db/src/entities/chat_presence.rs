//! The `chat_presence` table: one row per open chat connection, on any replica.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_presence")]
pub struct Model {
    /// The connection's random id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub room: String,
    /// The signed-in user's display name; `None` for a guest (who may read, not post).
    pub name: Option<String>,
    /// Refreshed by the connection's keepalive; rows not seen for a while are gone replicas'.
    pub seen_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
