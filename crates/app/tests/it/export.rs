//! The CSV export demo: a job that writes every product to a file on the blocking bridge,
//! reporting progress; its page, its live stream and the download.

use reqwest::StatusCode;

use crate::{
    background_jobs::app_jobs::{app_without_worker, jobs_of_kind, services, worker},
    helpers::{html, problem},
    realtime::events::Events,
};

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
    // The link's slashes are HTML-escaped, as every value a template prints.
    let link = format!("&#x2F;jobs&#x2F;{id}&#x2F;download");
    assert!(done.contains("succeeded") && done.contains(&link), "{done}");
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
async fn the_stream_yields_the_exports_progress_then_its_completion() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    db::products::seed_demo(&app.db, 25).await.unwrap();
    let started = app.post_form("/products/export", &[]).await;
    let page = started.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = page.trim_start_matches("/jobs/").parse().unwrap();

    // The page offers the live bar, and a refresh for browsers without JavaScript.
    let waiting = html(app.get(&page).await, StatusCode::OK).await;
    assert!(waiting.contains(&format!("data-events=\"/events/jobs/{id}\"")));
    assert!(waiting.contains("<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>"));
    assert!(waiting.contains("<progress max=\"100\""));

    let mut events = Events::open(&app, &format!("/events/jobs/{id}")).await;
    let (name, first) = events.next().await.unwrap();
    assert_eq!(
        (name.as_str(), first["state"].as_str()),
        ("progress", Some("queued"))
    );

    // Only now does a worker run the export, ten rows per step.
    let mut services = services(&app, dir.path());
    services.export_batch = 10;
    let runner = jobs::kinds::runner(
        services.queue.clone(),
        services,
        jobs::WorkerConfig::default(),
    );
    let worker = tokio::spawn(async move { runner.unwrap().run_until_empty().await });

    let mut seen = Vec::new();
    let done = loop {
        let (name, data) = events
            .next()
            .await
            .expect("the stream lasts until the job is done");
        if name == "done" {
            break data;
        }
        assert_eq!(name, "progress");
        if let Some(done) = data["progress"]["done"].as_i64() {
            seen.push(done);
        }
    };
    worker.await.unwrap().unwrap();
    assert!(
        seen.iter().any(|&n| n > 0 && n < 25),
        "progress between start and end was streamed: {seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(done["state"], "succeeded");
    assert_eq!(done["progress"]["done"], 25);
    assert_eq!(done["progress"]["percent"], 100);
    assert_eq!(done["download"], format!("/jobs/{id}/download"));
    assert!(
        events.next().await.is_none(),
        "the stream ends after `done`"
    );

    // A finished job's page shows the full bar and no refresh.
    let finished = html(app.get(&page).await, StatusCode::OK).await;
    assert!(finished.contains("value=\"100\"") && finished.contains("25 of 25 (100%)"));
    assert!(!finished.contains("http-equiv"));
}
