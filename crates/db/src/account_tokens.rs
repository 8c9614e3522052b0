//! Single-use account links (confirm an address, reset a password): created with a lifetime,
//! looked up by the SHA-256 of the token in the link, used at most once. Generating and hashing
//! tokens is the caller's job, as for API tokens.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};

use crate::{
    Result, Writer,
    entities::account_token::{self, Column, Entity as AccountTokens},
};

pub use crate::entities::account_token::Model as AccountToken;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

/// Stores a new link for `user_id`, mailed to `email`, usable until `now + lifetime`.
pub async fn create(
    db: &impl Writer,
    user_id: i64,
    purpose: Purpose,
    token_hash: &str,
    email: &str,
    lifetime: TimeDelta,
) -> Result<AccountToken> {
    let now = crate::now();
    let row = account_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token_hash.to_owned()),
        email: Set(email.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        used_at: Set(None),
        ..Default::default()
    };
    let _turn = db.write_turn().await?;
    Ok(AccountTokens::insert(row).exec_with_returning(db).await?)
}

/// The link for `token_hash` if it is for `purpose`, unused and unexpired (a page showing the
/// form the link leads to; using it is [`consume`]).
pub async fn find_usable(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<AccountToken>> {
    Ok(AccountTokens::find()
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::Purpose.eq(purpose.as_str()))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(crate::now()))
        .one(db)
        .await?)
}

/// Uses the link for `token_hash`: marks it used and returns it, if it is for `purpose`,
/// unused and unexpired; `None` otherwise. The mark is one conditional `UPDATE`, so of two
/// uses at the same moment exactly one gets the row.
pub async fn consume(
    db: &impl Writer,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<AccountToken>> {
    let now = crate::now();
    let _turn = db.write_turn().await?;
    let marked = AccountTokens::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::Purpose.eq(purpose.as_str()))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected;
    if marked != 1 {
        return Ok(None);
    }
    Ok(AccountTokens::find()
        .filter(Column::TokenHash.eq(token_hash))
        .one(db)
        .await?)
}

/// Ends every unused link of `purpose` a user holds (a reset ends the other reset links).
pub async fn revoke_for_user(db: &impl Writer, user_id: i64, purpose: Purpose) -> Result<u64> {
    let _turn = db.write_turn().await?;
    Ok(AccountTokens::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Purpose.eq(purpose.as_str()))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes links that expired before `before` (used or not); returns how many.
pub async fn delete_expired(db: &impl Writer, before: DateTime<Utc>) -> Result<u64> {
    let _turn = db.write_turn().await?;
    Ok(AccountTokens::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
