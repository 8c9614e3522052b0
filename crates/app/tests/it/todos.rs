//! The fan-out through the real app, with wiremock as the todos upstream.

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::helpers::{html, problem, spawn_app, spawn_app_with};

fn todo(id: u64) -> Value {
    json!({ "userId": 1, "id": id, "title": format!("todo {id}"), "completed": id.is_multiple_of(2) })
}

async fn upstream() -> MockServer {
    let server = MockServer::start().await;
    for id in [1, 3] {
        Mock::given(method("GET"))
            .and(path(format!("/todos/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(todo(id)))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/todos/2"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_summary_returns_every_todo_and_reports_the_failing_ones() {
    let upstream = upstream().await;
    let app = spawn_app_with(&[("APP_TODOS_API_URL", &upstream.uri())]).await;

    let response = app.get("/api/todos/summary?ids=1,2,3,3").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let ids: Vec<u64> = body["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3], "in the order asked, the failing one left out");
    assert_eq!(
        body["errors"],
        json!([{
            "id": 2,
            "error": "todos: todo 2 was not found",
            "status": 404,
            "message": "there is no such todo"
        }])
    );
    let calls = upstream.received_requests().await.unwrap_or_default().len();
    assert_eq!(calls, 3, "the duplicate id is fetched once");
}

#[tokio::test]
async fn the_upstream_sees_which_app_calls_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/todos/1"))
        .and(header(
            "user-agent",
            concat!("app/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(todo(1)))
        .mount(&server)
        .await;
    let app = spawn_app_with(&[("APP_TODOS_API_URL", &server.uri())]).await;

    let body: Value = app
        .get("/api/todos/summary?ids=1")
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        body["errors"],
        json!([]),
        "the request matched the user-agent mock"
    );
}

#[tokio::test]
async fn invalid_id_lists_are_400_problems() {
    let app = spawn_app().await;

    for query in ["", "?ids=", "?ids=abc", "?ids=0", "?ids=1,-2"] {
        let response = app.get(&format!("/api/todos/summary{query}")).await;
        problem(response, StatusCode::BAD_REQUEST).await;
    }
    let many: Vec<String> = (1..=21).map(|i| i.to_string()).collect();
    let response = app
        .get(&format!("/api/todos/summary?ids={}", many.join(",")))
        .await;
    let body = problem(response, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().contains("At most 20"));
}

#[tokio::test]
async fn with_the_upstream_unreachable_the_page_answers_with_a_clear_message() {
    // The test configuration points the upstream at a closed port on loopback.
    let app = spawn_app().await;

    let page = html(app.get("/todos?ids=1,2").await, StatusCode::OK).await;

    assert!(page.contains("Some todos could not be fetched"));
    assert!(
        page.contains("#1: the todo service is not answering right now"),
        "a person's words, not the client's error: {page}"
    );
    assert!(!page.contains("todos is unavailable"), "{page}");
}

#[tokio::test]
async fn the_page_shows_todos_and_per_id_errors() {
    let upstream = upstream().await;
    let app = spawn_app_with(&[("APP_TODOS_API_URL", &upstream.uri())]).await;

    let page = html(app.get("/todos?ids=1,2").await, StatusCode::OK).await;

    assert!(page.contains("todo 1"));
    assert!(page.contains("#2: there is no such todo."), "{page}");
    let invalid = html(app.get("/todos?ids=x").await, StatusCode::OK).await;
    assert!(invalid.contains("is not a todo id"));
}

#[tokio::test]
async fn upstream_calls_are_counted_by_status_with_the_breaker_state() {
    use crate::{helpers::sample, metrics::scrape};

    let upstream = upstream().await;
    let app = spawn_app_with(&[
        ("APP_TODOS_API_URL", &upstream.uri()),
        ("APP_METRICS_ADDR", "127.0.0.1:0"),
    ])
    .await;
    let before = |text: &str, status: &str| {
        let labels = ["upstream=\"todos\"", status];
        sample(text, "upstream_requests_total", &labels).unwrap_or(0.0)
    };
    let text = scrape(&app).await;
    let (ok, missing) = (
        before(&text, "status=\"200\""),
        before(&text, "status=\"404\""),
    );

    let response = app.get("/api/todos/summary?ids=1,2,3").await;
    assert_eq!(response.status(), StatusCode::OK);

    let text = scrape(&app).await;
    assert!(before(&text, "status=\"200\"") >= ok + 2.0, "{text}");
    assert!(before(&text, "status=\"404\"") >= missing + 1.0, "{text}");
    assert!(
        sample(
            &text,
            "upstream_call_duration_seconds_count",
            &["upstream=\"todos\""]
        )
        .is_some(),
        "{text}"
    );
    // The breaker's state is there (its value is shared with the other tests' apps, whose
    // breakers may be open: the series is per upstream, the recorder per process).
    assert!(
        sample(&text, "upstream_circuit_state", &["upstream=\"todos\""]).is_some(),
        "{text}"
    );
}
