//! Accounts: signup, login, logout, password change and API tokens, as HTML forms (`pages`) and
//! JSON endpoints under `/api/auth` (`api`), both on the functions below.

mod api;
mod pages;

use std::net::IpAddr;

use axum::Router;
use db::{
    FieldErrors,
    users::{self, Email, User},
};
use tower_sessions::Session;

use crate::{
    AppState, Error, Result,
    auth::{
        password::{self, Password, Verified},
        rate_limit, session, tokens,
    },
};

pub(crate) fn router() -> Router<AppState> {
    Router::new().merge(pages::router()).merge(api::router())
}

/// Why an account action did not happen: field errors to show beside the form, credentials
/// that did not match (a form error on the page, a 401 for the API), or a failure to report.
enum Refused {
    Fields(FieldErrors),
    WrongCredentials,
    Other(Error),
}

impl From<Error> for Refused {
    fn from(err: Error) -> Self {
        Self::Other(err)
    }
}

impl From<db::Error> for Refused {
    fn from(err: db::Error) -> Self {
        Self::Other(err.into())
    }
}

/// How the JSON endpoints answer a refusal: 422 with the field errors, or 401.
impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Fields(errors) => Self::Validation(errors),
            Refused::WrongCredentials => Self::Unauthorized(WRONG_CREDENTIALS.into()),
            Refused::Other(err) => err,
        }
    }
}

const WRONG_CREDENTIALS: &str = "The email or password is wrong.";

fn rate_keys(ip: Option<IpAddr>, email: &str) -> Vec<String> {
    let ip = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let account = email.trim().to_lowercase();
    vec![format!("ip:{ip}"), format!("account:{account}")]
}

/// Creates an account and signs it in on `session`.
async fn sign_up(
    state: &AppState,
    session: &Session,
    ip: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<User, Refused> {
    rate_limit::check(state, "signup", &rate_keys(ip, email)).await?;
    let mut errors = FieldErrors::new();
    let email = Email::parse(email).map_err(|m| errors.add("email", m));
    let password = Password::new(password).map_err(|m| errors.add("password", m));
    let (Ok(email), Ok(password)) = (email, password) else {
        return Err(Refused::Fields(errors));
    };
    let hash = password::hash(&state.offload, password).await?;
    let user = match users::create(&state.db, &email, &hash, false).await {
        Ok(user) => user,
        Err(db::Error::Conflict(_)) => {
            errors.add("email", "already has an account: sign in instead");
            return Err(Refused::Fields(errors));
        }
        Err(other) => return Err(other.into()),
    };
    session::log_in(session, user.id).await?;
    tracing::info!(user_id = user.id, "account created");
    Ok(user)
}

/// Checks an email and password and signs the user in on `session`. Every attempt counts
/// against the client's IP and the account; an unknown email costs as much as a known one.
async fn log_in(
    state: &AppState,
    session: &Session,
    ip: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<User, Refused> {
    rate_limit::check(state, "login", &rate_keys(ip, email)).await?;
    let user = match Email::parse(email) {
        Ok(email) => users::find_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = password::verify(&state.offload, stored, Password::attempt(password)).await?;
    let user = match (user, verified) {
        (Some(user), Verified::Yes | Verified::YesRehash) => user,
        _ => {
            tracing::info!("login refused");
            return Err(Refused::WrongCredentials);
        }
    };
    if verified == Verified::YesRehash {
        // The password is at hand only now: store a hash with today's parameters.
        let hash = password::hash(&state.offload, Password::attempt(password)).await?;
        users::set_password_hash(&state.db, user.id, &hash).await?;
        tracing::info!(user_id = user.id, "password hash upgraded");
    }
    session::log_in(session, user.id).await?;
    tracing::info!(user_id = user.id, "signed in");
    Ok(user)
}

/// Changes a password after checking the current one, ends the user's other sessions and
/// revokes all of the user's API tokens.
async fn change_password(
    state: &AppState,
    session: &Session,
    user_id: i64,
    current: &str,
    new: &str,
) -> Result<(), Refused> {
    let mut errors = FieldErrors::new();
    let new = Password::new(new).map_err(|m| errors.add("new_password", m));
    let user = users::get(&state.db, user_id).await?;
    let verified = password::verify(
        &state.offload,
        Some(user.password_hash),
        Password::attempt(current),
    )
    .await?;
    if verified == Verified::No {
        errors.add("current_password", "is not your current password");
    }
    let Ok(new) = new else {
        return Err(Refused::Fields(errors));
    };
    if !errors.is_empty() {
        return Err(Refused::Fields(errors));
    }
    let hash = password::hash(&state.offload, new).await?;
    // Whoever knew the old password may hold a session or have made a token: the new password,
    // the end of the other sessions and of every API token commit together.
    let keep = session.id().map(|id| id.to_string());
    let txn = db::begin_write(&state.db).await?;
    users::set_password_hash(&txn, user_id, &hash).await?;
    let ended = db::sessions::delete_for_user(&txn, user_id, keep.as_deref()).await?;
    let revoked = db::api_tokens::revoke_all_for_user(&txn, user_id).await?;
    txn.commit().await.map_err(db::Error::from)?;
    state.tokens().forget_all();
    tracing::info!(
        user_id,
        other_sessions_ended = ended,
        tokens_revoked = revoked,
        "password changed"
    );
    Ok(())
}

/// A new API token for `user_id`: the token (to show once) and its stored row.
async fn create_token(
    state: &AppState,
    user_id: i64,
    name: &str,
) -> Result<(String, db::api_tokens::ApiToken), Refused> {
    let name = db::api_tokens::parse_name(name).map_err(|m| {
        let mut errors = FieldErrors::new();
        errors.add("name", m);
        Refused::Fields(errors)
    })?;
    Ok(tokens::issue(&state.db, user_id, &name).await?)
}

/// Revokes one of a user's tokens; this replica stops accepting it at once (others within a
/// second, see `auth::TokenCache`).
async fn revoke_token(state: &AppState, user_id: i64, id: i64) -> Result<()> {
    db::api_tokens::revoke(&state.db, user_id, id).await?;
    state.tokens().forget_all();
    tracing::info!(user_id, token_id = id, "API token revoked");
    Ok(())
}
