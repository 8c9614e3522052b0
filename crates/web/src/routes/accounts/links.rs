//! Links mailed to an account's address: one to confirm the address, one to choose a new
//! password. A link carries 32 random bytes; the database keeps only their SHA-256 (as for API
//! tokens), with the purpose, the address it was sent to and an expiry. Using a link is one
//! conditional `UPDATE`, so a link works once even when two requests race with it. The token
//! row and the mail's job are written in one transaction: no mail without its row, no row
//! whose mail was lost.

use std::{convert::Infallible, net::IpAddr};

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::TimeDelta;
use db::{
    FieldErrors,
    account_tokens::{self, Purpose},
    users::{self, Email, User},
};
use jobs::kinds::{AccountEmail, AccountNotice};

use super::Refused;
use crate::{
    AppState, Result,
    auth::{
        password::{self, Password},
        rate_limit, tokens,
    },
    forwarded::ClientAddr,
};

/// How long a password-reset link works.
pub(super) const RESET_LINK_TTL: TimeDelta = TimeDelta::hours(1);
/// How long a link confirming an address works.
const CONFIRM_LINK_TTL: TimeDelta = TimeDelta::days(3);
/// Mails of one kind one address gets at most, per hour: nobody can flood an inbox through
/// these forms.
const MAILS_PER_HOUR: u32 = 3;

/// Where the links in mails point: `APP_PUBLIC_URL`, or the scheme and host the request came
/// to (the host passed `APP_ALLOWED_HOSTS`; the scheme is the one a trusted proxy reported, or
/// `https` when cookies are secure).
#[derive(Debug, Clone)]
pub(crate) struct SiteUrl(pub(crate) String);

