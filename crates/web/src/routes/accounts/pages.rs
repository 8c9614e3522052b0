//! The account pages: `/signup`, `/login`, `POST /logout`, `/account` (password, API tokens).

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use db::FieldErrors;
use serde::{Deserialize, Serialize};

use super::{Refused, SignedUp, SiteUrl};
use crate::{
    AppState, EmailVerification, Result,
    auth::{ClientIp, RequireUser, safe_next, session},
    extract::{Form, Path, Query},
    page::{Page, first_error_per_field},
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_form).post(signup))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/account", get(account))
        // A reload of a re-rendered form (or a bookmarked form address) lands on the account page.
        .route("/account/password", get(to_account).post(change_password))
        .route("/account/tokens", get(to_account).post(create_token))
        .route("/account/tokens/{id}/delete", post(revoke_token))
}

#[derive(Debug, Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// What the login and signup forms send. Its `Debug` leaves the password out.
#[derive(Default, Deserialize, Serialize)]
struct CredentialsForm {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    next: String,
}

impl std::fmt::Debug for CredentialsForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsForm")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

async fn signup_form(
    State(state): State<AppState>,
    page: Page,
    Query(params): Query<NextParam>,
) -> Result<Response> {
    if page.user.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    let form = CredentialsForm {
        next: safe_next(params.next.as_deref()),
        ..CredentialsForm::default()
    };
    Ok(
        credentials_page(page, &state, "accounts/signup.html", &form, None)
            .await?
            .into_response(),
    )
}

