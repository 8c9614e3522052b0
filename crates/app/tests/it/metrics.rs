//! `/metrics` (APP_METRICS_ADDR): Prometheus text on a listener of its own, with the requests
//! by route, the pools and the job queue read at scrape time, and the jobs' attempts. The
//! recorder is the process's, shared by every test here, so the request counts are asserted as
//! what this test's own requests must have added, not as totals (the exact in-flight and
//! per-route counting is asserted in `web`'s middleware tests, with a recorder of their own).

use reqwest::{StatusCode, header};

use crate::helpers::{TestApp, sample, spawn_app, spawn_app_with};

pub(crate) async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_addr.expect("APP_METRICS_ADDR is set");
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_by_route_with_pools_and_jobs() {
    let data = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&[
        ("APP_METRICS_ADDR", "127.0.0.1:0"),
        // The test runs the job itself, so it knows when the queue changes.
        ("APP_JOBS_IN_PROCESS", "false"),
        ("APP_DATA_DIR", data.path().to_str().unwrap()),
    ])
    .await;
    let route = ["method=\"GET\"", "route=\"/login\"", "status=\"200\""];
    let before = sample(&scrape(&app).await, "http_requests_total", &route).unwrap_or(0.0);

    for _ in 0..3 {
        assert_eq!(
            app.anonymous()
                .get(app.url("/login"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    // Paths no route matches share one series, so a scanner cannot grow the label set.
    for path in ["/no/such/page", "/wp-admin.php"] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND);
    }
    let text = scrape(&app).await;
    let after = sample(&text, "http_requests_total", &route).unwrap();
    assert!(after >= before + 3.0, "{before} -> {after}");
    assert!(
        sample(
            &text,
            "http_request_duration_seconds_count",
            &["route=\"/login\""]
        )
        .is_some_and(|n| n >= 3.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "http_requests_total",
            &["route=\"(no route)\"", "status=\"404\""]
        )
        .is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert!(
        !text.contains("/wp-admin.php"),
        "no label per unmatched path"
    );
    assert!(
        sample(&text, "http_requests_in_flight", &[]).is_some(),
        "{text}"
    );
    assert!(
        sample(&text, "db_pool_connections", &["pool=\"write\""]).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, "db_pool_idle", &["pool=\"write\""]).is_some(),
        "{text}"
    );

    // The queue by kind and state, read when scraped; a job's attempt with its outcome and time.
    let queue = jobs::Queue::new(app.db.clone(), app.hub.clone());
    queue
        .enqueue(&app.db, &jobs::kinds::PurgeSessions::default())
        .await
        .unwrap();
    let queued = ["kind=\"purge_sessions\"", "state=\"queued\""];
    assert_eq!(sample(&scrape(&app).await, "jobs", &queued), Some(1.0));
    let (worker, _) = crate::background_jobs::app_jobs::worker(&app, data.path());
    assert_eq!(worker.run_until_empty().await.unwrap().succeeded, 1);
    let text = scrape(&app).await;
    let ran = ["kind=\"purge_sessions\"", "outcome=\"succeeded\""];
    assert!(
        sample(&text, "jobs_attempts_total", &ran).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, "job_duration_seconds_count", &ran).is_some(),
        "{text}"
    );
    let done = ["kind=\"purge_sessions\"", "state=\"succeeded\""];
    assert_eq!(sample(&text, "jobs", &done), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "jobs", &queued),
        Some(0.0),
        "a pair with no jobs left reads 0"
    );

    // The app's own port does not serve them.
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_metrics_address_there_is_no_listener() {
    let app = spawn_app().await;
    assert_eq!(app.metrics_addr, None);
}
