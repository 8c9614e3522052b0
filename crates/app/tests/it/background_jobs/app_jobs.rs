//! The app's own jobs through HTTP: the product notice enqueued with the insert, the CSV export
//! and its download, the dashboard, the JSON view, retry and cancel, and `app jobs`.

use std::path::Path;

use jobs::{Mailer, Queue, Runner, Services, State, WorkerConfig};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{TestApp, html, problem, spawn_app_with};

/// An app without the in-process worker, so the test decides when jobs run.
pub(crate) async fn app_without_worker(data_dir: &Path) -> TestApp {
    let data_dir = data_dir.to_str().unwrap();
    spawn_app_with(&[("APP_JOBS_IN_PROCESS", "false"), ("APP_DATA_DIR", data_dir)]).await
}

fn worker(app: &TestApp, data_dir: &Path) -> (Runner<Services>, Mailer) {
    let services = services(app, data_dir);
    let mailer = services.mailer.clone();
    let runner = jobs::kinds::runner(services.queue.clone(), services, WorkerConfig::default());
    (runner.unwrap(), mailer)
}

/// What the app's own worker runs jobs with, on `app`'s database and hub.
pub(crate) fn services(app: &TestApp, data_dir: &Path) -> Services {
    Services {
        db: app.db.clone(),
        queue: Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16)),
        mailer: Mailer::new("memory", "App <app@example.com>").unwrap(),
        api: api_client::ApiClients::new(&api_client::ApiClientConfig::default()).unwrap(),
        offload: offload::Offload::new(1),
        exports_dir: data_dir.join("exports"),
        notify_email: "team@example.com".into(),
        hub: app.hub.clone(),
        uploads_dir: data_dir.join("uploads"),
        image_max_pixels: 40_000_000,
        export_batch: jobs::kinds::DEFAULT_EXPORT_BATCH,
    }
}

async fn jobs_of_kind(app: &TestApp, kind: &str) -> Vec<jobs::JobRecord> {
    let filter = jobs::ListFilter {
        kind: Some(kind.into()),
        limit: 100,
        ..Default::default()
    };
    Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16))
        .list(&filter)
        .await
        .unwrap()
}

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

#[tokio::test]
async fn an_export_runs_as_a_job_and_its_csv_downloads_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    app.create_product("Tea, \"green\"", 450).await;
    app.create_product("Coffee", 1299).await;

    let started = app.post_form("/products/export", &[]).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let page = started.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = page.trim_start_matches("/jobs/").parse().unwrap();
    let waiting = html(app.get(&page).await, StatusCode::OK).await;
    assert!(waiting.contains("queued") && waiting.contains("http-equiv=\"refresh\""));
    assert!(!waiting.contains("/download"));
    let early = app.get(&format!("/jobs/{id}/download")).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);

    let (runner, _) = worker(&app, dir.path());
    runner.run_until_empty().await.unwrap();
    let done = html(app.get(&page).await, StatusCode::OK).await;
    assert!(done.contains("succeeded") && done.contains(&format!("/jobs/{id}/download")));
    assert!(!done.contains("http-equiv=\"refresh\""));
    let file = app.get(&format!("/jobs/{id}/download")).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = file.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert_eq!(lines[0], "id,name,price,version,created_at,updated_at");
    assert!(lines[1].contains(r#""Tea, ""green""",4.50,1,"#), "{csv}");
    assert!(lines[2].contains(",Coffee,12.99,1,"), "{csv}");

    // Another job's id has no file.
    let notice = jobs_of_kind(&app, "product_created_email").await[0].id;
    problem(
        app.get(&format!("/api/jobs/{notice}/download")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let not_export = app.get(&format!("/jobs/{notice}/download")).await;
    assert_eq!(not_export.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_dashboard_json_and_buttons_show_and_steer_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    app.create_product("Tea", 450).await;
    let id = jobs_of_kind(&app, "product_created_email").await[0].id;

    let dashboard = html(app.get("/jobs").await, StatusCode::OK).await;
    assert!(dashboard.contains(&format!("href=\"/jobs/{id}\"")));
    assert!(dashboard.contains("product_created_email"));

    let json: serde_json::Value = app
        .get(&format!("/api/jobs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["state"], "queued");
    assert_eq!(json["kind"], "product_created_email");
    problem(app.get("/api/jobs/999999").await, StatusCode::NOT_FOUND).await;
    problem(app.get("/api/jobs/abc").await, StatusCode::BAD_REQUEST).await;

    let cancelled = app.post_form(&format!("/jobs/{id}/cancel"), &[]).await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16))
            .get(id)
            .await
            .unwrap()
            .state,
        State::Cancelled
    );
    let again = html(
        app.post_form(&format!("/jobs/{id}/cancel"), &[]).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        again.contains("cancel applies only to queued or retrying jobs"),
        "{again}"
    );

    let retried = app.post_form(&format!("/jobs/{id}/retry"), &[]).await;
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16))
            .get(id)
            .await
            .unwrap()
            .state,
        State::Queued
    );
}

