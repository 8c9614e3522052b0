//! The stack around routes the real app does not have: one that panics, one that never answers.

use std::{path::PathBuf, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    routing::get,
};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{Bodies, apply};
use crate::{Templates, WebConfig};

fn stack(router: Router) -> Router {
    let config = WebConfig {
        request_timeout: Duration::from_secs(2),
        ..WebConfig::default()
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let templates = Templates::load(&dir, false).unwrap();
    apply(router, &config, &templates, Bodies::Buffered)
}

async fn call(router: Router, path: &str) -> (StatusCode, String, String) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

async fn explode() -> &'static str {
    panic!("secret detail that must not reach the client")
}

#[tokio::test]
async fn a_panicking_handler_answers_a_generic_500_problem() {
    let router = stack(Router::new().route("/api/boom", get(explode)));

    let (status, content_type, body) = call(router, "/api/boom").await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(content_type, "application/problem+json");
    assert!(body.contains("/problems/internal"), "{body}");
    assert!(!body.contains("secret detail"), "{body}");
}

#[tokio::test]
async fn a_panicking_page_answers_the_generic_500_page() {
    let router = stack(Router::new().route("/boom", get(explode)));

    let (status, content_type, body) = call(router, "/boom").await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(content_type.starts_with("text/html"));
    assert!(body.contains("Something went wrong on our side"));
    assert!(!body.contains("secret detail"));
}

#[tokio::test(start_paused = true)]
async fn a_request_that_outlives_the_timeout_gets_a_503_problem() {
    // With the clock paused, tokio jumps straight to the timeout: no real waiting.
    let never = || std::future::pending::<&'static str>();
    let router = stack(Router::new().route("/api/slow", get(never)));

    let (status, _, body) = call(router, "/api/slow").await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("/problems/service-unavailable"), "{body}");
}

/// What a client says its body is changes nothing: only routes declared as uploads stream.
#[tokio::test(start_paused = true)]
async fn a_multipart_content_type_does_not_lift_the_deadline() {
    let never = |_: axum::body::Bytes| std::future::pending::<&'static str>();
    let router = stack(Router::new().route("/api/slow", axum::routing::post(never)));
    let request = Request::post("/api/slow")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from("--x--\r\n"))
        .unwrap();

    let response = router.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn an_unreasonable_incoming_request_id_is_replaced() {
    let router = stack(Router::new().route("/api/x", get(|| async { "ok" })));
    let long = "x".repeat(500);

    let request = Request::get("/api/x")
        .header("x-request-id", long.as_str())
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();

    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a fresh UUID, not the 500-character value");
}

#[tokio::test]
async fn a_500_from_a_panic_still_carries_every_security_header() {
    let router = stack(Router::new().route("/boom", get(explode)));

    let response = router
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers();
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "x-frame-options",
    ] {
        assert!(headers.contains_key(name), "{name} missing");
    }
}

/// Every 5xx is logged once: our errors log themselves; a bare 5xx from some layer is caught by
/// the `finish` layer.
#[tokio::test]
async fn a_bare_server_error_from_a_layer_is_logged_once() {
    use std::sync::{Arc, Mutex};

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
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let bare = || async { StatusCode::BAD_GATEWAY };
    let router = stack(Router::new().route("/api/bare", get(bare)));

    let (status, _, body) = call(router, "/api/bare").await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.contains("/problems/bad-gateway"), "{body}");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logs.matches("no logged cause").count(), 1, "{logs}");
}

/// The request metrics, with a recorder local to this test (the facade is global otherwise):
/// a request counts in flight from the first poll until it is answered, or dropped unanswered
/// (a client that left), and an answered one is counted by method, matched route and status.
/// The futures are polled by hand, inside the recorder's scope (the runtime is there for the
/// request deadline's timer).
#[tokio::test]
async fn request_metrics_count_answers_and_give_back_dropped_requests() {
    use std::{future::Future, task::Context};

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let config = WebConfig {
        metrics: true,
        ..WebConfig::default()
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let templates = Templates::load(&dir, false).unwrap();
    let router = apply(
        Router::new()
            .route("/slow/{id}", get(std::future::pending::<&'static str>))
            .route("/teapot/{id}", get(|| async { StatusCode::IM_A_TEAPOT })),
        &config,
        &templates,
        Bodies::Buffered,
    );
    let in_flight = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("http_requests_in_flight "))
            .map(|v| v.trim().to_owned())
    };
    let mut cx = Context::from_waker(std::task::Waker::noop());

    metrics::with_local_recorder(&recorder, || {
        let request = |path: &str| Request::get(path).body(Body::empty()).unwrap();
        let mut slow = Box::pin(router.clone().oneshot(request("/slow/1")));
        assert!(slow.as_mut().poll(&mut cx).is_pending());
        assert_eq!(in_flight(&handle.render()).as_deref(), Some("1"));
        drop(slow);
        assert_eq!(in_flight(&handle.render()).as_deref(), Some("0"));

        for id in [1, 2] {
            let mut teapot = Box::pin(router.clone().oneshot(request(&format!("/teapot/{id}"))));
            let answered = teapot.as_mut().poll(&mut cx);
            assert!(
                matches!(answered, std::task::Poll::Ready(Ok(ref r)) if r.status() == StatusCode::IM_A_TEAPOT)
            );
        }
    });

    let text = handle.render();
    assert_eq!(in_flight(&text).as_deref(), Some("0"), "{text}");
    // One series for the route, whatever the ids; the dropped request has no status to count.
    let counted: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert_eq!(counted.len(), 1, "{text}");
    for label in ["method=\"GET\"", "route=\"/teapot/{id}\"", "status=\"418\""] {
        assert!(counted[0].contains(label), "{label} in {text}");
    }
    assert!(counted[0].ends_with(" 2"), "{text}");
    assert!(
        text.contains("http_request_duration_seconds"),
        "latency recorded: {text}"
    );
}
