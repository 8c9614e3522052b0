//! Users: a validated [`Email`] and the queries on `users`. Password hashing is not done here
//! (it is CPU work, done by the caller off the async runtime); this module stores the hash.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::Expr,
};

use crate::{
    Error, Result, Writer,
    entities::user::{self, Column, Entity as Users},
};

pub use crate::entities::user::Model as User;

/// The longest address accepted (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;

/// An email address: trimmed, lower-cased, one `@` with text on both sides, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("enter an email address".into());
        }
        if email.chars().count() > EMAIL_MAX_CHARS {
            return Err(format!("must be at most {EMAIL_MAX_CHARS} characters"));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
        if !valid || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("\"{}\" is not an email address", raw.trim()));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Creates a user. An email that is taken gives [`Error::Conflict`].
pub async fn create(
    db: &impl Writer,
    email: &Email,
    password_hash: &str,
    is_admin: bool,
) -> Result<User> {
    let now = crate::now();
    let row = user::ActiveModel {
        email: Set(email.0.clone()),
        password_hash: Set(password_hash.to_owned()),
        is_admin: Set(is_admin),
        is_active: Set(true),
        email_verified_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let _turn = db.write_turn().await?;
    match Users::insert(row).exec_with_returning(db).await {
        Ok(user) => Ok(user),
        Err(err) => match Error::from(err) {
            Error::Conflict(_) => Err(Error::Conflict(format!(
                "an account with {} already exists",
                email.0
            ))),
            other => Err(other),
        },
    }
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &Email) -> Result<Option<User>> {
    Ok(Users::find()
        .filter(Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<User> {
    Users::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound { entity: "user", id })
}

/// Replaces a user's password hash (a password change, or a rehash with newer parameters).
pub async fn set_password_hash(db: &impl Writer, id: i64, password_hash: &str) -> Result<()> {
    let _turn = db.write_turn().await?;
    let result = Users::update_many()
        .col_expr(Column::PasswordHash, Expr::value(password_hash))
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound { entity: "user", id });
    }
    Ok(())
}

/// Records that the owner of `email` confirmed it for user `id` (no change if the user's address
/// is another by now, or was confirmed already). Returns whether it changed.
pub async fn mark_verified(db: &impl Writer, id: i64, email: &str) -> Result<bool> {
    let _turn = db.write_turn().await?;
    let result = Users::update_many()
        .col_expr(Column::EmailVerifiedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Email.eq(email))
        .filter(Column::EmailVerifiedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(Users::find().count(db).await?)
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.0),
            Ok("ada@example.com".to_owned())
        );
    }

    #[test]
    fn anything_that_is_not_an_address_is_refused() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a@b@c",
            "ada @example.com",
            "ada@.com",
            "' OR 1=1 --",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
