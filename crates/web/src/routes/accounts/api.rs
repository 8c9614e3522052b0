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
use utoipa::ToSchema;

use super::{SignedUp, SiteUrl, links, pages::TokenView, recovery};
use crate::{
    AppState, EmailVerification, Error, Result,
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
        .route("/api/auth/password/reset", post(ask_for_reset))
        .route("/api/auth/password/reset/confirm", post(reset_password))
        .route("/api/auth/verify", post(confirm_address))
        .route("/api/auth/verify/resend", post(resend_confirmation))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct SignedIn {
    user: UserView,
    csrf_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct UserView {
    id: i64,
    email: String,
    is_admin: bool,
    /// Whether the address was confirmed by the link mailed to it.
    email_verified: bool,
}

impl From<db::users::User> for UserView {
    fn from(u: db::users::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            is_admin: u.is_admin,
            email_verified: u.email_verified_at.is_some(),
        }
    }
}

impl From<CurrentUser> for UserView {
    fn from(u: CurrentUser) -> Self {
        Self {
            id: u.id,
            email: u.email,
            is_admin: u.is_admin,
            email_verified: u.email_verified,
        }
    }
}

/// What happens next, in a sentence.
#[derive(Debug, Serialize, ToSchema)]
struct Accepted {
    detail: String,
}

/// When confirming the address is optional, a new account is signed in: 201 with the user and
/// the CSRF token, as a sign-in answers. Otherwise (a registered address, or confirming is
/// required) 202 with what happens next.
#[utoipa::path(post, path = "/api/auth/signup", tag = "accounts", request_body = Credentials,
    responses(
        (status = 201, description = "A new account, signed in (confirming the address is optional)", body = SignedIn),
        (status = 202, description = "A registered address, or confirming is required: what happens next", body = Accepted),
        (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this client: wait `Retry-After` seconds", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    site: SiteUrl,
    session: Session,
    Json(input): Json<Credentials>,
) -> Result<Response> {
    let signed_up =
        super::sign_up(&state, &session, ip, &site, &input.email, &input.password).await?;
    let detail = match signed_up {
        _ if state.config.accounts.email_verification == EmailVerification::Required => {
            super::SIGNUP_DONE
        }
        SignedUp::New(user) => {
            let signed_in = SignedIn {
                user: user.into(),
                csrf_token: Some(session::csrf_token(&session).await?),
            };
            return Ok((StatusCode::CREATED, Json(signed_in)).into_response());
        }
        SignedUp::Registered => super::SIGNUP_REGISTERED,
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            detail: detail.into(),
        }),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = Credentials,
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = SignedIn),
        (status = 401, description = "The email or password is wrong", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The address must be confirmed first (a new link is mailed)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this client: wait `Retry-After` seconds", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    site: SiteUrl,
    session: Session,
    Json(input): Json<Credentials>,
) -> Result<Json<SignedIn>> {
    let user = super::log_in(&state, &session, ip, &site, &input.email, &input.password).await?;
    let csrf_token = Some(session::csrf_token(&session).await?);
    Ok(Json(SignedIn {
        user: user.into(),
        csrf_token,
    }))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    responses((status = 204, description = "The session ended")))]
async fn logout(session: Session) -> Result<StatusCode> {
    session::log_out(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/auth/me", tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Who is signed in", body = SignedIn), (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[utoipa::path(post, path = "/api/auth/password", tag = "accounts", request_body = PasswordChange,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Changed; the user's other sessions ended and every API token was revoked"),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "A session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct CreatedToken {
    #[serde(flatten)]
    view: TokenView,
    /// The token itself: shown in this response only.
    token: String,
}

#[utoipa::path(post, path = "/api/auth/tokens", tag = "accounts", request_body = NewToken,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, description = "The token, shown in this answer only", body = CreatedToken),
        (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "A session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
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

#[utoipa::path(get, path = "/api/auth/tokens", tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, description = "The user's tokens, newest first", body = Vec<TokenView>), (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn list_tokens(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
) -> Result<Json<Vec<TokenView>>> {
    let tokens = db::api_tokens::list_for_user(&state.db, user.id).await?;
    Ok(Json(tokens.iter().map(TokenView::from).collect()))
}

#[utoipa::path(delete, path = "/api/auth/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The token's id")),
    security(("token" = []), ("session" = [])),
    responses((status = 204, description = "Revoked"), (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "A session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "The user has no token with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn revoke_token(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    super::revoke_token(&state, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetAsk {
    email: String,
}

/// 202 whether the address has an account or not; when it has, its owner gets a link.
#[utoipa::path(post, path = "/api/auth/password/reset", tag = "accounts", request_body = ResetAsk,
    responses(
        (status = 202, description = "The same answer whether the address has an account or not", body = Accepted),
        (status = 422, description = "Fields refused: `errors` says which and why", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this client: wait `Retry-After` seconds", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
async fn ask_for_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    site: SiteUrl,
    Json(input): Json<ResetAsk>,
) -> Result<Response> {
    links::request_reset(&state, ip, &site, &input.email).await?;
    let detail = recovery::reset_asked(input.email.trim());
    Ok((StatusCode::ACCEPTED, Json(Accepted { detail })).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetWithLink {
    /// The last part of the link that was mailed.
    token: String,
    password: String,
}

/// 204: the password is changed and every session and token of the account ended; 422 with a
/// `token` field error when the link was used, expired or never sent.
#[utoipa::path(post, path = "/api/auth/password/reset/confirm", tag = "accounts", request_body = ResetWithLink,
    responses(
        (status = 204, description = "Changed; every session and API token of the user ended"),
        (status = 422, description = "The password is refused, or the link was used, expired or never sent (`token`)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this client: wait `Retry-After` seconds", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(input): Json<ResetWithLink>,
) -> Result<StatusCode> {
    links::reset_password(&state, ip, &input.token, &input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    token: String,
}

/// 204: the address the link was sent to is confirmed; 422 when the link cannot be used.
#[utoipa::path(post, path = "/api/auth/verify", tag = "accounts", request_body = Confirmation,
    responses(
        (status = 204, description = "The address the link was sent to is confirmed"),
        (status = 422, description = "The link was used, expired or never sent (`token`)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn confirm_address(
    State(state): State<AppState>,
    Json(input): Json<Confirmation>,
) -> Result<StatusCode> {
    if links::confirm_address(&state, &input.token)
        .await?
        .is_none()
    {
        let mut errors = db::FieldErrors::new();
        errors.add("token", links::LINK_UNUSABLE);
        return Err(Error::Validation(errors));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// 202: a new link is on its way to the signed-in user's address (unless confirmed already, or
/// three were sent this hour).
#[utoipa::path(post, path = "/api/auth/verify/resend", tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 202, description = "A new link is on its way (at most three an hour)", body = Accepted), (status = 401, description = "Nobody is signed in (or the token is unknown)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "A session without its CSRF token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn resend_confirmation(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    site: SiteUrl,
) -> Result<Response> {
    let user = db::users::get(&state.db, user.id).await?;
    links::resend_confirmation(&state, &user, &site).await?;
    let detail = "A link to confirm the address is on its way (at most three an hour).";
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            detail: detail.into(),
        }),
    )
        .into_response())
}

/// The account routes' part of the OpenAPI document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        signup,
        login,
        logout,
        me,
        change_password,
        create_token,
        list_tokens,
        revoke_token,
        ask_for_reset,
        reset_password,
        confirm_address,
        resend_confirmation,
    ))]
    struct Paths;
    <Paths as utoipa::OpenApi>::openapi()
}
