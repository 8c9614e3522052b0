//! Every kind of bad input gets a 4xx problem that says what is wrong, and nothing is written.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, problem, spawn_app};

async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/products"))
        .bearer_auth(&app.token)
        .body(body);
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;

    let response = post_raw(&app, Some("application/json"), r#"{"name": "Tea", "#).await;

    let body = problem(response, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().contains("JSON"), "{body}");
    assert_eq!(app.product_count().await, 0);
}

#[tokio::test]
async fn wrong_types_missing_and_unknown_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "name": "Tea", "price_cents": "cheap" }),
            "price_cents",
        ),
        (json!({ "name": 42, "price_cents": 1 }), "name"),
        (json!({ "price_cents": 1 }), "name"),
        (
            json!({ "name": "Tea", "price_cents": 1, "colour": "red" }),
            "colour",
        ),
        (json!({ "name": "Tea", "price_cents": 1.5 }), "price_cents"),
    ];

    for (input, field) in cases {
        let response = app.post_json("/api/products", &input).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            body["detail"].as_str().unwrap().contains(field),
            "{input} → {body}"
        );
    }
    assert_eq!(app.product_count().await, 0);
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_415() {
    let app = spawn_app().await;

    let response = post_raw(&app, None, r#"{"name":"Tea","price_cents":1}"#).await;

    let body = problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    assert_eq!(app.product_count().await, 0);
}

#[tokio::test]
async fn invalid_names_and_prices_are_422_with_field_errors() {
    let app = spawn_app().await;
    let too_long = "x".repeat(201);
    let cases = [
        (json!({ "name": "", "price_cents": 1 }), "name"),
        (json!({ "name": "   ", "price_cents": 1 }), "name"),
        (json!({ "name": too_long, "price_cents": 1 }), "name"),
        (json!({ "name": "Tea", "price_cents": -1 }), "price_cents"),
    ];

    for (input, field) in cases {
        let response = app.post_json("/api/products", &input).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["type"], "/problems/validation");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
        assert!(body["errors"][0]["message"].is_string());
    }
    assert_eq!(app.product_count().await, 0);
}

#[tokio::test]
async fn a_name_of_exactly_200_characters_is_accepted() {
    let app = spawn_app().await;

    let created = app.create_product(&"é".repeat(200), 1).await;

    assert_eq!(created["name"].as_str().unwrap().chars().count(), 200);
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413_before_the_handler_runs() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"name":"{}","price_cents":1}}"#,
        "x".repeat(1024 * 1024)
    );

    let response = post_raw(&app, Some("application/json"), big).await;

    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(app.product_count().await, 0);
}

#[tokio::test]
async fn ids_that_are_not_numbers_are_400() {
    let app = spawn_app().await;

    for path in [
        "/api/products/abc",
        "/api/products/1.5",
        "/api/products/99999999999999999999",
    ] {
        let body = problem(app.get(path).await, StatusCode::BAD_REQUEST).await;
        assert!(
            body["detail"].as_str().unwrap().contains("parse"),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn limits_out_of_range_or_not_numbers_are_400() {
    let app = spawn_app().await;

    for query in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=-1",
        "offset=-5",
        "page_size=3",
        // Past what the databases count in (signed 64 bits): used to panic inside sea-query.
        "offset=9223372036854775808",
        "offset=18446744073709551615",
    ] {
        let response = app.get(&format!("/api/products?{query}")).await;
        problem(response, StatusCode::BAD_REQUEST).await;
    }
    let body = problem(
        app.get("/api/products?limit=101").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body["detail"],
        "`limit` must be between 1 and 100 (got 101)."
    );
}

#[tokio::test]
async fn a_patch_must_name_the_version_and_something_to_change() {
    let app = spawn_app().await;
    let created = app.create_product("Tea", 450).await;
    let path = format!("/api/products/{}", created["id"]);

    let no_version = app.patch_json(&path, &json!({ "name": "Other" })).await;
    let nothing = app.patch_json(&path, &json!({ "version": 1 })).await;
    let bad_name = app
        .patch_json(&path, &json!({ "version": 1, "name": "" }))
        .await;

    let body = problem(no_version, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        body["detail"].as_str().unwrap().contains("version"),
        "{body}"
    );
    problem(nothing, StatusCode::UNPROCESSABLE_ENTITY).await;
    let body = problem(bad_name, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "name");
    let current: serde_json::Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(
        (current["name"].as_str(), current["version"].as_i64()),
        (Some("Tea"), Some(1))
    );
}

#[tokio::test]
async fn a_method_a_route_does_not_accept_is_405_with_allow() {
    let app = spawn_app().await;

    let response = app
        .client
        .put(app.url("/api/products"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();

    let allow = response.headers().get(header::ALLOW).cloned();
    problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    let allow = allow.unwrap();
    assert!(allow.to_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn an_unknown_api_path_is_a_404_problem() {
    let app = spawn_app().await;

    let body = problem(app.get("/api/nothing-here").await, StatusCode::NOT_FOUND).await;

    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/api/nothing-here")
    );
}
