//! S12 a weak secret refuses to boot; S13 secrets never reach the logs; S17 `check --deploy`.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
};

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    cli::app,
    helpers::{TestDatabase, browser},
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
        text.contains("APP_SECRET_KEY                   = (not set)"),
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_app"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .envs([
            ("APP_ENV", "test"),
            ("APP_ADDR", addr.as_str()),
            ("DATABASE_URL", database.url.as_str()),
            (
                "APP_TEMPLATES_DIR",
                crate::helpers::workspace_path("templates")
                    .to_str()
                    .unwrap(),
            ),
            (
                "APP_STATIC_DIR",
                crate::helpers::workspace_path("static").to_str().unwrap(),
            ),
            ("APP_TODOS_API_URL", "http://127.0.0.1:9"),
            ("RUST_LOG", "debug"),
            ("APP_DB_LOG_STATEMENTS", "true"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = lines_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    drop(lines_tx);
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains("listening on")) {
        log.push(
            lines
                .recv()
                .expect("the server starts and says where it listens"),
        );
    }

    let address = format!("http://{addr}");
    let password = "S3cret-Pa55word-for-logs";
    let client = browser(&address);
    let signed_up = client
        .post(format!("{address}/api/auth/signup"))
        .json(&json!({ "email": "logs@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), StatusCode::CREATED);
    let cookie = super::session_cookie(&signed_up).unwrap();
    let cookie_value = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let body: serde_json::Value = signed_up.json().await.unwrap();
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

    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    log.extend(lines.iter());
    let log = log.join("\n");
    assert!(log.contains("signed in"), "the log is on at debug: {log}");
    for (what, secret) in [
        ("password", password),
        ("API token", token.as_str()),
        ("session cookie", cookie_value.as_str()),
        ("CSRF token", csrf.as_str()),
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
