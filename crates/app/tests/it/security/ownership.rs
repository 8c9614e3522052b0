//! Products have owners: only the owner or an administrator may change one, through the API, the
//! forms and the image upload alike; the audit trail says who changed what.

use db::entities::audit_log;
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, create_token, html, problem, spawn_app};

/// A member with a browser session and an API token.
struct Member {
    browser: Client,
    csrf: String,
    token: String,
    id: i64,
}

async fn member(app: &TestApp, email: &str) -> Member {
    let (browser, csrf, user) = app.sign_up(email).await;
    let token = create_token(&app.db, user.id, "tests").await;
    Member {
        browser,
        csrf,
        token,
        id: user.id,
    }
}

async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = Client::new()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn only_the_owner_or_an_administrator_may_change_a_product() {
    let app = spawn_app().await;
    let owner = member(&app, "owner@example.com").await;
    let other = member(&app, "other@example.com").await;
    let created = send(
        &app,
        &owner.token,
        reqwest::Method::POST,
        "/api/products",
        Some(json!({ "name": "Owl", "price_cents": 100 })),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let product: Value = created.json().await.unwrap();
    assert_eq!(product["created_by"], owner.id);
    let id = product["id"].as_i64().unwrap();
    let path = format!("/api/products/{id}");

    // Someone else: refused everywhere, nothing changes.
    let patch = send(
        &app,
        &other.token,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "version": 1, "name": "Mine now" })),
    )
    .await;
    let body = problem(patch, StatusCode::FORBIDDEN).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("owner or an administrator"),
        "{body}"
    );
    let delete = send(&app, &other.token, reqwest::Method::DELETE, &path, None).await;
    problem(delete, StatusCode::FORBIDDEN).await;
    for page in ["edit", "delete"] {
        let response = other
            .browser
            .get(app.url(&format!("/products/{id}/{page}")))
            .send()
            .await
            .unwrap();
        html(response, StatusCode::FORBIDDEN).await;
    }
    let form = other
        .browser
        .post(app.url(&format!("/products/{id}/delete")))
        .form(&[("version", "1"), ("csrf_token", other.csrf.as_str())])
        .send()
        .await
        .unwrap();
    html(form, StatusCode::FORBIDDEN).await;
    // [demo:images begin]
    let upload = Client::new()
        .post(app.url(&format!("/api/products/{id}/image")))
        .bearer_auth(&other.token)
        .multipart(reqwest::multipart::Form::new().part(
            "image",
            reqwest::multipart::Part::bytes(vec![0x89, b'P', b'N', b'G']).file_name("x.png"),
        ))
        .send()
        .await
        .unwrap();
    problem(upload, StatusCode::FORBIDDEN).await;
    // [demo:images end]
    let page = other
        .browser
        .get(app.url(&format!("/products/{id}")))
        .send()
        .await
        .unwrap();
    let page = html(page, StatusCode::OK).await;
    assert!(!page.contains("/edit\""), "no Edit button for someone else");
    let unchanged: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(
        (unchanged["name"].as_str(), unchanged["version"].as_i64()),
        (Some("Owl"), Some(1))
    );

    // The owner and an administrator may.
    let page = owner
        .browser
        .get(app.url(&format!("/products/{id}")))
        .send()
        .await
        .unwrap();
    assert!(html(page, StatusCode::OK).await.contains("/edit\""));
    let by_owner = send(
        &app,
        &owner.token,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "version": 1, "name": "Owl II" })),
    )
    .await;
    assert_eq!(by_owner.status(), StatusCode::OK);
    let by_admin = app
        .patch_json(&path, &json!({ "version": 2, "price_cents": 150 }))
        .await;
    assert_eq!(by_admin.status(), StatusCode::OK);

    let actors: Vec<(String, Option<i64>)> = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("products"))
        .filter(audit_log::Column::EntityId.eq(id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.action, row.actor_id))
        .collect();
    assert_eq!(
        actors,
        [
            ("created".to_owned(), Some(owner.id)),
            ("updated".to_owned(), Some(owner.id)),
            ("updated".to_owned(), Some(app.admin.user_id)),
        ]
    );
}

/// A product with no owner (seeded by `app seed`) is for administrators only.
#[tokio::test]
async fn a_product_without_an_owner_is_changed_by_administrators_only() {
    let app = spawn_app().await;
    let member = member(&app, "m@example.com").await;
    db::products::seed_demo(&app.db, 1).await.unwrap();
    let seeded = db::products::batch_after(&app.db, 0, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(seeded.created_by, None);
    let path = format!("/api/products/{}", seeded.id);

    let refused = send(&app, &member.token, reqwest::Method::DELETE, &path, None).await;
    let allowed = app.delete(&path).await;

    problem(refused, StatusCode::FORBIDDEN).await;
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
}
