use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{html, spawn_app};

/// What the engine serves whatever the app adds or removes: the home page, the account pages to
/// a visitor, the jobs dashboard to an administrator, each in the shared layout.
#[tokio::test]
async fn the_engines_own_pages_answer_in_the_layout() {
    let app = spawn_app().await;
    let visitor = app.anonymous();

    let mut pages = vec![html(app.get("/").await, StatusCode::OK).await];
    for path in ["/signup", "/login"] {
        let response = visitor.get(app.url(path)).send().await.unwrap();
        pages.push(html(response, StatusCode::OK).await);
    }
    pages.push(html(app.get("/jobs").await, StatusCode::OK).await);

    for page in pages {
        assert!(page.contains("<nav class=\"container nav\""), "{page}");
        assert!(page.contains("href=\"/static/app.css\""), "{page}");
    }
}

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;

    let response = app.get("/health").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
}

#[tokio::test]
async fn ready_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;

    let response = app.get("/ready").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ready");
}

#[tokio::test]
async fn without_a_database_ready_is_503_while_health_stays_200() {
    let app = spawn_app().await;
    // Closing the shared pool is what the app sees when the database goes away.
    app.db.close_by_ref().await.unwrap();

    let ready = app.get("/ready").await;
    let health = app.get("/health").await;

    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["status"],
        "unavailable"
    );
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_query_on_a_database_that_is_gone_is_503_not_500() {
    let app = spawn_app().await;
    app.db.close_by_ref().await.unwrap();

    // A write runs on the pool (point reads may be on SQLite's reader threads, which this does
    // not close).
    let note = serde_json::json!({ "body": "Too late" });
    let response = app.post_json("/api/test/notes", &note).await;

    let body = crate::helpers::problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["type"], "/problems/service-unavailable");
}
