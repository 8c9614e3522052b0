//! Who is asking: users signed in by a session cookie or by a bearer API token, the extractors
//! handlers use to require them, CSRF, rate limits, passwords and the session store.
//!
//! Handlers say what they need in their signature: [`MaybeUser`], [`RequireUser`] or
//! [`RequireAdmin`]. An HTML request without a user is redirected to `/login?next=...`; an API
//! request gets a 401 problem; a signed-in user who is not an admin gets a 403.

pub mod csrf;
pub mod password;
pub mod rate_limit;
pub(crate) mod session;
pub mod store;
pub(crate) mod token_cache;
pub mod tokens;
mod user;

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use crate::{AppState, Error, Result, forwarded::ClientAddr, problem::is_api};

pub use session::Flash;
pub use store::DbSessionStore;
pub use user::{AuthMethod, CurrentUser};

/// The identity worked out once per request and kept in its extensions, so several extractors
/// (the page context and a `RequireUser`) cost one lookup.
#[derive(Debug, Clone)]
struct Identity(Option<CurrentUser>);

/// The request's session (the session layer puts one on every request it covers).
pub(crate) fn session_of(parts: &Parts) -> Result<Session> {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| Error::internal("no session layer on this route"))
}

async fn identify(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>> {
    if let Some(Identity(known)) = parts.extensions.get::<Identity>() {
        return Ok(known.clone());
    }
    let user = match parts.headers.get(header::AUTHORIZATION) {
        Some(value) => Some(from_token(state, value).await?),
        None => from_session(parts, state).await?,
    };
    parts.extensions.insert(Identity(user.clone()));
    Ok(user)
}

async fn from_token(state: &AppState, value: &header::HeaderValue) -> Result<CurrentUser> {
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
        .ok_or_else(|| {
            Error::Unauthorized("Send the API token as `Authorization: Bearer <token>`.".into())
        })?;
    let hash = tokens::hash_token(token);
    if let Some(user) = state.tokens().get(&hash).await {
        return Ok(user);
    }
    match db::api_tokens::authenticate(&state.db, &hash).await? {
        Some(user) => {
            let user = CurrentUser::new(user, AuthMethod::Token);
            state.tokens().insert(hash, user.clone()).await;
            Ok(user)
        }
        None => Err(Error::Unauthorized(
            "The API token is not valid: it was revoked or mistyped.".into(),
        )),
    }
}

async fn from_session(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>> {
    let Some(session) = parts.extensions.get::<Session>() else {
        return Ok(None);
    };
    let Some(id) = session::user_id(session).await? else {
        return Ok(None);
    };
    match db::users::get(&state.db, id).await {
        // Deactivated: the session (ended by the deactivation, unless it raced it) means no one.
        Ok(user) if !user.is_active => Ok(None),
        Ok(user) => {
            session::keep_alive(session, state.config.security.session_ttl).await?;
            Ok(Some(CurrentUser::new(user, AuthMethod::Session)))
        }
        // The account was deleted: the session no longer means anyone.
        Err(db::Error::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The user, if someone is signed in. A bad API token is still a 401: a client that sends one
/// expects it to count.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        Ok(Self(identify(parts, state).await?))
    }
}

/// A signed-in user; anyone else is sent to the login page (HTML) or gets a 401 (API).
#[derive(Debug, Clone)]
pub struct RequireUser(pub CurrentUser);

impl FromRequestParts<AppState> for RequireUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match identify(parts, state).await {
            Ok(Some(user)) => Ok(Self(user)),
            Ok(None) => Err(login_required(parts)),
            Err(err) => Err(err.into_response()),
        }
    }
}

/// A signed-in admin; a signed-in user who is not one gets a 403.
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub CurrentUser);

impl FromRequestParts<AppState> for RequireAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let RequireUser(user) = RequireUser::from_request_parts(parts, state).await?;
        if user.is_admin {
            Ok(Self(user))
        } else {
            Err(Error::Forbidden("This needs an administrator account.".into()).into_response())
        }
    }
}

fn login_required(parts: &Parts) -> Response {
    if is_api(parts.uri.path()) {
        return Error::Unauthorized(
            "Sign in first: send `Authorization: Bearer <token>` (create a token on your account page or with `app token create`).".into(),
        )
        .into_response();
    }
    // After signing in, come back here; for a form post, to the page the form was on.
    let back = if parts.method == axum::http::Method::GET {
        parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned()
    } else {
        "/".to_owned()
    };
    let next: String = form_urlencode(&back);
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// Percent-encodes a value for a URL's query (`/orders?page=2` → `%2Forders%3Fpage%3D2`,
/// keeping `/`).
pub(crate) fn form_urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char);
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Where to go after signing in: only a local path (`/orders?page=2`), never another site
/// (`//evil.example`, `https://...`, `/\evil`), so the login form cannot be an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The client's IP address: the TCP peer, or the address a trusted proxy forwarded for
/// (`APP_TRUSTED_PROXIES`, see [`crate::forwarded`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let resolved = parts.extensions.get::<ClientAddr>().map(|client| client.ip);
        Ok(Self(resolved.unwrap_or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip())
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_accepts_only_local_paths() {
        assert_eq!(safe_next(Some("/orders?page=2")), "/orders?page=2");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/ok\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
