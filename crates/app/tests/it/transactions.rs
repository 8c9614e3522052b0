//! A write and its audit row commit together or not at all (on the engine's test fixture, a
//! table written the way every resource is).

use db::{entities::audit_log, fixtures};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};

async fn audit_rows(app: &TestApp, id: i64) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq(fixtures::TABLE))
        .filter(audit_log::Column::EntityId.eq(id))
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_update_writes_an_audit_row_with_old_and_new_values() {
    let app = spawn_app().await;
    let id = app.create_note("Tea").await["id"].as_i64().unwrap();

    app.patch_json(
        &format!("/api/test/notes/{id}"),
        &json!({ "version": 1, "body": "Green tea" }),
    )
    .await;

    let rows = audit_rows(&app, id).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["created", "updated"]);
    let changes: Value = serde_json::from_str(&rows[1].changes).unwrap();
    assert_eq!(changes, json!({ "body": ["Tea", "Green tea"] }));
}

#[tokio::test]
async fn when_the_audit_write_fails_the_update_is_rolled_back() {
    let app = spawn_app().await;
    let id = app.create_note("Tea").await["id"].as_i64().unwrap();
    let path = format!("/api/test/notes/{id}");
    // Make the second write of the transaction fail.
    app.db
        .execute_unprepared("DROP TABLE audit_log")
        .await
        .unwrap();

    let response = app
        .patch_json(&path, &json!({ "version": 1, "body": "Changed" }))
        .await;

    let body = problem(response, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert!(
        !body.to_string().contains("audit_log"),
        "internals leaked: {body}"
    );
    assert!(body["request_id"].is_string());
    let current: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(current["body"], "Tea");
    assert_eq!(current["version"], 1);
}

#[tokio::test]
async fn a_refused_update_writes_no_audit_row() {
    let app = spawn_app().await;
    let id = app.create_note("Tea").await["id"].as_i64().unwrap();

    let stale = app
        .patch_json(
            &format!("/api/test/notes/{id}"),
            &json!({ "version": 7, "body": "x" }),
        )
        .await;

    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert_eq!(
        audit_rows(&app, id).await.len(),
        1,
        "only the `created` row"
    );
}

#[tokio::test]
async fn inside_a_callers_transaction_a_rollback_undoes_the_update_and_its_audit_row() {
    let app = spawn_app().await;
    let id = app.create_note("Tea").await["id"].as_i64().unwrap();

    // A writing transaction starts IMMEDIATE on SQLite (see `db::begin_write`): a deferred one
    // that reads first fails with SQLITE_BUSY if the in-process worker writes in between.
    let txn = db::begin_write(&app.db).await.unwrap();
    let updated = fixtures::update(&txn, app.admin, id, 1, "Inside")
        .await
        .unwrap();
    assert_eq!(
        fixtures::get(&txn, id).await.unwrap(),
        updated,
        "visible inside the transaction"
    );
    txn.rollback().await.unwrap();

    let current = fixtures::get(&app.db, id).await.unwrap();
    assert_eq!((current.body.as_str(), current.version), ("Tea", 1));
    assert_eq!(audit_rows(&app, id).await.len(), 1);
}
