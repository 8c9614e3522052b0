//! Password reset by a mailed link: the same answer for every address, a link that works once
//! and for an hour, and a reset that ends every session and API token of the account.

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;

use super::{
    accounts::{link_in, sent_mail},
    form_token, visit_form,
};
use crate::{
    background_jobs::app_jobs::app_without_worker,
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, create_token, html, problem, sign_in},
};

const NEW_PASSWORD: &str = "a brand new password";

/// Asks for a reset of `email` through the form; returns the page the answer redirects to.
async fn ask(app: &TestApp, email: &str) -> String {
    let (browser, token) = visit_form(app, "/password/reset").await;
    let response = browser
        .post(app.url("/password/reset"))
        .form(&[("email", email), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login");
    let page = browser.get(app.url("/login")).send().await.unwrap();
    html(page, StatusCode::OK).await
}

/// Chooses `password` through the page `link` opens; the response to the form's post.
async fn choose(app: &TestApp, link: &str, password: &str) -> reqwest::Response {
    let browser = app.anonymous();
    let page = html(browser.get(link).send().await.unwrap(), StatusCode::OK).await;
    assert!(page.contains("Choose a new password"));
    browser
        .post(link)
        .form(&[("password", password), ("csrf_token", &form_token(&page))])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reset_link_changes_the_password_once_and_ends_every_session_and_token() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let admin = app.admin.user_id;
    // Someone holds a session and a token of the account.
    let elsewhere = app.anonymous();
    sign_in(&elsewhere, &app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = create_token(&app.db, admin, "old laptop").await;

    let known = ask(&app, "Admin@Example.com").await;
    let unknown = ask(&app, "nobody@example.com").await;

    // The same answer for both (but the address it names and the page's CSRF token).
    let same = |page: &str, email: &str| {
        page.replace(email, "X")
            .lines()
            .filter(|l| !l.contains("csrf"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        same(&known, "Admin@Example.com"),
        same(&unknown, "nobody@example.com")
    );
    assert!(known.contains("we sent it a link to choose a new password"));
    let mail = sent_mail(&app, dir.path()).await;
    assert_eq!(mail.len(), 1, "the address with no account gets nothing");
    assert_eq!(
        (mail[0].to.as_str(), mail[0].subject.as_str()),
        (ADMIN_EMAIL, "Choose a new password")
    );
    let link = link_in(&mail[0]);
    assert!(link.starts_with(&format!("{}/password/reset/", app.address)));
    let stored = db::account_tokens::find_usable(
        &app.db,
        db::account_tokens::Purpose::ResetPassword,
        link.rsplit('/').next().unwrap(),
    );
    assert!(
        stored.await.unwrap().is_none(),
        "the token is stored hashed"
    );

    let done = choose(&app, &link, NEW_PASSWORD).await;

    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/login");
    for (who, client) in [
        ("the other session", &elsewhere),
        ("the test's", &app.client),
    ] {
        let me = client.get(app.url("/api/auth/me")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "{who} ended");
    }
    let by_token = app
        .anonymous()
        .get(app.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::UNAUTHORIZED, "the token");
    let old = app
        .anonymous()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "the old password");
    sign_in(&app.anonymous(), &app.address, ADMIN_EMAIL, NEW_PASSWORD).await;

    // A used link: its page says so, and its form changes nothing.
    let again = app.anonymous().get(&link).send().await.unwrap();
    let page = html(again, StatusCode::BAD_REQUEST).await;
    assert!(page.contains("It was used already, has expired, or is not one we sent."));
    let api = app
        .anonymous()
        .post(app.url("/api/auth/password/reset/confirm"))
        .json(&json!({ "token": link.rsplit('/').next(), "password": "yet another password" }))
        .send()
        .await
        .unwrap();
    let body = problem(api, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "token", "{body}");
    sign_in(&app.anonymous(), &app.address, ADMIN_EMAIL, NEW_PASSWORD).await;
}

#[tokio::test]
async fn an_expired_link_or_a_made_up_one_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    ask(&app, ADMIN_EMAIL).await;
    let link = link_in(&sent_mail(&app, dir.path()).await[0]);
    // An hour and a second later.
    let past = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    db::entities::account_token::Entity::update_many()
        .col_expr(
            db::entities::account_token::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(past),
        )
        .exec(&app.db)
        .await
        .unwrap();

    for link in [link, app.url("/password/reset/made-up")] {
        let page = app.anonymous().get(&link).send().await.unwrap();
        html(page, StatusCode::BAD_REQUEST).await;
        let (browser, token) = visit_form(&app, "/password/reset").await;
        let post = browser
            .post(&link)
            .form(&[("password", NEW_PASSWORD), ("csrf_token", &token)])
            .send()
            .await
            .unwrap();
        let page = html(post, StatusCode::BAD_REQUEST).await;
        assert!(page.contains("This link cannot be used"), "{link}");
    }
    sign_in(&app.anonymous(), &app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

/// Two requests using one link at the same moment: exactly one sets its password.
#[tokio::test]
async fn a_link_used_twice_at_once_works_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    ask(&app, ADMIN_EMAIL).await;
    let link = link_in(&sent_mail(&app, dir.path()).await[0]);
    let token = link.rsplit('/').next().unwrap();
    let reset = |password: &'static str| {
        app.anonymous()
            .post(app.url("/api/auth/password/reset/confirm"))
            .json(&json!({ "token": token, "password": password }))
            .send()
    };

    let (a, b) = tokio::join!(reset("first new password"), reset("second new password"));

    let mut statuses = [a.unwrap().status(), b.unwrap().status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::NO_CONTENT, StatusCode::UNPROCESSABLE_ENTITY]
    );
}

#[tokio::test]
async fn a_bad_address_or_password_keeps_the_form_with_its_field_error() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let (browser, token) = visit_form(&app, "/password/reset").await;
    let bad = browser
        .post(app.url("/password/reset"))
        .form(&[("email", "not an address"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    let page = html(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("is not an email address"));
    assert!(
        page.contains("value=\"not an address\""),
        "the input is kept"
    );

    ask(&app, ADMIN_EMAIL).await;
    let link = link_in(&sent_mail(&app, dir.path()).await[0]);
    let short = choose(&app, &link, "short").await;
    let page = html(short, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("id=\"password-error\""), "{page}");
    // The link still works after a refused password.
    let done = choose(&app, &link, NEW_PASSWORD).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
}

/// Reset mails to one address are capped (three an hour), and asking is rate-limited per client
/// like sign-in.
#[tokio::test]
async fn asking_again_and_again_floods_no_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let asked = app
            .anonymous()
            .post(app.url("/api/auth/password/reset"))
            .json(&json!({ "email": ADMIN_EMAIL }))
            .send()
            .await
            .unwrap();
        statuses.push(asked.status());
    }
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 10, "APP_AUTH_RATE_LIMIT per client: {statuses:?}");
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sent_mail(&app, dir.path()).await.len(), 3);
}
