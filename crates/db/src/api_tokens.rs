//! API tokens: created for a user, looked up by the SHA-256 of what the client sends, revoked by
//! deleting the row. Generating and hashing tokens is the caller's job.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use crate::{
    Error, Result, Writer,
    entities::api_token::{self, Column, Entity as ApiTokens},
    users::User,
};

pub use crate::entities::api_token::Model as ApiToken;

/// The longest token name accepted.
pub const NAME_MAX_CHARS: usize = 100;

/// `last_used_at` is refreshed at most this often, so a busy token is not a write per request.
const LAST_USED_GRANULARITY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// A token name: trimmed, 1 to [`NAME_MAX_CHARS`] characters, no control characters.
pub fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err("give the token a name, like \"laptop\" or \"ci\"".into());
    }
    if chars > NAME_MAX_CHARS {
        return Err(format!("must be at most {NAME_MAX_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name.to_owned())
}

pub async fn create(
    db: &impl Writer,
    user_id: i64,
    name: &str,
    token_hash: &str,
    prefix: &str,
) -> Result<ApiToken> {
    let row = api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash.to_owned()),
        prefix: Set(prefix.to_owned()),
        created_at: Set(crate::now()),
        last_used_at: Set(None),
        ..Default::default()
    };
    let _turn = db.write_turn().await?;
    Ok(ApiTokens::insert(row).exec_with_returning(db).await?)
}

/// The user a token hash belongs to (one query, token and user joined), recording the use
/// coarsely. A deactivated account's tokens authenticate no one (deactivating also revokes them:
/// this covers a token checked in between).
pub async fn authenticate(db: &impl Writer, token_hash: &str) -> Result<Option<User>> {
    let found = ApiTokens::find()
        .filter(Column::TokenHash.eq(token_hash))
        .find_also_related(crate::entities::user::Entity)
        .one(db)
        .await?;
    let Some((token, Some(user))) =
        found.filter(|(_, user)| user.as_ref().is_some_and(|u| u.is_active))
    else {
        return Ok(None);
    };
    let now = crate::now();
    if token
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
    {
        touch(db, token.id, now).await?;
    }
    Ok(Some(user))
}

async fn touch(db: &impl Writer, id: i64, now: DateTime<Utc>) -> Result<()> {
    let _turn = db.write_turn().await?;
    ApiTokens::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A user's tokens, newest first.
pub async fn list_for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<ApiToken>> {
    Ok(ApiTokens::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_desc(Column::Id)
        .all(db)
        .await?)
}

/// Revokes one of a user's tokens; another user's token id is [`Error::NotFound`].
pub async fn revoke(db: &impl Writer, user_id: i64, id: i64) -> Result<()> {
    let _turn = db.write_turn().await?;
    let deleted = ApiTokens::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(Error::NotFound {
            entity: "API token",
            id,
        });
    }
    Ok(())
}

/// Revokes every token of a user (a password change ends them all); returns how many.
pub async fn revoke_all_for_user(db: &impl Writer, user_id: i64) -> Result<u64> {
    let _turn = db.write_turn().await?;
    Ok(ApiTokens::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}
