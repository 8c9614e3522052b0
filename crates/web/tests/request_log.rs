//! The request log, through the real router. Alone in its own test binary on purpose: tracing's
//! callsite caches are process-wide, and a test that installs a subscriber while other tests run
//! on other threads sees their cached "nobody listens" at random.

// clippy.toml allows `unwrap` in `#[test]` functions; the helpers of a test crate need this too.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use api_client::{ApiClientConfig, ApiClients};
use axum::{body::Body, http::Request};
use db::DbConfig;
use tower::ServiceExt;
use web::{AppState, AppStateParts, Templates, WebConfig};

/// Collects everything the test's subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_id_and_route() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let db = db::connect(&DbConfig::new("sqlite::memory:"))
        .await
        .unwrap();
    let templates = Templates::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../templates"),
        false,
    )
    .unwrap();
    let state = AppState::new(AppStateParts {
        db: db.clone(),
        reads: db::Reads::pool(db.clone()),
        templates,
        api: ApiClients::new(&ApiClientConfig::default()).unwrap(),
        offload: offload::Offload::new(1),
        passwords: offload::Offload::new(1),
        jobs: jobs::Queue::new(db.clone(), db::Hub::new(db.clone(), 16)),
        storage: storage::Storage::open(&storage::StorageConfig::Local {
            root: std::env::temp_dir().join("request-log-test"),
        })
        .unwrap(),
        hub: db::Hub::new(db.clone(), 16),
        config: WebConfig::default(),
    });
    let router = web::build_router(state);
    // The handler will log a warning from inside the request: its database is gone.
    db.close_by_ref().await.unwrap();

    let request = Request::get("/api/test/notes/7")
        .header("x-request-id", "trace-abc-123")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("request{")).collect();
    assert_eq!(lines.len(), 2, "{logs}");
    assert!(lines[0].contains("dependency unavailable"), "{logs}");
    assert!(
        lines[1].contains("finished") && lines[1].contains("status=503"),
        "{logs}"
    );
    for line in lines {
        assert!(line.contains("request_id=trace-abc-123"), "{line}");
        assert!(line.contains("route=/api/test/notes/{id}"), "{line}");
        assert!(line.contains("method=GET"), "{line}");
    }
}
