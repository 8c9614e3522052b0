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
use jobs::kinds::{AccountEmail, AccountNotice};
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

/// What a signup answers, whether the address was new or already had an account: the page
/// must not tell anyone which addresses are registered.
const SIGNUP_DONE: &str = "Check your inbox: we sent a message to the address you gave. If it had no account, \
     it has one now: sign in with the password you chose.";

/// The owner of a registered address hears about signup attempts at most this often.
const NOTICE_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Signs up: the same answer whether the address is new or not. A new address gets its account
/// and a welcome mail; an address that has one gets a mail telling its owner instead, so nobody
/// learns from the answer which addresses are registered (and both cost one password hash).
/// The new account is not signed in: that too would tell.
async fn sign_up(
    state: &AppState,
    ip: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<(), Refused> {
    rate_limit::check(state, "signup", &[rate_limit::client_key(ip)]).await?;
    let mut errors = FieldErrors::new();
    let email = Email::parse(email).map_err(|m| errors.add("email", m));
    let password = Password::new(password).map_err(|m| errors.add("password", m));
    let (Ok(email), Ok(password)) = (email, password) else {
        return Err(Refused::Fields(errors));
    };
    let hash = password::hash(&state.passwords, password).await?;
    let txn = db::begin_write(&state.db).await?;
    match users::create(&txn, &email, &hash, false).await {
        Ok(user) => {
            let welcome = AccountEmail {
                to: user.email.clone(),
                notice: AccountNotice::Welcome,
            };
            state
                .jobs
                .enqueue(&txn, &welcome)
                .await
                .map_err(Error::from)?;
            txn.commit().await.map_err(db::Error::from)?;
            tracing::info!(user_id = user.id, "account created");
        }
        Err(db::Error::Conflict(_)) => {
            drop(txn);
            tell_owner_of_signup(state, &email).await?;
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

/// Someone signed up with a registered address: its owner gets a mail (at most one an hour, so
/// signups cannot flood someone's inbox).
async fn tell_owner_of_signup(state: &AppState, email: &Email) -> Result<()> {
    let key = format!("signup-notice:{}", email.as_str());
    let decision = db::rate_limits::hit(&state.db, &key, 1, NOTICE_EVERY, db::now()).await?;
    if decision == db::rate_limits::Decision::Allowed {
        let notice = AccountEmail {
            to: email.as_str().to_owned(),
            notice: AccountNotice::AlreadyRegistered,
        };
        state.jobs.enqueue(&state.db, &notice).await?;
    }
    tracing::info!("signup with a registered address; its owner is told by mail");
    Ok(())
}

/// Checks an email and password and signs the user in on `session`. Every attempt counts
/// against the client's address and backs off per account; an unknown email costs as much as a
/// known one.
async fn log_in(
    state: &AppState,
    session: &Session,
    ip: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<User, Refused> {
    rate_limit::check(state, "login", &[rate_limit::client_key(ip)]).await?;
    rate_limit::account_attempt(state, email).await?;
    let user = match Email::parse(email) {
        Ok(email) => users::find_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = password::verify(&state.passwords, stored, Password::attempt(password)).await?;
    let user = match (user, verified) {
        (Some(user), Verified::Yes | Verified::YesRehash) => user,
        _ => {
            tracing::info!("login refused");
            return Err(Refused::WrongCredentials);
        }
    };
    if verified == Verified::YesRehash {
        // The password is at hand only now: store a hash with today's parameters.
        let hash = password::hash(&state.passwords, Password::attempt(password)).await?;
        users::set_password_hash(&state.db, user.id, &hash).await?;
        tracing::info!(user_id = user.id, "password hash upgraded");
    }
    rate_limit::account_success(state, email).await?;
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
        &state.passwords,
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
    let hash = password::hash(&state.passwords, new).await?;
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
