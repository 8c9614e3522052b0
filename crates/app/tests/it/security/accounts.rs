//! Signup, login, logout and authorization, through the HTML forms and the JSON endpoints; S8.

use reqwest::{StatusCode, header};
use serde_json::json;

use super::visit_form;
use crate::{
    background_jobs::app_jobs::{app_without_worker, services},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, html, problem, spawn_app},
};

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_visitor_signs_up_with_the_form_then_signs_in_and_gets_a_welcome_mail() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let (browser, token) = visit_form(&app, "/signup").await;

    let response = browser
        .post(app.url("/signup"))
        .form(&[
            ("email", "New.User@Example.com"),
            ("password", "long enough password"),
            ("next", "/account"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=/account");
    let page = html(
        browser
            .get(app.url("/login?next=/account"))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("Check your inbox"), "the flash is shown");
    assert!(!page.contains("new.user@example.com"), "not signed in yet");
    crate::helpers::sign_in(
        &app.anonymous(),
        &app.address,
        "new.user@example.com",
        "long enough password",
    )
    .await;
    let mail = sent_mail(&app, dir.path()).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(
        (mail[0].to.as_str(), mail[0].subject.as_str()),
        ("new.user@example.com", "Your account is ready")
    );
}

/// Signup must not tell anyone which addresses have accounts: a registered address gets the
/// same answer (page, status, JSON) as a new one, and its owner a mail instead.
#[tokio::test]
async fn signup_answers_the_same_for_a_registered_address_and_tells_its_owner_by_mail() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let app = &app;
    let form = |email: &'static str| async move {
        let (browser, token) = visit_form(app, "/signup").await;
        let response = browser
            .post(app.url("/signup"))
            .form(&[
                ("email", email),
                ("password", "long enough password"),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let to = location(&response);
        let page = browser.get(app.url(&to)).send().await.unwrap();
        (status, to, html(page, StatusCode::OK).await)
    };
    let api = |email: &'static str| async move {
        let response = app
            .anonymous()
            .post(app.url("/api/auth/signup"))
            .json(&json!({ "email": email, "password": "long enough password" }))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };

    let (new_status, new_to, new_page) = form("fresh@example.com").await;
    let (taken_status, taken_to, taken_page) = form("ADMIN@example.com").await;
    let new_api = api("fresh2@example.com").await;
    let taken_api = api(ADMIN_EMAIL).await;
    // Asked again within the hour: the owner is not mailed twice.
    api(ADMIN_EMAIL).await;

    assert_eq!((new_status, new_to), (taken_status, taken_to));
    let strip_tokens = |page: &str| {
        page.lines()
            .filter(|l| !l.contains("csrf"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_tokens(&new_page), strip_tokens(&taken_page));
    assert_eq!(new_api, taken_api);
    assert_eq!(new_api.0, StatusCode::ACCEPTED);
    assert!(!taken_page.contains("already"), "{taken_page}");
    let mut mail: Vec<(String, String)> = sent_mail(app, dir.path())
        .await
        .into_iter()
        .map(|m| (m.to, m.subject))
        .collect();
    mail.sort();
    assert_eq!(
        mail,
        [
            (
                ADMIN_EMAIL.to_owned(),
                "Someone tried to sign up with your address".to_owned()
            ),
            (
                "fresh2@example.com".to_owned(),
                "Your account is ready".to_owned()
            ),
            (
                "fresh@example.com".to_owned(),
                "Your account is ready".to_owned()
            ),
        ]
    );
    assert_eq!(db::users::count(&app.db).await.unwrap(), 3);
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
    let bad = html(
        post("not-an-email", "long enough password").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    assert!(
        short.contains("at least 10 characters") && short.contains("value=\"kim@example.com\"")
    );
    assert!(bad.contains("is not an email address"));
    assert_eq!(
        db::users::count(&app.db).await.unwrap(),
        1,
        "nothing created"
    );
}

/// Runs the queued jobs with a mail-catching worker; returns what it sent.
async fn sent_mail(app: &crate::helpers::TestApp, data_dir: &std::path::Path) -> Vec<jobs::Email> {
    let services = services(app, data_dir);
    let mailer = services.mailer.clone();
    let runner = jobs::kinds::runner(
        services.queue.clone(),
        services,
        jobs::WorkerConfig::default(),
    );
    runner.unwrap().run_until_empty().await.unwrap();
    mailer.sent()
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

    let redirect = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&redirect), "/login?next=/account");

    for (next, expected) in [
        ("/account", "/account"),
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
    for path in ["/jobs", "/account"] {
        let response = visitor.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login?next="), "{path}");
    }
    let create = visitor
        .post(app.url("/api/test/notes"))
        .json(&json!({ "body": "Tea" }))
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
            .get(app.url("/api/test/notes"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "reading is open"
    );

    // A member may write but not see jobs.
    let created = member
        .post(app.url("/api/test/notes"))
        .header("x-csrf-token", &member_csrf)
        .json(&json!({ "body": "Tea" }))
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
