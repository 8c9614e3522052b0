//! What the middleware stack adds to every response.

use reqwest::{StatusCode, header};

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_response_carries_the_security_headers_errors_included() {
    let app = spawn_app().await;

    for path in [
        "/",
        "/health",
        "/api/test/notes/999",
        "/no-such-page",
        "/static/app.css",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(headers.contains_key(header::REFERRER_POLICY), "{path}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_request_id_is_generated_or_propagated() {
    let app = spawn_app().await;

    let generated = app.get("/health").await;
    let propagated = app
        .client
        .get(app.url("/api/test/notes/999"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();

    assert_eq!(
        generated.headers()["x-request-id"].to_str().unwrap().len(),
        36,
        "a UUID"
    );
    assert_eq!(propagated.headers()["x-request-id"], "trace-me-123");
    let body: serde_json::Value = propagated.json().await.unwrap();
    assert_eq!(
        body["request_id"], "trace-me-123",
        "problems quote the request id"
    );
}

#[tokio::test]
async fn large_responses_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    for n in 0..100 {
        app.create_note(&format!(
            "note number {n}, long enough to be worth compressing"
        ))
        .await;
    }
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();

    let response = raw
        .get(app.url("/api/test/notes?limit=100"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn an_html_404_is_the_styled_page_with_the_request_id() {
    let app = spawn_app().await;

    let response = app.get("/no-such-page").await;

    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = crate::helpers::html(response, StatusCode::NOT_FOUND).await;
    assert!(
        page.contains("Nothing lives at &#x2F;no-such-page."),
        "the path is shown, escaped"
    );
    assert!(page.contains(&request_id));
}

/// A page speaks to a person; the programmer's explanation (which names the Rust type or the
/// header) stays in the API's problem body.
#[tokio::test]
async fn error_pages_use_plain_words_and_the_api_keeps_the_detail() {
    let app = spawn_app().await;

    let page = crate::helpers::html(app.get("/jobs/abc").await, StatusCode::BAD_REQUEST).await;
    assert!(page.contains("There is no page at this address."), "{page}");
    assert!(
        !page.contains("Cannot parse") && !page.contains("i64"),
        "{page}"
    );
    let api = app.get("/api/jobs/abc").await;
    let body = crate::helpers::problem(api, StatusCode::BAD_REQUEST).await;
    assert!(
        body["detail"].as_str().unwrap().contains("Cannot parse"),
        "{body}"
    );

    let refused = app.get("/account/tokens/1/delete").await;
    let page = crate::helpers::html(refused, StatusCode::METHOD_NOT_ALLOWED).await;
    assert!(page.contains("cannot be opened that way"), "{page}");
    assert!(!page.contains("`Allow`"), "{page}");
}
