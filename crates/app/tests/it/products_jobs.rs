//! The products demo's job: a notice enqueued in the same transaction as the insert, mailed by
//! the worker.

use jobs::State;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::{
    background_jobs::app_jobs::{app_without_worker, jobs_of_kind, worker},
    helpers::problem,
};

#[tokio::test]
async fn creating_a_product_enqueues_its_notice_which_the_worker_mails() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let from_api = app.create_product("Green tea", 450).await["id"]
        .as_i64()
        .unwrap();
    let form = app
        .post_form("/products", &[("name", "Oolong"), ("price", "7.25")])
        .await;
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    let refused = app
        .post_json("/api/products", &json!({ "name": "", "price_cents": 1 }))
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let queued = jobs_of_kind(&app, "product_created_email").await;
    assert_eq!(
        queued.len(),
        2,
        "one per created product, none for the refused one"
    );
    assert!(
        queued
            .iter()
            .all(|j| j.state == State::Queued && j.queue == "mail")
    );
    assert!(
        queued
            .iter()
            .any(|j| j.payload == json!({ "product_id": from_api }))
    );

    let (runner, mailer) = worker(&app, dir.path());
    assert_eq!(runner.run_until_empty().await.unwrap().succeeded, 2);
    let mut subjects: Vec<String> = mailer.sent().into_iter().map(|m| m.subject).collect();
    subjects.sort();
    assert_eq!(subjects, ["New product: Green tea", "New product: Oolong"]);
    assert!(mailer.sent().iter().all(|m| m.to == "team@example.com"));
}

/// The product and its notice are one transaction: if the enqueue fails, no product exists.
#[tokio::test]
async fn a_failed_enqueue_rolls_back_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    app.db.execute_unprepared("DROP TABLE jobs").await.unwrap();

    let response = app
        .post_json("/api/products", &json!({ "name": "Tea", "price_cents": 1 }))
        .await;
    problem(response, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(app.product_count().await, 0);
}
