use db::entities::audit_log;
use reqwest::{StatusCode, header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn creating_a_product_returns_201_with_its_location_and_the_row() {
    let app = spawn_app().await;

    let response = app
        .post_json(
            "/api/products",
            &json!({ "name": "  Green tea ", "price_cents": 450 }),
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/products/{}", body["id"]));
    assert_eq!(body["name"], "Green tea", "the name is trimmed");
    assert_eq!(body["price_cents"], 450);
    assert_eq!(body["version"], 1);
    assert!(body["created_at"].is_string() && body["updated_at"].is_string());
}

#[tokio::test]
async fn a_created_product_reads_back_identically() {
    let app = spawn_app().await;
    let created = app.create_product("Coffee", 300).await;

    let response = app.get(&format!("/api/products/{}", created["id"])).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), created);
}

#[tokio::test]
async fn patch_with_the_current_version_updates_and_bumps_the_version() {
    let app = spawn_app().await;
    let created = app.create_product("Tea", 450).await;
    let path = format!("/api/products/{}", created["id"]);

    let response = app
        .patch_json(&path, &json!({ "version": 1, "price_cents": 500 }))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["price_cents"], 500);
    assert_eq!(updated["name"], "Tea", "fields not sent are kept");
    assert_eq!(updated["version"], 2);
    assert_eq!(app.get(&path).await.json::<Value>().await.unwrap(), updated);
}

#[tokio::test]
async fn patch_with_a_stale_version_is_409_and_overwrites_nothing() {
    let app = spawn_app().await;
    let created = app.create_product("Tea", 450).await;
    let path = format!("/api/products/{}", created["id"]);
    app.patch_json(&path, &json!({ "version": 1, "name": "First writer" }))
        .await;

    let response = app
        .patch_json(&path, &json!({ "version": 1, "name": "Second writer" }))
        .await;

    let body = problem(response, StatusCode::CONFLICT).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("current version is 2"),
        "{body}"
    );
    let current: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(current["name"], "First writer");
    assert_eq!(current["version"], 2);
}

#[tokio::test]
async fn delete_answers_204_and_the_product_is_gone() {
    let app = spawn_app().await;
    let created = app.create_product("Tea", 450).await;
    let path = format!("/api/products/{}", created["id"]);

    let response = app.delete(&path).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_with_a_stale_version_is_409_and_keeps_the_product() {
    let app = spawn_app().await;
    let created = app.create_product("Tea", 450).await;
    let path = format!("/api/products/{}", created["id"]);
    app.patch_json(&path, &json!({ "version": 1, "price_cents": 1 }))
        .await;

    let response = app.delete(&format!("{path}?version=1")).await;

    problem(response, StatusCode::CONFLICT).await;
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_ids_are_404_problems_for_every_method() {
    let app = spawn_app().await;

    let get = app.get("/api/products/999").await;
    let patch = app
        .patch_json("/api/products/999", &json!({ "version": 1, "name": "x" }))
        .await;
    let delete = app.delete("/api/products/999").await;

    for response in [get, patch, delete] {
        let body = problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(body["detail"], "product 999 does not exist");
        assert_eq!(body["type"], "/problems/not-found");
    }
}

/// `app seed` writes products like any other writer: each with its "created" audit row.
#[tokio::test]
async fn seeded_products_have_their_audit_rows() {
    let app = spawn_app().await;

    let report = db::products::seed_demo(&app.db, 1200).await.unwrap();
    db::products::seed_demo(&app.db, 1200).await.unwrap();

    assert_eq!(report.inserted, 1200);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("products"))
        .filter(audit_log::Column::Action.eq("created"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        audited.len(),
        1200,
        "one per product, none for the second run"
    );
    let first = db::products::batch_after(&app.db, 0, 1)
        .await
        .unwrap()
        .remove(0);
    let row = audited.iter().find(|r| r.entity_id == first.id).unwrap();
    let changes: Value = serde_json::from_str(&row.changes).unwrap();
    assert_eq!(changes["name"], first.name.as_str());
}
