//! `/events/jobs/{id}`: a job's progress as Server-Sent Events, then its completion; the job
//! page around it; a client that leaves ends the stream on the server.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    background_jobs::app_jobs::{app_without_worker, services},
    helpers::TestApp,
};

/// Reads an event stream's `(event, data)` pairs as they arrive.
pub(crate) struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    pub(crate) async fn open(app: &TestApp, path: &str) -> Self {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped); `None` when the stream ends.
    pub(crate) async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some((name, serde_json::from_str(&data).unwrap()));
            }
            // A stream that goes quiet fails the test instead of hanging it.
            let chunk =
                tokio::time::timeout(std::time::Duration::from_secs(30), self.response.chunk())
                    .await
                    .expect("an event within 30 s")
                    .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

/// Enqueues a welcome mail (a job of the engine's own) for the test to follow.
async fn a_queued_job(app: &TestApp) -> i64 {
    let queue = jobs::Queue::new(app.db.clone(), app.hub.clone());
    let welcome = jobs::kinds::AccountEmail {
        to: "followed@example.com".into(),
        notice: jobs::kinds::AccountNotice::Welcome,
        link: None,
    };
    queue.enqueue(&app.db, &welcome).await.unwrap().id
}

#[tokio::test]
async fn the_stream_yields_a_jobs_reported_progress_then_its_completion() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = a_queued_job(&app).await;
    let mut events = Events::open(&app, &format!("/events/jobs/{id}")).await;
    let (name, first) = events.next().await.unwrap();
    assert_eq!(
        (name.as_str(), first["state"].as_str()),
        ("progress", Some("queued"))
    );

    // What a running job reports (from any process) reaches the stream.
    jobs::progress::report(&app.db, &app.hub, id, 3, 10)
        .await
        .unwrap();
    let (name, reported) = events.next().await.unwrap();
    assert_eq!(name, "progress");
    assert_eq!(reported["progress"]["done"], 3);
    assert_eq!(reported["progress"]["percent"], 30);

    // A worker runs it: the stream says so once, then ends.
    let services = services(&app, dir.path());
    let runner = jobs::kinds::runner(
        services.queue.clone(),
        services,
        jobs::WorkerConfig::default(),
    );
    let drained = runner.unwrap().run_until_empty().await.unwrap();
    assert_eq!(drained.succeeded, 1);
    let done = loop {
        let (name, data) = events.next().await.expect("a `done` event");
        if name == "done" {
            break data;
        }
    };
    assert_eq!(done["state"], "succeeded");
    assert!(
        events.next().await.is_none(),
        "the stream ends after `done`"
    );
}

#[tokio::test]
async fn a_client_that_leaves_ends_its_stream_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = a_queued_job(&app).await;
    let topic = jobs::progress::topic(id);
    // Its own connection, so closing it is seen by the server.
    let client = crate::helpers::browser(&app.address);
    crate::helpers::sign_in(
        &client,
        &app.address,
        crate::helpers::ADMIN_EMAIL,
        crate::helpers::ADMIN_PASSWORD,
    )
    .await;
    let response = client
        .get(app.url(&format!("/events/jobs/{id}")))
        .send()
        .await
        .unwrap();
    let mut response = response;
    assert!(
        response.chunk().await.unwrap().is_some(),
        "the first event arrived"
    );
    assert_eq!(app.hub.subscribers(&topic), 1, "the stream follows the job");
    drop(response);
    drop(client);
    // The server notices the closed connection and drops the stream with its subscription.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.hub.subscribers(&topic) > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream outlived its client"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Only admins may follow jobs; an unknown job is a 404.
    let visitor = app.anonymous();
    let refused = visitor
        .get(app.url(&format!("/events/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/events/jobs/999999").await.status(),
        StatusCode::NOT_FOUND
    );
}
