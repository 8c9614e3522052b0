//! API tokens: created on the account page, through the API and with `app token create`; shown
//! once, stored hashed, accepted as bearer tokens without CSRF, revocable. And
//! `app createsuperuser` reading its password from stdin.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{html, problem, spawn_app};

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_work_as_bearer_and_can_be_revoked() {
    let app = spawn_app().await;
    let (browser, csrf, user) = app.sign_up("script@example.com").await;

    let created = browser
        .post(app.url("/api/auth/tokens"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "name": "ci" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: serde_json::Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_i64().unwrap();

    let rows = db::api_tokens::list_for_user(&app.db, user.id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, token, "stored hashed");
    assert!(!rows[0].token_hash.contains(&token[4..]));
    let listed = browser
        .get(app.url("/api/auth/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&token), "never listed again");

    let client = reqwest::Client::new();
    let with_token = |method: reqwest::Method, path: &str| {
        client.request(method, app.url(path)).bearer_auth(&token)
    };
    let me: serde_json::Value = with_token(reqwest::Method::GET, "/api/auth/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "script@example.com");
    let write = with_token(reqwest::Method::POST, "/api/test/notes")
        .json(&json!({ "body": "By token" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        write.status(),
        StatusCode::CREATED,
        "no CSRF token needed with a bearer"
    );

    let revoked = browser
        .delete(app.url(&format!("/api/auth/tokens/{id}")))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused = with_token(reqwest::Method::GET, "/api/auth/me")
        .send()
        .await
        .unwrap();
    problem(refused, StatusCode::UNAUTHORIZED).await;
    let garbage = client
        .get(app.url("/api/auth/me"))
        .header(header::AUTHORIZATION, "Basic abc")
        .send()
        .await
        .unwrap();
    problem(garbage, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_account_page_creates_a_token_and_shows_it_once() {
    let app = spawn_app().await;

    let response = app
        .post_form("/account/tokens", &[("name", "laptop")])
        .await;
    // Post/redirect/get: reloading the page that shows the token makes no second token.
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/account#new-token");
    let shown = app.get("/account").await;
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let page = html(shown, StatusCode::OK).await;
    let shown = page.split("<code>app_").nth(1).expect("the token is shown");
    let token = format!("app_{}", shown.split('<').next().unwrap());

    let later = html(app.get("/account").await, StatusCode::OK).await;
    assert!(!later.contains(&token), "shown once");
    assert!(later.contains("laptop"));
    assert_eq!(
        db::api_tokens::list_for_user(&app.db, app.admin.user_id)
            .await
            .unwrap()
            .iter()
            .filter(|t| t.name == "laptop")
            .count(),
        1
    );
    // The form's address answers GET (a reload after an error lands on the account page).
    let bookmarked = app.get("/account/tokens").await;
    assert_eq!(bookmarked.status(), StatusCode::SEE_OTHER);
    assert_eq!(bookmarked.headers()["location"], "/account");
    let me = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

/// S8: new hashes are Argon2id with OWASP's parameters; a hash with older ones is replaced at the
/// next successful login.
#[tokio::test]
async fn createsuperuser_reads_the_password_from_stdin_and_token_create_prints_a_working_token() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let app = spawn_app().await;
    let database_url = app.database_url().to_owned();
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_app"))
            .args(args)
            .current_dir(tempfile::tempdir().unwrap().path())
            .env_clear()
            .envs([
                ("DATABASE_URL", database_url.as_str()),
                ("APP_ENV", "test"),
                ("RUST_LOG", "warn"),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };

    let created = run(
        &["createsuperuser", "--email", "Boss@Example.com"],
        "boss password 42\n",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let short = run(&["createsuperuser", "--email", "x@example.com"], "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    let token = run(
        &[
            "token",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "ci",
        ],
        "",
    );
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();

    crate::helpers::sign_in(
        &app.anonymous(),
        &app.address,
        "boss@example.com",
        "boss password 42",
    )
    .await;
    let me: serde_json::Value = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "boss@example.com");
    assert_eq!(me["user"]["is_admin"], true);
}
