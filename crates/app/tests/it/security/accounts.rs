//! Signup, login, logout and authorization, through the HTML forms and the JSON endpoints; S8.

use reqwest::{StatusCode, header};
use serde_json::json;

use super::visit_form;
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, html, problem, spawn_app};

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_visitor_signs_up_with_the_form_and_is_signed_in() {
    let app = spawn_app().await;
    let (browser, token) = visit_form(&app, "/signup").await;

    let response = browser
        .post(app.url("/signup"))
        .form(&[
            ("email", "New.User@Example.com"),
            ("password", "long enough password"),
            ("next", "/products"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/products");
    let page = html(
        browser.get(app.url("/products")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(
        page.contains("new.user@example.com"),
        "signed in, email lower-cased"
    );
    assert!(
        page.contains("Welcome! Your account is ready."),
        "the flash is shown"
    );
    let again = html(
        browser.get(app.url("/products")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!again.contains("Welcome!"), "a flash is shown once");
}

#[tokio::test]
async fn signup_errors_re_render_the_form_with_field_errors_and_the_email_kept() {
    let app = spawn_app().await;
    let (browser, token) = visit_form(&app, "/signup").await;
    let post = |email: &'static str, password: &'static str| {
        browser
            .post(app.url("/signup"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
    };

    let short = html(
        post("kim@example.com", "short").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let taken = html(
        post("ADMIN@example.com", "long enough password")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let bad = html(
        post("not-an-email", "long enough password").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    assert!(
        short.contains("at least 10 characters") && short.contains("value=\"kim@example.com\"")
    );
    assert!(taken.contains("already has an account"));
    assert!(bad.contains("is not an email address"));
    assert_eq!(
        db::users::count(&app.db).await.unwrap(),
        1,
        "nothing created"
    );
}

#[tokio::test]
async fn login_with_a_wrong_password_or_unknown_email_says_the_same_thing() {
    let app = spawn_app().await;
    let (browser, token) = visit_form(&app, "/login").await;

    for email in [ADMIN_EMAIL, "nobody@example.com"] {
        let response = browser
            .post(app.url("/login"))
            .form(&[
                ("email", email),
                ("password", "wrong password!"),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        let page = html(response, StatusCode::UNAUTHORIZED).await;
        assert!(page.contains("The email or password is wrong."), "{email}");
    }
    // A fresh client: a JSON request that carries a session cookie needs the CSRF header too.
    let api = app
        .anonymous()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": ADMIN_EMAIL, "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    problem(api, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn login_goes_back_to_a_local_next_only() {
    let app = spawn_app().await;
    let browser = app.anonymous();

    let redirect = browser.get(app.url("/products/new")).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&redirect), "/login?next=/products/new");

    for (next, expected) in [
        ("/products/new", "/products/new"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
    ] {
        let (browser, token) = visit_form(&app, "/login").await;
        let response = browser
            .post(app.url("/login"))
            .form(&[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", next),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), expected, "next={next}");
    }
}

#[tokio::test]
async fn writes_need_a_user_and_the_jobs_dashboard_an_admin() {
    let app = spawn_app().await;
    let visitor = app.anonymous();
    let (member, member_csrf, _) = app.sign_up("member@example.com").await;

    // Visitors: pages redirect to login, the API answers 401.
    for path in ["/products/new", "/jobs", "/account"] {
        let response = visitor.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login?next="), "{path}");
    }
    let create = visitor
        .post(app.url("/api/products"))
        .json(&json!({ "name": "Tea", "price_cents": 1 }))
        .send()
        .await
        .unwrap();
    let body = problem(create, StatusCode::UNAUTHORIZED).await;
    assert!(
        body["detail"].as_str().unwrap().contains("Bearer"),
        "{body}"
    );
    assert_eq!(
        visitor
            .get(app.url("/products"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "reading is open"
    );

    // A member may write products but not see jobs.
    let created = member
        .post(app.url("/api/products"))
        .header("x-csrf-token", &member_csrf)
        .json(&json!({ "name": "Tea", "price_cents": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    html(
        member.get(app.url("/jobs")).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        member.get(app.url("/api/jobs/1")).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;

    // The admin sees the dashboard.
    html(app.get("/jobs").await, StatusCode::OK).await;
}

#[tokio::test]
async fn s8_hashes_use_owasp_parameters_and_old_ones_are_upgraded_at_login() {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    let app = spawn_app().await;
    let (_, _, user) = app.sign_up("old@example.com").await;
    let stored = db::users::get(&app.db, user.id)
        .await
        .unwrap()
        .password_hash;
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );

    let old = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(4096, 3, 1, None).unwrap(),
    )
    .hash_password(ADMIN_PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    db::users::set_password_hash(&app.db, user.id, &old)
        .await
        .unwrap();

    crate::helpers::sign_in(
        &app.anonymous(),
        &app.address,
        "old@example.com",
        ADMIN_PASSWORD,
    )
    .await;

    let upgraded = db::users::get(&app.db, user.id)
        .await
        .unwrap()
        .password_hash;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
    assert_ne!(upgraded, old);
}
