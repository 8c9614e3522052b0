//! Jobs through the app: the dashboard, the JSON view, retry and cancel, `app jobs`, and the
//! nightly purge; the helpers the demos' job tests share (a worker with the app's services).

use std::path::Path;

use jobs::{Mailer, Queue, Runner, Services, State, WorkerConfig};
use reqwest::StatusCode;

use crate::helpers::{TestApp, html, problem, spawn_app_with};

/// An app without the in-process worker, so the test decides when jobs run.
pub(crate) async fn app_without_worker(data_dir: &Path) -> TestApp {
    let data_dir = data_dir.to_str().unwrap();
    spawn_app_with(&[("APP_JOBS_IN_PROCESS", "false"), ("APP_DATA_DIR", data_dir)]).await
}

pub(crate) fn worker(app: &TestApp, data_dir: &Path) -> (Runner<Services>, Mailer) {
    let services = services(app, data_dir);
    let mailer = services.mailer.clone();
    let runner = jobs::kinds::runner(services.queue.clone(), services, WorkerConfig::default());
    (runner.unwrap(), mailer)
}

/// What the app's own worker runs jobs with, on `app`'s database and hub.
pub(crate) fn services(app: &TestApp, data_dir: &Path) -> Services {
    crate::helpers::job_services(app, data_dir)
}

/// Signs `email` up through the API, which enqueues its welcome mail (a job of the engine's).
async fn sign_up_for_a_welcome(app: &TestApp, email: &str) {
    let body = serde_json::json!({ "email": email, "password": "long enough password" });
    let response = app
        .anonymous()
        .post(app.url("/api/auth/signup"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

pub(crate) async fn jobs_of_kind(app: &TestApp, kind: &str) -> Vec<jobs::JobRecord> {
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
async fn the_dashboard_json_and_buttons_show_and_steer_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    sign_up_for_a_welcome(&app, "someone@example.com").await;
    let id = jobs_of_kind(&app, "account_email").await[0].id;

    let dashboard = html(app.get("/jobs").await, StatusCode::OK).await;
    assert!(dashboard.contains(&format!("href=\"/jobs/{id}\"")));
    assert!(dashboard.contains("account_email"));

    let json: serde_json::Value = app
        .get(&format!("/api/jobs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["state"], "queued");
    assert_eq!(json["kind"], "account_email");
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
    let cancelled_page = html(app.get(&format!("/jobs/{id}")).await, StatusCode::OK).await;
    assert!(
        cancelled_page.contains(&format!("Job {id} is cancelled.")),
        "a flash says what the button did: {cancelled_page}"
    );
    // Cancelling again (another admin was quicker, or a second click): back to the page, told why.
    let again = app.post_form(&format!("/jobs/{id}/cancel"), &[]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let again = html(app.get(&format!("/jobs/{id}")).await, StatusCode::OK).await;
    assert!(
        again.contains(&format!(
            "Job {id} is cancelled now, so that no longer applies."
        )),
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
    sign_up_for_a_welcome(&app, "someone@example.com").await;
    let id = jobs_of_kind(&app, "account_email").await[0].id;
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
    assert!(listed.contains("account_email"), "{listed}");
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
async fn the_nightly_purge_drops_finished_jobs_only() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    sign_up_for_a_welcome(&app, "first@example.com").await;
    sign_up_for_a_welcome(&app, "second@example.com").await;
    let (runner, _) = worker(&app, dir.path());
    assert_eq!(runner.run_until_empty().await.unwrap().succeeded, 2);
    let queue = Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16));
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let welcome = jobs::kinds::AccountEmail {
        to: "later@example.com".into(),
        notice: jobs::kinds::AccountNotice::Welcome,
        link: None,
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
    assert_eq!(left.len(), 2, "the two sent welcomes are gone: {left:?}");
}
