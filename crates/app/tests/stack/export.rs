//! The export demo: a job in a worker, its progress streamed through the proxy.

use reqwest::{StatusCode, header};
use serde_json::Value;

use crate::topology::{PATIENCE, Stack};

/// An export runs in a worker; its progress streams to the browser through the proxy while it
/// runs, and its file downloads through whichever replica answers.
pub async fn progress_from_a_worker(stack: &Stack, browser: &reqwest::Client) {
    let me: Value = browser
        .get(format!("{}/api/auth/me", stack.proxy))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = me["csrf_token"].as_str().unwrap();
    let url = |path: &str| format!("{}{path}", stack.proxy);
    db::products::seed_demo(&stack.db, 30_000).await.unwrap();
    let started = browser
        .post(url("/products/export"))
        .header(header::ORIGIN, &stack.proxy)
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let job = started.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let id = job.trim_start_matches("/jobs/");
    let mut events = browser
        .get(url(&format!("/events/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    let mut stream = String::new();
    tokio::time::timeout(PATIENCE, async {
        while !stream.contains("event: done") {
            let chunk = events
                .chunk()
                .await
                .unwrap()
                .expect("the stream goes on until done");
            stream.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("the export finished within the patience");
    assert!(
        stream.contains("event: progress") && stream.contains(r#""state":"running""#),
        "progress while it ran: {stream}"
    );
    let done = stream.split("event: done").nth(1).unwrap();
    assert!(done.contains(&format!("/jobs/{id}/download")), "{done}");
    let file = browser
        .get(url(&format!("/jobs/{id}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let csv = file.text().await.unwrap();
    assert_eq!(csv.lines().count(), 30_001, "a header and every product");
}
