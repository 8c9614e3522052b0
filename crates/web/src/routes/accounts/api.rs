//! `/api/auth`: the same account actions for scripts and single-page apps. Sign-in answers with
//! the session cookie and the CSRF token to send as `x-csrf-token` on later unsafe requests;
//! clients that would rather not hold a cookie create an API token and send it as a bearer.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::pages::TokenView;
use crate::{
    AppState, Error, Result,
    auth::{ClientIp, CurrentUser, MaybeUser, RequireUser, session},
    extract::{Json, Path},
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(signup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
        .route("/api/auth/password", post(change_password))
        .route("/api/auth/tokens", get(list_tokens).post(create_token))
        .route("/api/auth/tokens/{id}", delete(revoke_token))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Debug, Serialize)]
struct SignedIn {
    user: UserView,
    csrf_token: Option<String>,
}

#[derive(Debug, Serialize)]
struct UserView {
    id: i64,
    email: String,
    is_admin: bool,
}

impl From<db::users::User> for UserView {
    fn from(u: db::users::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            is_admin: u.is_admin,
        }
    }
}

impl From<CurrentUser> for UserView {
    fn from(u: CurrentUser) -> Self {
        Self {
            id: u.id,
            email: u.email,
            is_admin: u.is_admin,
        }
    }
}

#[derive(Debug, Serialize)]
struct Accepted {
    detail: &'static str,
}

/// 202 whether the address was new or not (see `sign_up`): sign in afterwards.
#[tracing::instrument(skip_all)]
async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(input): Json<Credentials>,
) -> Result<Response> {
    super::sign_up(&state, ip, &input.email, &input.password).await?;
    let accepted = Accepted {
        detail: super::SIGNUP_DONE,
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    Json(input): Json<Credentials>,
) -> Result<Json<SignedIn>> {
    let user = super::log_in(&state, &session, ip, &input.email, &input.password).await?;
    let csrf_token = Some(session::csrf_token(&session).await?);
    Ok(Json(SignedIn {
        user: user.into(),
        csrf_token,
    }))
}

async fn logout(session: Session) -> Result<StatusCode> {
    session::log_out(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(MaybeUser(user): MaybeUser, session: Session) -> Result<Json<SignedIn>> {
    let Some(user) = user else {
        return Err(Error::Unauthorized("Nobody is signed in.".into()));
    };
    let csrf_token = session::existing_csrf_token(&session).await?;
    Ok(Json(SignedIn {
        user: user.into(),
        csrf_token,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[tracing::instrument(skip_all)]
async fn change_password(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    session: Session,
    Json(input): Json<PasswordChange>,
) -> Result<StatusCode> {
    super::change_password(
        &state,
        &session,
        user.id,
        &input.current_password,
        &input.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

#[derive(Debug, Serialize)]
struct CreatedToken {
    #[serde(flatten)]
    view: TokenView,
    /// The token itself: shown in this response only.
    token: String,
}

async fn create_token(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Json(input): Json<NewToken>,
) -> Result<Response> {
    let (token, row) = super::create_token(&state, user.id, &input.name).await?;
    let created = CreatedToken {
        view: TokenView::from(&row),
        token,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list_tokens(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
) -> Result<Json<Vec<TokenView>>> {
    let tokens = db::api_tokens::list_for_user(&state.db, user.id).await?;
    Ok(Json(tokens.iter().map(TokenView::from).collect()))
}

async fn revoke_token(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    super::revoke_token(&state, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
