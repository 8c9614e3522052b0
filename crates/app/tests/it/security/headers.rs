//! S1 the host allowlist; S4/S5 security headers on 200, 404, 413 and 500 responses; S10 body
//! limits on JSON and on forms (which the CSRF check reads).

use reqwest::{StatusCode, header};
use sea_orm::ConnectionTrait;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

async fn production_app() -> TestApp {
    spawn_app_with(&[
        ("APP_ENV", "production"),
        ("APP_SECRET_KEY", "0123456789abcdef0123456789abcdef-prod"),
        ("APP_ALLOWED_HOSTS", "127.0.0.1,.example.com"),
    ])
    .await
}

#[tokio::test]
async fn s1_a_host_outside_the_allowlist_gets_400_before_routing() {
    let app = production_app().await;
    let with_host = |host: &'static str| {
        reqwest::Client::new()
            .get(app.url("/api/test/notes"))
            .header(header::HOST, host)
            .send()
    };

    let evil = with_host("evil.example").await.unwrap();
    let listed = with_host("shop.example.com").await.unwrap();
    let own = app.get("/health").await;

    let body = crate::helpers::problem(evil, StatusCode::BAD_REQUEST).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("APP_ALLOWED_HOSTS"),
        "{body}"
    );
    assert_eq!(listed.status(), StatusCode::OK);
    assert_eq!(own.status(), StatusCode::OK);
}

/// An absolute-form request line names its own host, which wins over `Host` (RFC 9112): the
/// allowlist checks that one.
#[tokio::test]
async fn s1_an_absolute_form_request_for_another_host_gets_400() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = production_app().await;
    let ask = |line: &'static str| {
        let address = app.address.trim_start_matches("http://").to_owned();
        async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let request = format!("{line}\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer
        }
    };

    let evil = ask("GET http://evil.example/health HTTP/1.1").await;
    let listed = ask("GET http://shop.example.com/health HTTP/1.1").await;

    assert!(evil.starts_with("HTTP/1.1 400"), "{evil}");
    assert!(listed.starts_with("HTTP/1.1 200"), "{listed}");
}

#[tokio::test]
async fn s1_development_answers_any_host() {
    let app = spawn_app().await;

    let response = reqwest::Client::new()
        .get(app.url("/health"))
        .header(header::HOST, "anything.test")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
}

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(
        headers["cross-origin-opener-policy"], "same-origin",
        "{what}"
    );
    assert!(headers.contains_key(header::REFERRER_POLICY), "{what}");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
}

#[tokio::test]
async fn s4_s5_security_headers_are_on_200_404_413_and_500_responses() {
    let app = spawn_app().await;
    let ok = app.get("/").await;
    let missing = app.get("/no/such/page").await;
    let too_large = app
        .client
        .post(app.url("/api/test/notes"))
        .bearer_auth(&app.token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    app.db
        .execute_unprepared("DROP TABLE test_notes")
        .await
        .unwrap();
    let failed = app.get("/api/test/notes").await;

    for (response, status) in [
        (&ok, StatusCode::OK),
        (&missing, StatusCode::NOT_FOUND),
        (&too_large, StatusCode::PAYLOAD_TOO_LARGE),
        (&failed, StatusCode::INTERNAL_SERVER_ERROR),
    ] {
        assert_eq!(response.status(), status);
        assert_security_headers(response, status.as_str());
    }
    assert!(
        !ok.headers().contains_key("strict-transport-security"),
        "no HSTS in development"
    );
}

#[tokio::test]
async fn s10_an_oversized_form_is_413_and_nothing_is_written() {
    let app = spawn_app().await;
    let body = "x".repeat(2 * 1024 * 1024);

    let response = app.post_form("/test/notes", &[("body", &body)]).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.note_count().await, 0);
}