#[tracing::instrument(skip_all)]
async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    site: SiteUrl,
    page: Page,
    Form(form): Form<CredentialsForm>,
) -> Result<Response> {
    let signed_up = super::sign_up(
        &state,
        page.session(),
        ip,
        &site,
        &form.email,
        &form.password,
    )
    .await;
    let required = state.config.accounts.email_verification == EmailVerification::Required;
    let next = safe_next(Some(&form.next));
    let to_login = format!("/login?next={}", crate::auth::form_urlencode(&next));
    match signed_up {
        Ok(_) if required => {
            session::flash(page.session(), "info", super::SIGNUP_DONE).await?;
            Ok(Redirect::to(&to_login).into_response())
        }
        Ok(SignedUp::New(user)) => {
            let text = super::welcome(&user.email);
            session::flash(page.session(), "success", text).await?;
            Ok(Redirect::to(&next).into_response())
        }
        Ok(SignedUp::Registered) => {
            session::flash(page.session(), "info", super::SIGNUP_REGISTERED).await?;
            Ok(Redirect::to(&to_login).into_response())
        }
        Err(Refused::Fields(errors)) => {
            let html = credentials_page(page, &state, "accounts/signup.html", &form, Some(&errors))
                .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn login_form(
    State(state): State<AppState>,
    page: Page,
    Query(params): Query<NextParam>,
) -> Result<Response> {
    let next = safe_next(params.next.as_deref());
    if page.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let form = CredentialsForm {
        next,
        ..CredentialsForm::default()
    };
    Ok(
        credentials_page(page, &state, "accounts/login.html", &form, None)
            .await?
            .into_response(),
    )
}

#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    site: SiteUrl,
    page: Page,
    Form(form): Form<CredentialsForm>,
) -> Result<Response> {
    let session = page.session();
    match super::log_in(&state, session, ip, &site, &form.email, &form.password).await {
        Ok(user) => {
            let text = format!("Signed in as {}.", user.email);
            session::flash(page.session(), "success", text).await?;
            Ok(Redirect::to(&safe_next(Some(&form.next))).into_response())
        }
        Err(Refused::WrongCredentials) => {
            let mut errors = FieldErrors::new();
            errors.add("form", super::WRONG_CREDENTIALS);
            let html =
                credentials_page(page, &state, "accounts/login.html", &form, Some(&errors)).await?;
            Ok((StatusCode::UNAUTHORIZED, html).into_response())
        }
        Err(refused @ (Refused::Unconfirmed | Refused::Deactivated)) => {
            let mut errors = FieldErrors::new();
            let why = match refused {
                Refused::Deactivated => super::DEACTIVATED,
                _ => super::UNCONFIRMED,
            };
            errors.add("form", why);
            let html =
                credentials_page(page, &state, "accounts/login.html", &form, Some(&errors)).await?;
            Ok((StatusCode::FORBIDDEN, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn logout(page: Page) -> Result<Redirect> {
    session::log_out(page.session()).await?;
    session::flash(page.session(), "info", "You are signed out.").await?;
    Ok(Redirect::to("/"))
}

async fn credentials_page(
    page: Page,
    state: &AppState,
    template: &str,
    form: &CredentialsForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>> {
    let mut page = page.with_form_token().await?;
    page.insert("form", form);
    page.insert("next", &safe_next(Some(&form.next)));
    page.insert(
        "errors",
        &errors.map(first_error_per_field).unwrap_or_default(),
    );
    page.render(&state.templates, template)
}

async fn account(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
) -> Result<Response> {
    // Read before removing: a page view that changes nothing must not rewrite the session.
    let new_token: Option<NewToken> = page.session().get(NEW_TOKEN).await?;
    if new_token.is_some() {
        page.session().remove_value(NEW_TOKEN).await?;
    }
    let html = account_page(page, &state, user.id, None, new_token.as_ref(), "").await?;
    if new_token.is_some() {
        // The page holds a secret: no cache may keep it.
        return Ok(([(header::CACHE_CONTROL, "no-store")], html).into_response());
    }
    Ok(html.into_response())
}

async fn to_account() -> Redirect {
    Redirect::to("/account")
}

/// Where a new token waits, in the session, for the one page that shows it.
const NEW_TOKEN: &str = "new_token";

/// A new token, shown once by the account page the creation redirects to, then gone.
#[derive(Debug, Serialize, Deserialize)]
struct NewToken {
    name: String,
    token: String,
}

async fn account_page(
    mut page: Page,
    state: &AppState,
    user_id: i64,
    errors: Option<&FieldErrors>,
    new_token: Option<&NewToken>,
    token_name: &str,
) -> Result<Html<String>> {
    let tokens = db::api_tokens::list_for_user(&state.db, user_id).await?;
    page.insert(
        "tokens",
        &tokens.iter().map(TokenView::from).collect::<Vec<_>>(),
    );
    page.insert("new_token", &new_token);
    page.insert("token_name", token_name);
    page.insert(
        "errors",
        &errors.map(first_error_per_field).unwrap_or_default(),
    );
    page.render(&state.templates, "accounts/account.html")
}

/// A token as listed: never its hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct TokenView {
    id: i64,
    name: String,
    prefix: String,
    created_at: chrono::DateTime<chrono::Utc>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&db::api_tokens::ApiToken> for TokenView {
    fn from(t: &db::api_tokens::ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        }
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

#[tracing::instrument(skip_all)]
async fn change_password(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    let changed = super::change_password(
        &state,
        page.session(),
        user.id,
        &form.current_password,
        &form.new_password,
    )
    .await;
    match changed {
        Ok(()) => {
            session::flash(
                page.session(),
                "success",
                "Password changed. Your other sessions were signed out and your API tokens revoked.",
            )
            .await?;
            Ok(Redirect::to("/account").into_response())
        }
        Err(Refused::Fields(errors)) => {
            let html = account_page(page, &state, user.id, Some(&errors), None, "").await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Form(form): Form<TokenForm>,
) -> Result<Response> {
    match super::create_token(&state, user.id, &form.name).await {
        Ok((token, row)) => {
            // Post/redirect/get: a reload of the page that shows the token makes no second one.
            let shown = NewToken {
                name: row.name,
                token,
            };
            page.session().insert(NEW_TOKEN, shown).await?;
            Ok(Redirect::to("/account#new-token").into_response())
        }
        Err(Refused::Fields(errors)) => {
            let html = account_page(page, &state, user.id, Some(&errors), None, &form.name).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    super::revoke_token(&state, user.id, id).await?;
    session::flash(page.session(), "success", "Token revoked.").await?;
    Ok(Redirect::to("/account"))
}