#[tokio::test]
async fn app_jobs_lists_retries_cancels_and_purges() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    app.create_product("Tea", 450).await;
    let id = jobs_of_kind(&app, "product_created_email").await[0].id;
    let run = |action: app::cli::JobsAction| {
        let db = app.db.clone();
        async move {
            let mut out = Vec::new();
            app::commands::jobs(&db, action, &mut out)
                .await
                .map(|()| String::from_utf8(out).unwrap())
        }
    };
    use app::cli::JobsAction as A;

    let listed = run(A::List {
        state: None,
        kind: None,
        limit: 20,
    })
    .await
    .unwrap();
    assert!(listed.starts_with("queued 1 · running 0"), "{listed}");
    assert!(listed.contains("product_created_email"), "{listed}");
    let cancelled = run(A::Cancel { id }).await.unwrap();
    assert!(cancelled.contains("cancelled"), "{cancelled}");
    let refused = run(A::Cancel { id }).await.unwrap_err().to_string();
    assert!(refused.contains("is cancelled"), "{refused}");
    let dead_only = run(A::List {
        state: Some(State::Dead),
        kind: None,
        limit: 20,
    })
    .await
    .unwrap();
    assert!(dead_only.contains("no jobs match"), "{dead_only}");
    assert!(run(A::Retry { id }).await.unwrap().contains("queued again"));
    let shown = run(A::Show { id }).await.unwrap();
    assert!(shown.contains("\"state\": \"queued\""), "{shown}");

    // Purge removes only finished jobs older than the cut-off.
    run(A::Cancel { id }).await.unwrap();
    let kept = run(A::Purge { older_than_days: 1 }).await.unwrap();
    assert!(kept.contains("deleted 0"), "{kept}");
    let queue = Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16));
    let deleted = queue
        .purge(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert!(matches!(queue.get(id).await, Err(jobs::Error::NotFound(_))));
    assert!(run(A::Show { id }).await.is_err());
}

#[tokio::test]
async fn the_nightly_purge_drops_finished_jobs_and_their_exports() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    app.create_product("Tea", 450).await;
    let export = app.post_form("/products/export", &[]).await;
    assert_eq!(export.status(), StatusCode::SEE_OTHER);
    let (runner, _) = worker(&app, dir.path());
    assert_eq!(runner.run_until_empty().await.unwrap().succeeded, 2);
    let file = dir.path().join("exports");
    assert_eq!(std::fs::read_dir(&file).unwrap().count(), 1);
    let queue = Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16));
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let welcome = jobs::kinds::AccountEmail {
        to: "later@example.com".into(),
        notice: jobs::kinds::AccountNotice::Welcome,
    };
    let pending = queue.enqueue_at(&app.db, &welcome, later).await.unwrap();

    let purge = jobs::kinds::PurgeFinished { older_than_days: 0 };
    let purge = queue.enqueue(&app.db, &purge).await.unwrap().id;
    assert_eq!(runner.run_until_empty().await.unwrap().succeeded, 1);

    let left: Vec<i64> = queue
        .list(&jobs::ListFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert!(
        left.contains(&purge) && left.contains(&pending.id),
        "{left:?}"
    );
    assert_eq!(
        left.len(),
        2,
        "the notice and the export are gone: {left:?}"
    );
    assert_eq!(
        std::fs::read_dir(&file).unwrap().count(),
        0,
        "the export file is gone"
    );
}
