//! S2: unsafe requests with the session cookie need the session's CSRF token and a same-site
//! `Origin`; S14: CORS is closed unless configured.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, html, problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn s2_a_form_without_a_token_or_with_another_sessions_token_is_refused() {
    let app = spawn_app().await;
    let (_, other_csrf, _) = app.sign_up("other@example.com").await;
    let post = |token: Option<&str>| {
        let mut form = vec![("body", "Forged")];
        if let Some(token) = token {
            form.push(("csrf_token", token));
        }
        app.client.post(app.url("/test/notes")).form(&form).send()
    };

    let missing = html(post(None).await.unwrap(), StatusCode::FORBIDDEN).await;
    let foreign = html(
        post(Some(&other_csrf)).await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let ok = post(Some(&app.csrf)).await.unwrap();

    assert!(missing.contains("no CSRF token"), "{missing}");
    assert!(foreign.contains("does not match"), "{foreign}");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.note_count().await,
        1,
        "only the request with the right token wrote"
    );
}

#[tokio::test]
async fn s2_a_cross_site_origin_is_refused_even_with_the_right_token() {
    let app = spawn_app().await;
    // A cookie jar that sends no `Origin` of its own, so each request names its own.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let csrf = crate::helpers::sign_in(
        &client,
        &app.address,
        crate::helpers::ADMIN_EMAIL,
        ADMIN_PASSWORD,
    )
    .await;

    for (name, value) in [
        (header::ORIGIN, "https://evil.example"),
        (header::REFERER, "https://evil.example/page"),
        (header::ORIGIN, "null"),
    ] {
        let response = client
            .post(app.url("/api/test/notes"))
            .header(name.clone(), value)
            .header("x-csrf-token", &csrf)
            .json(&json!({ "body": "Forged" }))
            .send()
            .await
            .unwrap();
        let body = problem(response, StatusCode::FORBIDDEN).await;
        assert!(
            body["detail"].as_str().unwrap().contains("Cross-site"),
            "{body}"
        );
    }
    assert_eq!(app.note_count().await, 0);
}

#[tokio::test]
async fn s2_the_header_token_works_for_fetch_and_the_token_rotates_at_login() {
    let app = spawn_app().await;
    let (browser, before) = super::visit_form(&app, "/login").await;

    let login = browser
        .post(app.url("/login"))
        .form(&[
            ("email", crate::helpers::ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", &before),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let me: serde_json::Value = browser
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after = me["csrf_token"].as_str().unwrap().to_owned();
    assert_ne!(before, after, "a new token at login");

    let with = |token: &str| {
        browser
            .post(app.url("/api/test/notes"))
            .header("x-csrf-token", token)
            .json(&json!({ "body": "Fetched" }))
            .send()
    };
    problem(with(&before).await.unwrap(), StatusCode::FORBIDDEN).await;
    assert_eq!(with(&after).await.unwrap().status(), StatusCode::CREATED);
}

#[tokio::test]
async fn s2_safe_methods_never_change_state() {
    let app = spawn_app().await;
    let queue = jobs::Queue::new(app.db.clone(), app.hub.clone());
    let pending = jobs::kinds::AccountEmail {
        to: "kept@example.com".into(),
        notice: jobs::kinds::AccountNotice::Welcome,
        link: None,
    };
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let id = queue.enqueue_at(&app.db, &pending, later).await.unwrap().id;

    for path in [
        format!("/jobs/{id}/cancel"),
        format!("/jobs/{id}/retry"),
        "/logout".to_owned(),
    ] {
        let response = app.get(&path).await;
        assert_ne!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
    }

    let job = queue.get(id).await.unwrap();
    assert_eq!(
        job.state,
        jobs::State::Queued,
        "GET of cancel changed nothing"
    );
    assert_eq!(
        app.get("/api/auth/me").await.status(),
        StatusCode::OK,
        "GET /logout did not sign out"
    );
}

#[tokio::test]
async fn s14_cors_is_closed_unless_origins_are_configured() {
    let closed = spawn_app().await;
    let open = spawn_app_with(&[("APP_CORS_ORIGINS", "https://app.example")]).await;
    let preflight = |app: &crate::helpers::TestApp, origin: &str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, app.url("/api/test/notes"))
            .header(header::ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let get = |app: &crate::helpers::TestApp, origin: &str| {
        reqwest::Client::new()
            .get(app.url("/api/test/notes"))
            .header(header::ORIGIN, origin)
            .send()
    };

    for response in [
        preflight(&closed, "https://app.example").await.unwrap(),
        get(&closed, "https://evil.example").await.unwrap(),
    ] {
        assert!(
            !response
                .headers()
                .contains_key("access-control-allow-origin")
        );
    }
    let allowed = preflight(&open, "https://app.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(
        !allowed
            .headers()
            .contains_key("access-control-allow-credentials")
    );
    let other = get(&open, "https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

/// A multipart body used to skip the token check on every route, leaving it to the handler; a
/// handler that never reads its body (logout, revoking a token) then ran unchecked. Only the
/// routes declared as uploads read a multipart form's token; everywhere else it needs the header.
#[tokio::test]
async fn a_multipart_post_to_a_route_that_is_not_an_upload_needs_the_header_token() {
    let app = spawn_app().await;
    let form = || {
        reqwest::multipart::Form::new()
            .text("csrf_token", app.csrf.clone())
            .text("x", "y")
    };

    let refused = app
        .client
        .post(app.url("/logout"))
        .multipart(form())
        .send()
        .await
        .unwrap();

    let page = html(refused, StatusCode::FORBIDDEN).await;
    assert!(page.contains("only accepted by an upload"), "{page}");
    let me = app.get("/api/auth/me").await;
    assert_eq!(me.status(), StatusCode::OK, "still signed in");
    let with_header = app
        .client
        .post(app.url("/logout"))
        .header("x-csrf-token", &app.csrf)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(with_header.status(), StatusCode::SEE_OTHER);
}
