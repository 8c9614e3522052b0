//! What the app keeps in a session, behind named helpers: the signed-in user, the CSRF token,
//! one-time flash messages, and when the session was last renewed (sliding expiry).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::tokens;
use crate::{Error, Result};

pub(crate) const USER_ID: &str = "user_id";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
const RENEWED_AT: &str = "renewed_at";

impl From<tower_sessions::session::Error> for Error {
    fn from(err: tower_sessions::session::Error) -> Self {
        Self::Unavailable(err.into())
    }
}

/// A one-time message shown by the next page the user sees ("Saved").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    /// `success`, `info` or `error`: the CSS class.
    pub level: String,
    pub text: String,
}

/// The session's CSRF token, made on first use.
pub(crate) async fn csrf_token(session: &Session) -> Result<String> {
    if let Some(token) = session.get::<String>(CSRF).await? {
        return Ok(token);
    }
    let token = tokens::random(32)?;
    session.insert(CSRF, &token).await?;
    Ok(token)
}

/// The session's CSRF token if it has one (checking never creates a session).
pub(crate) async fn existing_csrf_token(session: &Session) -> Result<Option<String>> {
    if session.id().is_none() {
        return Ok(None);
    }
    Ok(session.get::<String>(CSRF).await?)
}

pub(crate) async fn user_id(session: &Session) -> Result<Option<i64>> {
    if session.id().is_none() {
        return Ok(None);
    }
    Ok(session.get::<i64>(USER_ID).await?)
}

/// Signs `user_id` in: a new session id (the old one, which an attacker may have planted, is
/// deleted), a new CSRF token, the data of the anonymous session kept otherwise.
pub(crate) async fn log_in(session: &Session, user_id: i64) -> Result<()> {
    session.cycle_id().await?;
    session.insert(USER_ID, user_id).await?;
    session.insert(CSRF, tokens::random(32)?).await?;
    session.insert(RENEWED_AT, now_secs()).await?;
    Ok(())
}

/// Ends the session: its row is deleted and the cookie cleared.
pub(crate) async fn log_out(session: &Session) -> Result<()> {
    Ok(session.flush().await?)
}

pub(crate) async fn flash(session: &Session, level: &str, text: impl Into<String>) -> Result<()> {
    let mut flashes: Vec<Flash> = session.get(FLASH).await?.unwrap_or_default();
    flashes.push(Flash {
        level: level.to_owned(),
        text: text.into(),
    });
    session.insert(FLASH, flashes).await?;
    Ok(())
}

/// The pending flash messages, removed from the session (shown once). Only a session that has
/// some is changed: `Session::remove` marks the session modified even when the key is absent,
/// which would save the session row on every page view.
pub(crate) async fn take_flashes(session: &Session) -> Result<Vec<Flash>> {
    if session.id().is_none() || session.get_value(FLASH).await?.is_none() {
        return Ok(Vec::new());
    }
    Ok(session.remove(FLASH).await?.unwrap_or_default())
}

/// Sliding expiry without a write per request: the session is saved again (pushing its expiry
/// and the cookie's `Max-Age` forward by `ttl`) once a tenth of `ttl` has passed since the last
/// renewal.
pub(crate) async fn keep_alive(session: &Session, ttl: Duration) -> Result<()> {
    let renewed: Option<u64> = session.get(RENEWED_AT).await?;
    let now = now_secs();
    let due = renewed.is_none_or(|at| now.saturating_sub(at) >= (ttl / 10).as_secs().max(1));
    if due {
        session.insert(RENEWED_AT, now).await?;
    }
    Ok(())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
