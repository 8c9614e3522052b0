//! The `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased: emails are unique regardless of case.
    #[sea_orm(unique)]
    pub email: String,
    /// A PHC string (`$argon2id$v=19$m=...`); never leaves the server (nor any serialised row:
    /// an admin page, an export, an audit entry).
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub is_admin: bool,
    /// `false` once an administrator deactivated the account: it cannot sign in, its sessions
    /// and API tokens are gone, and what it owns stays.
    pub is_active: bool,
    /// When the owner followed the link mailed to the address; `None` until then.
    pub email_verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
