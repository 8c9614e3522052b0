//! S12 a weak secret refuses to boot; S13 secrets never reach the logs; S17 `check --deploy`.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    cli::app,
    helpers::{TestDatabase, browser, serve_process},
};

#[test]
fn s12_production_refuses_to_boot_with_a_weak_or_example_secret() {
    for secret in ["short", "replace-me-with-at-least-32-random-characters"] {
        let output = app(
            &["serve"],
            &[
                ("APP_ENV", "production"),
                ("APP_SECRET_KEY", secret),
                ("APP_ALLOWED_HOSTS", "example.com"),
            ],
        );
        assert!(!output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("APP_SECRET_KEY"),
            "{secret}"
        );
    }
}

#[test]
fn s17_check_deploy_lists_every_problem_of_a_development_config_and_fails() {
    let output = app(&["check", "--deploy"], &[("APP_CORS_ORIGINS", "*")]);

    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "APP_ENV is development",
        "APP_SECRET_KEY is the example/development value",
        "APP_ALLOWED_HOSTS is empty",
        "APP_SECURE_COOKIES is false",
        "APP_HSTS_SECS is off",
        "APP_CORS_ORIGINS is `*`",
        "APP_TEMPLATE_RELOAD is on",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn s17_check_deploy_reports_invalid_values_too_and_passes_a_good_production_config() {
    let fresh = app(&["check", "--deploy"], &[("APP_ENV", "production")]);
    let text = String::from_utf8_lossy(&fresh.stdout);
    assert!(!fresh.status.success());
    assert!(
        text.contains("APP_SECRET_KEY: required in production"),
        "{text}"
    );
    assert!(
        text.contains("APP_ALLOWED_HOSTS: required in production"),
        "{text}"
    );
    assert_eq!(
        text.matches("  - APP_SECRET_KEY").count(),
        1,
        "reported once: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("APP_SECRET_KEY ") && l.contains("= (not set)")),
        "{text}"
    );

    let good = app(
        &["check", "--deploy"],
        &[
            ("APP_ENV", "production"),
            ("APP_SECRET_KEY", "0123456789abcdef0123456789abcdef-prod"),
            ("APP_ALLOWED_HOSTS", "example.com"),
        ],
    );
    let text = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{text}");
    assert!(text.contains("deploy check: no problems found"), "{text}");
}

/// S13: a real `app serve` logging at debug, with SQL statements, through a signup, a login, a
/// token and cookie-authenticated requests: no password, token, cookie or CSRF value in its output.
#[tokio::test]
async fn s13_passwords_tokens_and_cookies_never_appear_in_the_logs() {
    let database = TestDatabase::create().await;
    let server = serve_process(
        &database.url,
        &[("RUST_LOG", "debug"), ("APP_DB_LOG_STATEMENTS", "true")],
    );

    let address = server.address.clone();
    let password = "S3cret-Pa55word-for-logs";
    let client = browser(&address);
    // Signed up (and in) in one browser, signing in again in another.
    let signed_up = browser(&address)
        .post(format!("{address}/api/auth/signup"))
        .json(&json!({ "email": "logs@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), StatusCode::CREATED);
    let signed_in = client
        .post(format!("{address}/api/auth/login"))
        .json(&json!({ "email": "logs@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = super::session_cookie(&signed_in).unwrap();
    let cookie_value = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let body: serde_json::Value = signed_in.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let token: serde_json::Value = client
        .post(format!("{address}/api/auth/tokens"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "name": "logs" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let anonymous = browser(&address);
    let login = anonymous
        .post(format!("{address}/login"))
        .form(&[("email", "logs@example.com"), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        StatusCode::FORBIDDEN,
        "no form token: refused, but the attempt is logged"
    );
    let login = anonymous
        .post(format!("{address}/api/auth/login"))
        .json(&json!({ "email": "logs@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let with_token = reqwest::Client::new()
        .get(format!("{address}/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::OK);
    // A mailed link's token (made up here: the page answers 400, the request is logged).
    let link_token = "Mailed-Link-Token-0123456789abcdefghijklmnop";
    for path in ["/password/reset", "/verify"] {
        let opened = reqwest::get(format!("{address}{path}/{link_token}"))
            .await
            .unwrap();
        assert_eq!(opened.status(), StatusCode::BAD_REQUEST);
    }

    server.terminate();
    let (_, log) = server.wait(std::time::Duration::from_secs(60)).await;
    assert!(log.contains("signed in"), "the log is on at debug: {log}");
    assert!(
        log.contains("/password/reset/{token}"),
        "the link's request, by its route"
    );
    for (what, secret) in [
        ("password", password),
        ("API token", token.as_str()),
        ("session cookie", cookie_value.as_str()),
        ("CSRF token", csrf.as_str()),
        ("mailed link's token", link_token),
    ] {
        assert!(!log.contains(secret), "the {what} appears in the log");
    }
    for header in ["authorization", "cookie:", "set-cookie"] {
        assert!(
            !log.to_lowercase().contains(header),
            "a {header} header is logged"
        );
    }
}
