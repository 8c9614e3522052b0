//! Signup, login, logout and authorization, through the HTML forms and the JSON endpoints; S8.

use reqwest::{StatusCode, header};
use serde_json::json;

use super::visit_form;
use crate::{
    background_jobs::app_jobs::{app_without_worker, services},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, html, problem, spawn_app, spawn_app_with},
};

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// By default (`APP_EMAIL_VERIFICATION=optional`) a sign-up signs the new account in; a banner
/// asks it to confirm its address, by the link in the welcome mail.
#[tokio::test]
async fn a_visitor_signs_up_with_the_form_is_signed_in_and_confirms_the_address_by_mail() {
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
    assert_eq!(location(&response), "/account");
    let page = html(
        browser.get(app.url("/account")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("Welcome! You are signed in as new.user@example.com"));
    assert!(page.contains("Please confirm your address"), "the banner");
    let mail = sent_mail(&app, dir.path()).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(
        (mail[0].to.as_str(), mail[0].subject.as_str()),
        ("new.user@example.com", "Your account is ready")
    );

    // The link opens a page that asks; only its form confirms (mail scanners open links too).
    let link = link_in(&mail[0]);
    assert!(
        link.starts_with(&format!("{}/verify/", app.address)),
        "{link}"
    );
    let page = html(browser.get(&link).send().await.unwrap(), StatusCode::OK).await;
    let email = db::users::Email::parse("new.user@example.com").unwrap();
    let user = db::users::find_by_email(&app.db, &email).await.unwrap();
    assert!(
        user.unwrap().email_verified_at.is_none(),
        "not before the form"
    );
    let confirmed = browser
        .post(&link)
        .form(&[("csrf_token", super::form_token(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let page = html(
        browser.get(app.url("/")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("Thank you: new.user@example.com is confirmed."));
    assert!(!page.contains("Please confirm your address"), "no banner");
    let me: serde_json::Value = browser
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email_verified"], true);

    // Once only.
    let again = browser.get(&link).send().await.unwrap();
    let page = html(again, StatusCode::BAD_REQUEST).await;
    assert!(page.contains("This link cannot be used"));
}

/// The JSON sign-up of a new address signs in too (201 with the CSRF token, as a sign-in
/// answers); a registered address gets 202, its owner a note with the reset page's address.
#[tokio::test]
async fn the_api_signup_signs_a_new_account_in_and_tells_a_registered_address_so() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let client = app.anonymous();
    let signup = |email: &'static str| {
        client
            .post(app.url("/api/auth/signup"))
            .json(&json!({ "email": email, "password": "long enough password" }))
            .send()
    };

    let created = signup("api.user@example.com").await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: serde_json::Value = created.json().await.unwrap();
    assert_eq!(body["user"]["email"], "api.user@example.com");
    assert_eq!(body["user"]["email_verified"], false);
    let csrf = body["csrf_token"].as_str().unwrap();
    let tokens = client
        .post(app.url("/api/auth/tokens"))
        .header("x-csrf-token", csrf)
        .json(&json!({ "name": "laptop" }))
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), StatusCode::CREATED, "the session works");

    let taken = app
        .anonymous()
        .post(app.url("/api/auth/signup"))
        .json(&json!({ "email": ADMIN_EMAIL, "password": "long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::ACCEPTED);
    let body: serde_json::Value = taken.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("already has an account")
    );
    let mail = sent_mail(&app, dir.path()).await;
    let note = mail.iter().find(|m| m.to == ADMIN_EMAIL).unwrap();
    assert_eq!(note.subject, "Someone tried to sign up with your address");
    assert_eq!(link_in(note), format!("{}/password/reset", app.address));
}

/// With `APP_EMAIL_VERIFICATION=required`, sign-up must not tell anyone which addresses have
/// accounts: a registered address gets the same answer (page, status, JSON) as a new one, and
/// its owner a mail instead. Nobody is signed in until the address is confirmed.
#[tokio::test]
async fn when_confirming_is_required_signup_answers_alike_and_sign_in_waits_for_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let app = spawn_app_with(&[
        ("APP_JOBS_IN_PROCESS", "false"),
        ("APP_DATA_DIR", data_dir),
        ("APP_EMAIL_VERIFICATION", "required"),
    ])
    .await;
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
    assert!(new_page.contains("Check your inbox"), "the flash is shown");
    assert!(!new_page.contains("fresh@example.com"), "not signed in");
    assert_eq!(new_api, taken_api);
    assert_eq!(new_api.0, StatusCode::ACCEPTED);
    assert!(!taken_page.contains("already"), "{taken_page}");
    let mail = sent_mail(app, dir.path()).await;
    let mut sent: Vec<(&str, &str)> = mail
        .iter()
        .map(|m| (m.to.as_str(), m.subject.as_str()))
        .collect();
    sent.sort_unstable();
    assert_eq!(
        sent,
        [
            (ADMIN_EMAIL, "Someone tried to sign up with your address"),
            ("fresh2@example.com", "Your account is ready"),
            ("fresh@example.com", "Your account is ready"),
        ]
    );
    assert_eq!(db::users::count(&app.db).await.unwrap(), 3);

    // The right password, an unconfirmed address: refused, and a fresh link is mailed.
    let login = |client: reqwest::Client| async move {
        client
            .post(app.url("/api/auth/login"))
            .json(&json!({ "email": "fresh@example.com", "password": "long enough password" }))
            .send()
            .await
            .unwrap()
    };
    let refused = problem(login(app.anonymous()).await, StatusCode::FORBIDDEN).await;
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("Confirm your address first"), "{detail}");
    let fresh = sent_mail(app, dir.path()).await;
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0].subject, "Confirm your address");
    let token = link_in(&fresh[0]).rsplit('/').next().unwrap().to_owned();
    let confirmed = app
        .anonymous()
        .post(app.url("/api/auth/verify"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(app.anonymous()).await.status(), StatusCode::OK);
}

/// The first line of a mail that is a link.
pub fn link_in(mail: &jobs::Email) -> String {
    mail.body
        .lines()
        .find(|line| line.starts_with("http"))
        .unwrap_or_else(|| panic!("a link in {}", mail.body))
        .to_owned()
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
pub async fn sent_mail(
    app: &crate::helpers::TestApp,
    data_dir: &std::path::Path,
) -> Vec<jobs::Email> {
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