impl FromRequestParts<AppState> for SiteUrl {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(url) = &state.config.accounts.public_url {
            return Ok(Self(url.clone()));
        }
        let default_scheme = if state.config.security.secure_cookies {
            "https"
        } else {
            "http"
        };
        let scheme = parts
            .extensions
            .get::<ClientAddr>()
            .and_then(|client| client.scheme)
            .map_or(default_scheme, |scheme| scheme.as_str());
        let host = crate::finish::effective_host(&parts.headers, &parts.uri)
            .filter(|host| {
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("localhost");
        Ok(Self(format!("{scheme}://{host}")))
    }
}

/// Stores a new link for `user` and queues its mail, both in `txn`.
pub(super) async fn send(
    state: &AppState,
    txn: &db::WriteTransaction,
    user: &User,
    purpose: Purpose,
    notice: AccountNotice,
    site: &SiteUrl,
) -> Result<()> {
    let token = tokens::random(32)?;
    let (ttl, path) = match purpose {
        Purpose::VerifyEmail => (CONFIRM_LINK_TTL, "/verify"),
        Purpose::ResetPassword => (RESET_LINK_TTL, "/password/reset"),
    };
    let hash = tokens::hash_token(&token);
    account_tokens::create(txn, user.id, purpose, &hash, &user.email, ttl).await?;
    let mail = AccountEmail {
        to: user.email.clone(),
        notice,
        link: Some(format!("{}{path}/{token}", site.0)),
    };
    state.jobs.enqueue(txn, &mail).await?;
    Ok(())
}

/// [`send`] in a transaction of its own.
async fn send_alone(
    state: &AppState,
    user: &User,
    purpose: Purpose,
    notice: AccountNotice,
    site: &SiteUrl,
) -> Result<()> {
    let txn = db::begin_write(&state.db).await?;
    send(state, &txn, user, purpose, notice, site).await?;
    txn.commit().await.map_err(db::Error::from)?;
    Ok(())
}

/// Whether `email` may get another mail of `kind` this hour, `per_hour` at most (counted
/// across replicas).
pub(super) async fn mail_allowed(
    state: &AppState,
    kind: &str,
    email: &str,
    per_hour: u32,
) -> Result<bool> {
    let key = format!("{kind}:{email}");
    let window = std::time::Duration::from_secs(60 * 60);
    let decision = db::rate_limits::hit(&state.db, &key, per_hour, window, db::now()).await?;
    Ok(decision == db::rate_limits::Decision::Allowed)
}

/// Mails `user` a new link to confirm the address, unless it is confirmed or had enough
/// mails this hour.
pub(super) async fn resend_confirmation(
    state: &AppState,
    user: &User,
    site: &SiteUrl,
) -> Result<()> {
    if user.email_verified_at.is_some()
        || !mail_allowed(state, "confirm-mail", &user.email, MAILS_PER_HOUR).await?
    {
        return Ok(());
    }
    let notice = AccountNotice::ConfirmAddress;
    send_alone(state, user, Purpose::VerifyEmail, notice, site).await?;
    tracing::info!(user_id = user.id, "confirmation link sent again");
    Ok(())
}

/// Confirms the address a link was sent to; `None` when the link is used, expired or unknown.
pub(super) async fn confirm_address(state: &AppState, token: &str) -> Result<Option<String>> {
    let txn = db::begin_write(&state.db).await?;
    let Some(link) =
        account_tokens::consume(&txn, Purpose::VerifyEmail, &tokens::hash_token(token)).await?
    else {
        return Ok(None);
    };
    users::mark_verified(&txn, link.user_id, &link.email).await?;
    txn.commit().await.map_err(db::Error::from)?;
    tracing::info!(user_id = link.user_id, "address confirmed");
    Ok(Some(link.email))
}

/// Whether a link is one that [`confirm_address`] or [`reset_password`] would accept now (the
/// page a link opens shows its form only then).
pub(super) async fn usable(state: &AppState, purpose: Purpose, token: &str) -> Result<bool> {
    let hash = tokens::hash_token(token);
    Ok(account_tokens::find_usable(&state.db, purpose, &hash)
        .await?
        .is_some())
}

/// Someone asks to reset the password of `email`. The answer is the same whether it has an
/// account or not; when it has, its owner gets a link (at most [`MAILS_PER_HOUR`] an hour).
pub(super) async fn request_reset(
    state: &AppState,
    ip: Option<IpAddr>,
    site: &SiteUrl,
    email: &str,
) -> Result<(), Refused> {
    rate_limit::check(state, "reset", &[rate_limit::client_key(ip)]).await?;
    let email = Email::parse(email).map_err(|m| {
        let mut errors = FieldErrors::new();
        errors.add("email", m);
        Refused::Fields(errors)
    })?;
    if !mail_allowed(state, "reset-mail", email.as_str(), MAILS_PER_HOUR).await? {
        tracing::info!("password reset asked again too soon; no mail");
        return Ok(());
    }
    let Some(user) = users::find_by_email(&state.db, &email).await? else {
        tracing::info!("password reset asked for an address with no account");
        return Ok(());
    };
    let notice = AccountNotice::ResetPassword;
    send_alone(state, &user, Purpose::ResetPassword, notice, site).await?;
    tracing::info!(user_id = user.id, "password reset link sent");
    Ok(())
}

/// What a field error says about a link that cannot be used.
pub(super) const LINK_UNUSABLE: &str =
    "this link was used already, has expired, or is not one we sent: ask for a new one";

/// Sets a new password with a reset link. The link is used up, the password changes, the
/// address counts as confirmed (the link reached it), and every session and API token of the
/// user ends — all in one transaction. Returns the user's id.
pub(super) async fn reset_password(
    state: &AppState,
    ip: Option<IpAddr>,
    token: &str,
    new_password: &str,
) -> Result<i64, Refused> {
    rate_limit::check(state, "reset", &[rate_limit::client_key(ip)]).await?;
    let mut errors = FieldErrors::new();
    let new_password = Password::new(new_password).map_err(|m| errors.add("password", m));
    // Checked before hashing, so junk links cost no Argon2 time.
    if !usable(state, Purpose::ResetPassword, token).await? {
        errors.add("token", LINK_UNUSABLE);
    }
    let (Ok(new_password), true) = (new_password, errors.is_empty()) else {
        return Err(Refused::Fields(errors));
    };
    let hash = password::hash(&state.passwords, new_password).await?;
    let txn = db::begin_write(&state.db).await?;
    let Some(link) =
        account_tokens::consume(&txn, Purpose::ResetPassword, &tokens::hash_token(token)).await?
    else {
        // Used by a request that raced this one.
        errors.add("token", LINK_UNUSABLE);
        return Err(Refused::Fields(errors));
    };
    let user_id = link.user_id;
    users::set_password_hash(&txn, user_id, &hash).await?;
    users::mark_verified(&txn, user_id, &link.email).await?;
    let ended = db::sessions::delete_for_user(&txn, user_id, None).await?;
    let revoked = db::api_tokens::revoke_all_for_user(&txn, user_id).await?;
    account_tokens::revoke_for_user(&txn, user_id, Purpose::ResetPassword).await?;
    txn.commit().await.map_err(db::Error::from)?;
    state.tokens().forget_all();
    // Whoever was locked out by the sign-in back-off may sign in again.
    rate_limit::account_success(state, &link.email).await?;
    tracing::info!(
        user_id,
        sessions_ended = ended,
        tokens_revoked = revoked,
        "password reset"
    );
    Ok(user_id)
}
