//! The pages the mailed links lead to, and the forms that send them: `/password/reset` (ask
//! for a link), `/password/reset/{token}` (choose the new password), `/verify/{token}`
//! (confirm the address) and `POST /account/verify` (send the confirmation link again).
//!
//! Opening a link changes nothing: its page shows a form that does (mail scanners open links
//! too). A path parameter named `token` is never logged (see `finish::request_span`).

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use db::{FieldErrors, account_tokens::Purpose};
use serde::{Deserialize, Serialize};

use super::{Refused, SiteUrl, links};
use crate::{
    AppState, Result,
    auth::{ClientIp, RequireUser, session},
    extract::{Form, Path},
    page::{Page, first_error_per_field},
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/password/reset", get(ask_form).post(ask))
        .route("/password/reset/{token}", get(reset_form).post(reset))
        .route("/verify/{token}", get(confirm_form).post(confirm))
        .route("/account/verify", post(resend))
}

/// What asking for a reset link answers, whether the address has an account or not.
pub(super) fn reset_asked(email: &str) -> String {
    format!(
        "If {email} has an account, we sent it a link to choose a new password. The link works \
         once, within an hour."
    )
}

/// What a used password-reset link answers.
pub(super) const RESET_DONE: &str = "Your password is changed, and every session and API token \
     of the account has ended. Sign in with the new password.";

#[derive(Debug, Default, Deserialize, Serialize)]
struct AskForm {
    #[serde(default)]
    email: String,
}

async fn ask_form(State(state): State<AppState>, page: Page) -> Result<Html<String>> {
    ask_page(page, &state, &AskForm::default(), None).await
}

#[tracing::instrument(skip_all)]
async fn ask(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    site: SiteUrl,
    page: Page,
    Form(form): Form<AskForm>,
) -> Result<Response> {
    match links::request_reset(&state, ip, &site, &form.email).await {
        Ok(()) => {
            let text = reset_asked(form.email.trim());
            session::flash(page.session(), "info", text).await?;
            Ok(Redirect::to("/login").into_response())
        }
        Err(Refused::Fields(errors)) => {
            let html = ask_page(page, &state, &form, Some(&errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn ask_page(
    page: Page,
    state: &AppState,
    form: &AskForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>> {
    let mut page = page.with_form_token().await?;
    page.insert("form", form);
    page.insert(
        "errors",
        &errors.map(first_error_per_field).unwrap_or_default(),
    );
    page.render(&state.templates, "accounts/reset_ask.html")
}

async fn reset_form(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response> {
    if !links::usable(&state, Purpose::ResetPassword, &token).await? {
        return unusable(page, &state).await;
    }
    Ok(reset_page(page, &state, &token, None)
        .await?
        .into_response())
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

#[tracing::instrument(skip_all)]
async fn reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    page: Page,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response> {
    match links::reset_password(&state, ip, &token, &form.password).await {
        Ok(_) => {
            session::flash(page.session(), "success", RESET_DONE).await?;
            Ok(Redirect::to("/login").into_response())
        }
        Err(Refused::Fields(errors)) if errors.get("token").is_some() => {
            unusable(page, &state).await
        }
        Err(Refused::Fields(errors)) => {
            let html = reset_page(page, &state, &token, Some(&errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn reset_page(
    page: Page,
    state: &AppState,
    token: &str,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>> {
    let mut page = page.with_form_token().await?;
    page.insert("token", token);
    page.insert(
        "errors",
        &errors.map(first_error_per_field).unwrap_or_default(),
    );
    page.render(&state.templates, "accounts/reset.html")
}

async fn confirm_form(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response> {
    if !links::usable(&state, Purpose::VerifyEmail, &token).await? {
        return unusable(page, &state).await;
    }
    let mut page = page.with_form_token().await?;
    page.insert("token", &token);
    Ok(page
        .render(&state.templates, "accounts/verify.html")?
        .into_response())
}

async fn confirm(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response> {
    let Some(email) = links::confirm_address(&state, &token).await? else {
        return unusable(page, &state).await;
    };
    let text = format!("Thank you: {email} is confirmed.");
    session::flash(page.session(), "success", text).await?;
    let to = if page.user.is_some() { "/" } else { "/login" };
    Ok(Redirect::to(to).into_response())
}

/// A link that was used, expired or never sent: 400 and a page saying so, with the way on.
async fn unusable(page: Page, state: &AppState) -> Result<Response> {
    let page = page.with_form_token().await?;
    let html = page.render(&state.templates, "accounts/link_unusable.html")?;
    Ok((StatusCode::BAD_REQUEST, html).into_response())
}

async fn resend(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    site: SiteUrl,
    page: Page,
) -> Result<Redirect> {
    let user = db::users::get(&state.db, user.id).await?;
    links::resend_confirmation(&state, &user, &site).await?;
    let text = format!(
        "We sent a link to {}: open it to confirm the address. (At most three an hour.)",
        user.email
    );
    session::flash(page.session(), "info", text).await?;
    Ok(Redirect::to("/account"))
}
