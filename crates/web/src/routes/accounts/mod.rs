//! Accounts: signup, login, logout, password change and API tokens, as HTML forms (`pages`) and
//! JSON endpoints under `/api/auth` (`api`), both on the functions below; the links mailed to
//! confirm an address or reset a password (`links`, their pages in `recovery`).

mod api;
mod links;
mod pages;
mod recovery;

use std::net::IpAddr;

use axum::Router;
use db::{
    FieldErrors,
    account_tokens::Purpose,
    users::{self, Email, User},
};
use jobs::kinds::{AccountEmail, AccountNotice};
use tower_sessions::Session;

use crate::{
    AppState, EmailVerification, Error, Result,
    auth::{
        password::{self, Password, Verified},
        rate_limit, session, tokens,
    },
};
use links::SiteUrl;

pub(crate) use api::openapi;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(pages::router())
        .merge(recovery::router())
        .merge(api::router())
}

/// Why an account action did not happen: field errors to show beside the form, credentials
/// that did not match (a form error on the page, a 401 for the API), or a failure to report.
enum Refused {
    Fields(FieldErrors),
    WrongCredentials,
    /// The password was right, but the address is not confirmed yet (and must be).
    Unconfirmed,
    /// The password was right, but an administrator deactivated the account.
    Deactivated,
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
            Refused::Unconfirmed => Self::Forbidden(UNCONFIRMED.into()),
            Refused::Deactivated => Self::Forbidden(DEACTIVATED.into()),
            Refused::Other(err) => err,
        }
    }
}

const WRONG_CREDENTIALS: &str = "The email or password is wrong.";

const UNCONFIRMED: &str = "Confirm your address first: open the link we mailed to it (we have \
     just sent a new one). Then sign in.";

const DEACTIVATED: &str =
    "This account is deactivated: an administrator can tell you why, and reactivate it.";

/// What a signup answers, whether the address was new or already had an account, when
/// addresses must be confirmed: the page must not tell anyone which addresses are registered.
const SIGNUP_DONE: &str = "Check your inbox: we sent a message to the address you gave. If it had no account, \
     it has one now: open the link in the message to confirm the address, then sign in.";

/// What a signup answers for a registered address when confirming is optional (the answer
/// to a new address, signing in, tells anyway).
const SIGNUP_REGISTERED: &str = "That address already has an account: sign in, or choose a new \
     password if you forgot it. We sent its owner a note too.";

/// What the welcome says when the new account is signed in at once.
fn welcome(email: &str) -> String {
    format!(
        "Welcome! You are signed in as {email}. We sent a link to that address: open it to \
         confirm the address is yours."
    )
}

/// How a signup went.
enum SignedUp {
    /// A new account; signed in on the session when confirming the address is optional.
    New(User),
    /// The address had an account; its owner got a note.
    Registered,
}

/// Signs up. A new address gets its account and a welcome mail with the link that confirms
/// the address (both in one transaction); an address that has an account gets a note to its
/// owner instead (both cost one password hash). When confirming is optional, the new account is
/// signed in on `session`; when it is required, nobody is, and the caller answers both cases
/// alike, so nobody learns from the answer which addresses are registered.
async fn sign_up(
    state: &AppState,
    session: &Session,
    ip: Option<IpAddr>,
    site: &SiteUrl,
    email: &str,
    password: &str,
) -> Result<SignedUp, Refused> {
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
            let (purpose, notice) = (Purpose::VerifyEmail, AccountNotice::Welcome);
            links::send(state, &txn, &user, purpose, notice, site).await?;
            txn.commit().await.map_err(db::Error::from)?;
            tracing::info!(user_id = user.id, "account created");
            if state.config.accounts.email_verification == EmailVerification::Optional {
                session::log_in(session, user.id).await?;
            }
            Ok(SignedUp::New(user))
        }
        Err(db::Error::Conflict(_)) => {
            drop(txn);
            tell_owner_of_signup(state, &email, site).await?;
            Ok(SignedUp::Registered)
        }
        Err(other) => Err(other.into()),
    }
}

/// Someone signed up with a registered address: its owner gets a mail (at most one an hour, so
/// signups cannot flood someone's inbox).
async fn tell_owner_of_signup(state: &AppState, email: &Email, site: &SiteUrl) -> Result<()> {
    if links::mail_allowed(state, "signup-notice", email.as_str(), 1).await? {
        let notice = AccountEmail {
            to: email.as_str().to_owned(),
            notice: AccountNotice::AlreadyRegistered,
            link: Some(format!("{}/password/reset", site.0)),
        };
        state.jobs.enqueue(&state.db, &notice).await?;
    }
    tracing::info!("signup with a registered address; its owner is told by mail");
    Ok(())
}

/// Checks an email and password and signs the user in on `session`. Every attempt counts
/// against the client's address and backs off per account; an unknown email costs as much as a
/// known one. When addresses must be confirmed, an unconfirmed one is refused (after the
/// password matched) and mailed a fresh link.
async fn log_in(
    state: &AppState,
    session: &Session,
    ip: Option<IpAddr>,
    site: &SiteUrl,
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
    if !user.is_active {
        tracing::info!(user_id = user.id, "sign-in refused: account deactivated");
        return Err(Refused::Deactivated);
    }
    let must_confirm = state.config.accounts.email_verification == EmailVerification::Required;
    if must_confirm && user.email_verified_at.is_none() {
        links::resend_confirmation(state, &user, site).await?;
        tracing::info!(
            user_id = user.id,
            "sign-in waits for the address to be confirmed"
        );
        return Err(Refused::Unconfirmed);
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
