//! S6 cookie flags per profile; S7 the session id rotates at login, logout ends the session, a
//! password change signs out the user's other browsers; expired sessions are cleaned up.

use reqwest::StatusCode;
use serde_json::json;

use super::session_cookie;
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, html, spawn_app, spawn_app_with};

async fn login_cookie(app: &crate::helpers::TestApp) -> String {
    let response = app
        .anonymous()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    session_cookie(&response).expect("a session cookie")
}

#[tokio::test]
async fn s6_in_development_the_cookie_is_http_only_and_lax_without_secure() {
    let app = spawn_app().await;

    let cookie = login_cookie(&app).await;

    assert!(
        cookie.starts_with(&format!("{}=", web::SESSION_COOKIE)),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn s6_in_production_the_cookie_is_secure_and_host_prefixed_with_hsts() {
    let app = spawn_app_with(&[
        ("APP_ENV", "production"),
        ("APP_SECRET_KEY", "0123456789abcdef0123456789abcdef-prod"),
        ("APP_ALLOWED_HOSTS", "127.0.0.1"),
    ])
    .await;

    let cookie = login_cookie(&app).await;
    let health = app.get("/health").await;

    assert!(
        cookie.starts_with(&format!("{}=", web::SECURE_SESSION_COOKIE)),
        "{cookie}"
    );
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(
        health.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=31536000")
    );
}

#[tokio::test]
async fn s7_the_session_id_rotates_at_login() {
    let app = spawn_app().await;
    let browser = app.anonymous();
    let before = browser.get(app.url("/login")).send().await.unwrap();
    let anonymous = session_cookie(&before).expect("the login form starts a session");
    let anonymous_id = anonymous.split(';').next().unwrap().to_owned();
    let page = before.text().await.unwrap();
    let token = super::form_token(&page);

    let after = browser
        .post(app.url("/login"))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);

    let signed_in = session_cookie(&after).unwrap();
    assert_ne!(signed_in.split(';').next().unwrap(), anonymous_id);
    // The planted (pre-login) id is dead: it does not carry the login.
    let replay = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .header("cookie", anonymous_id)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn s7_logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let cookie = login_cookie(&app).await;
    let id = cookie.split(';').next().unwrap().to_owned();
    let client = reqwest::Client::new();
    let me = |client: &reqwest::Client| {
        client
            .get(app.url("/api/auth/me"))
            .header("cookie", id.clone())
            .send()
    };
    assert_eq!(me(&client).await.unwrap().status(), StatusCode::OK);
    let csrf: serde_json::Value = me(&client).await.unwrap().json().await.unwrap();

    let out = client
        .post(app.url("/api/auth/logout"))
        .header("cookie", id.clone())
        .header("x-csrf-token", csrf["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();

    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(&client).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "a copied cookie is dead too"
    );
}

#[tokio::test]
async fn s7_a_password_change_signs_out_the_other_browsers_only() {
    let app = spawn_app().await;
    let (first, first_csrf, _) = app.sign_up("two@example.com").await;
    let second = app.anonymous();
    crate::helpers::sign_in(&second, &app.address, "two@example.com", ADMIN_PASSWORD).await;

    let changed = first
        .post(app.url("/api/auth/password"))
        .header("x-csrf-token", &first_csrf)
        .json(
            &json!({ "current_password": ADMIN_PASSWORD, "new_password": "a brand new password" }),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        first
            .get(app.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        second
            .get(app.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    crate::helpers::sign_in(
        &app.anonymous(),
        &app.address,
        "two@example.com",
        "a brand new password",
    )
    .await;
}

/// Whoever learnt the old password may have made a token with it: a password change revokes
/// every API token of the user (at once on this replica), and says so.
#[tokio::test]
async fn a_password_change_revokes_the_users_api_tokens() {
    let app = spawn_app().await;
    let (browser, csrf, user) = app.sign_up("three@example.com").await;
    let token = crate::helpers::create_token(&app.db, user.id, "laptop").await;
    let me = |token: String| {
        reqwest::Client::new()
            .get(app.url("/api/auth/me"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(me(token.clone()).await.unwrap().status(), StatusCode::OK);

    let changed = browser
        .post(app.url("/account/password"))
        .form(&[
            ("current_password", ADMIN_PASSWORD),
            ("new_password", "a brand new password"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(token).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert!(
        db::api_tokens::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .is_empty()
    );
    let page = browser.get(app.url("/account")).send().await.unwrap();
    let page = html(page, StatusCode::OK).await;
    assert!(page.contains("API tokens revoked"), "the flash says so");
    assert!(
        page.contains("revokes all your API tokens"),
        "the form says so"
    );
}

#[tokio::test]
async fn the_password_form_checks_the_current_password() {
    let app = spawn_app().await;

    let response = app
        .post_form(
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "another password"),
            ],
        )
        .await;

    let page = html(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("is not your current password"));
}

#[tokio::test]
async fn expired_sessions_are_not_accepted_and_the_cleanup_job_deletes_them() {
    let app = spawn_app().await;
    let cookie = login_cookie(&app).await;
    let id = cookie.split(';').next().unwrap().to_owned();
    let session_id = id.split_once('=').unwrap().1.to_owned();
    let past = db::now() - chrono::TimeDelta::minutes(1);
    let row = db::sessions::load(&app.db, &session_id)
        .await
        .unwrap()
        .unwrap();
    db::sessions::save(
        &app.db,
        &db::sessions::SessionRow {
            expires_at: past,
            ..row
        },
    )
    .await
    .unwrap();

    let me = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .header("cookie", id)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);

    let deleted = db::sessions::delete_expired(&app.db, db::now())
        .await
        .unwrap();
    assert!(deleted >= 1);
    assert!(
        db::sessions::load(&app.db, &session_id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn viewing_pages_does_not_rewrite_the_session() {
    let app = spawn_app().await;

    for path in ["/jobs", "/account", "/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        // A saved session re-sends its cookie; a page view that changed nothing saves nothing.
        assert_eq!(session_cookie(&response), None, "{path} saved the session");
    }
}

/// Sessions live in the database, so a second replica honours a session made on the first, and
/// a sign-out on the first ends it on the second at once.
#[tokio::test]
async fn a_session_made_on_one_replica_holds_on_another_until_signed_out() {
    let app = spawn_app().await;
    let replica = app.replica(&[]).await;
    let account = format!("{replica}/account");

    let page = html(
        app.client.get(&account).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(page.contains(ADMIN_EMAIL), "signed in on the replica");

    let logout = app.post_form("/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let after = app.client.get(&account).send().await.unwrap();
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "signed out there too"
    );
    let location = after.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/login"), "{location}");
}
