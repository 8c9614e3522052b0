//! The `sessions` table: server-side session records.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// The random id the cookie carries.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The signed-in user, if any (also inside `data`; kept here to end a user's sessions).
    pub user_id: Option<i64>,
    /// The session's values as a JSON object.
    pub data: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
