//! When the database says "not now" or "no longer": another process holding the write lock, a
//! server terminating the connection mid-statement, a row deleted under a write. Each is a 4xx
//! or a 503 with `Retry-After`, never a 500.

use reqwest::StatusCode;
use sea_orm::sqlx::{self, Connection};
use serde_json::json;

use crate::helpers::{problem, spawn_app};

/// SQLite: another process holds the write lock past the busy timeout ("database is locked").
/// PostgreSQL: the server ends the connection while the write waits on a lock (57P01, what a
/// restart does).
#[tokio::test]
async fn a_write_the_database_cannot_take_now_is_a_503_with_retry_after() {
    let app = spawn_app().await;
    let kettle = json!({ "body": "Kettle" });
    let write = app.post_json("/api/test/notes", &kettle);

    let response = if app.on_postgres() {
        let mut other = sqlx::PgConnection::connect(app.database_url())
            .await
            .unwrap();
        sqlx::query("BEGIN").execute(&mut other).await.unwrap();
        sqlx::query("LOCK TABLE test_notes IN ACCESS EXCLUSIVE MODE")
            .execute(&mut other)
            .await
            .unwrap();
        let (response, ()) = tokio::join!(write, async {
            // Bounded: ask until the app's insert waits on the lock, then end its session.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while std::time::Instant::now() < deadline {
                let ended: Option<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock' \
                     AND pid <> pg_backend_pid() LIMIT 1",
                )
                .fetch_optional(&mut other)
                .await
                .unwrap();
                if ended == Some(true) {
                    return;
                }
            }
            panic!("the app's write never waited on the lock");
        });
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        response
    } else {
        let mut other = sqlx::SqliteConnection::connect(app.database_url())
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();
        let response = write.await;
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        response
    };

    assert_eq!(response.headers()["retry-after"], "1");
    problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(app.note_count().await, 0);
    let again = app.post_json("/api/test/notes", &kettle).await;
    assert_eq!(again.status(), StatusCode::CREATED, "the app recovered");
}

/// A row referring to one deleted meanwhile (a token issued for a user being deleted, an upload
/// racing a delete) breaks a foreign key: a conflict, not a database error.
#[tokio::test]
async fn a_write_referring_to_a_deleted_row_is_a_conflict() {
    let app = spawn_app().await;
    let gone = i64::MAX;

    let issued = db::api_tokens::create(&app.db, gone, "orphan", "hash", "prefix").await;

    let err = issued.unwrap_err();
    assert!(matches!(err, db::Error::Conflict(_)), "{err:?}");
    let web = web::Error::from(err);
    assert_eq!(web.status(), StatusCode::CONFLICT);
    assert!(
        !web.to_string().contains("FOREIGN"),
        "no driver text: {web}"
    );
}

#[tokio::test]
async fn a_static_file_name_the_file_system_refuses_is_a_404() {
    let app = spawn_app().await;

    for path in [
        format!("/static/{}", "a".repeat(300)),
        format!("/uploads/{}.png", "b".repeat(300)),
        "/static/app.css/x".to_owned(),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
