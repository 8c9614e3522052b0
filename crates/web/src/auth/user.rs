//! The user a request is made by, and how it proved who it is.

use serde::Serialize;

/// How the current request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    Session,
    Token,
}

/// The user making the request.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub is_admin: bool,
    /// Whether the owner confirmed the address by the link mailed to it.
    pub email_verified: bool,
    pub via: AuthMethod,
}

impl CurrentUser {
    /// The user as the maker of a change (ownership checks, audit rows).
    pub fn actor(&self) -> db::Actor {
        db::Actor {
            user_id: self.id,
            is_admin: self.is_admin,
        }
    }

    pub(super) fn new(user: db::users::User, via: AuthMethod) -> Self {
        Self {
            id: user.id,
            email: user.email,
            is_admin: user.is_admin,
            email_verified: user.email_verified_at.is_some(),
            via,
        }
    }
}
