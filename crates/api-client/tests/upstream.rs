//! The call path against a wiremock upstream: nothing here touches the internet.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::time::Duration;

use api_client::{
    Error, Upstream, UpstreamPolicy,
    policy::{breaker::BreakerPolicy, retry::RetryPolicy},
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

fn item_json(id: u64) -> serde_json::Value {
    json!({ "id": id, "title": "write tests" })
}

#[derive(Debug, PartialEq, Eq, serde::Deserialize)]
struct Item {
    id: u64,
}

/// The thinnest typed client: what an app's module over [`Upstream`] looks like.
#[derive(Debug, Clone)]
struct Items(Upstream);

impl Items {
    fn new(http: reqwest::Client, base_url: &str, policy: UpstreamPolicy) -> Self {
        Self(Upstream::new("example", http, base_url, policy))
    }

    async fn get(&self, id: u64) -> api_client::Result<Item> {
        let what = format!("item {id}");
        self.0.get_json(&format!("/items/{id}"), &what).await
    }
}

/// Short waits so retries do not slow the suite; the rules themselves are unit-tested.
fn policy() -> UpstreamPolicy {
    UpstreamPolicy {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            retry_after_cap: Duration::from_millis(5),
            deadline: Duration::from_secs(5),
        },
        breaker: BreakerPolicy {
            failure_threshold: 100,
            cool_down: Duration::from_secs(60),
        },
        max_in_flight: 8,
        cache_ttl: None,
    }
}

fn client(server: &MockServer, policy: UpstreamPolicy) -> Items {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().build().unwrap();
    Items::new(http, &server.uri(), policy)
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

#[tokio::test]
async fn a_503_is_retried_until_the_upstream_answers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items/1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/items/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(item_json(1)))
        .mount(&server)
        .await;

    let item = client(&server, policy()).get(1).await.unwrap();

    assert_eq!(item.id, 1);
    assert_eq!(requests(&server).await, 3, "two 503s, then the answer");
}

#[tokio::test]
async fn retries_stop_at_the_attempt_limit_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;

    let error = client(&server, policy()).get(1).await.unwrap_err();

    assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn a_429_is_retried_and_then_reported_as_rate_limited_with_its_hint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .mount(&server)
        .await;

    let error = client(&server, policy()).get(1).await.unwrap_err();

    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(7)),
        "{error:?}"
    );
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for (status, expect_not_found) in [(404, true), (400, false)] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;

        let error = client(&server, policy()).get(9).await.unwrap_err();

        assert_eq!(
            matches!(error, Error::NotFound { .. }),
            expect_not_found,
            "{status}: {error:?}"
        );
        assert_eq!(requests(&server).await, 1, "{status} is final");
    }
}

#[tokio::test]
async fn a_slow_upstream_becomes_a_timeout_within_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(item_json(1))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let mut policy = policy();
    policy.retry.deadline = Duration::from_millis(200);

    let error = client(&server, policy).get(1).await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::Timeout {
                upstream: "example"
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_answer_that_does_not_decode_is_an_invalid_response() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>not json</html>"))
        .mount(&server)
        .await;

    let error = client(&server, policy()).get(1).await.unwrap_err();

    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    assert_eq!(requests(&server).await, 1, "a decode error is not retried");
}

#[tokio::test]
async fn once_the_breaker_opens_calls_fail_fast_without_a_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let mut policy = policy();
    policy.retry.max_attempts = 1;
    policy.breaker.failure_threshold = 2;
    let items = client(&server, policy);
    items.get(1).await.unwrap_err();
    items.get(1).await.unwrap_err();

    let error = items.get(1).await.unwrap_err();

    assert!(
        matches!(&error, Error::Unavailable { reason, .. } if reason.contains("circuit open")),
        "{error:?}"
    );
    assert_eq!(
        requests(&server).await,
        2,
        "the third call never reached the upstream"
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_unavailable() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().build().unwrap();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let items = Items::new(http, "http://127.0.0.1:9", policy());

    let error = items.get(1).await.unwrap_err();

    assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
}

/// An upstream that counts requests in flight and holds each one until the test releases it;
/// `/items/0` is answered at once with a 503.
struct HoldingUpstream {
    url: String,
    in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    most: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    release: std::sync::Arc<tokio::sync::Semaphore>,
}

async fn holding_upstream() -> HoldingUpstream {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let (count, peak, gate) = (
        Arc::clone(&in_flight),
        Arc::clone(&most),
        Arc::clone(&release),
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (count, peak, gate) = (Arc::clone(&count), Arc::clone(&peak), Arc::clone(&gate));
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if head.starts_with(b"GET /items/0 ") {
                    let _ = socket
                        .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    return;
                }
                let now = count.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                gate.acquire().await.unwrap().forget();
                count.fetch_sub(1, Ordering::SeqCst);
                let body = item_json(1).to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    HoldingUpstream {
        url,
        in_flight,
        most,
        release,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_calls_in_flight_than_the_cap() {
    use std::sync::atomic::Ordering;

    let upstream = holding_upstream().await;
    let mut policy = policy();
    policy.max_in_flight = 2;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().build().unwrap();
    let items = Items::new(http, &upstream.url, policy);

    let calls: Vec<_> = (0..6)
        .map(|_| {
            let items = items.clone();
            tokio::spawn(async move { items.get(1).await })
        })
        .collect();
    // Bounded wait until the cap is reached; then release the held requests.
    until_held(&upstream, 2).await;
    upstream.release.add_permits(6);
    for call in calls {
        call.await.unwrap().unwrap();
    }

    assert_eq!(upstream.most.load(Ordering::SeqCst), 2);
}

/// Waits (bounded) until the upstream holds `n` requests.
async fn until_held(upstream: &HoldingUpstream, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while upstream.in_flight.load(std::sync::atomic::Ordering::SeqCst) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "the upstream never held {n} requests"
        );
        tokio::task::yield_now().await;
    }
}

/// The half-open probe's caller goes away (a client hung up on a fan-out, whose `JoinSet` then
/// aborts its tasks): the circuit must not stay half-open, refusing every call for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_whose_caller_goes_away_does_not_leave_the_circuit_half_open() {
    let upstream = holding_upstream().await;
    let mut policy = policy();
    policy.retry.max_attempts = 1;
    policy.breaker = BreakerPolicy {
        failure_threshold: 1,
        cool_down: Duration::ZERO,
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().build().unwrap();
    let items = Items::new(http, &upstream.url, policy);
    // One 503 opens the circuit; with no cool-down the next call is the probe.
    items.get(0).await.unwrap_err();
    let probe = tokio::spawn({
        let items = items.clone();
        async move { items.get(1).await }
    });
    until_held(&upstream, 1).await;

    probe.abort();
    assert!(probe.await.unwrap_err().is_cancelled());
    upstream.release.add_permits(10);
    let item = items.get(1).await;

    assert_eq!(item.map(|t| t.id).ok(), Some(1), "the upstream is healthy");
}

#[tokio::test]
async fn with_the_cache_on_a_repeated_get_makes_one_request_and_errors_are_not_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(item_json(1)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/items/2"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let mut policy = policy();
    policy.cache_ttl = Some(Duration::from_secs(60));
    let items = client(&server, policy);

    let first = items.get(1).await.unwrap();
    let second = items.get(1).await.unwrap();
    items.get(2).await.unwrap_err();
    items.get(2).await.unwrap_err();

    assert_eq!(first, second);
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(asked, ["/items/1", "/items/2", "/items/2"]);
}

#[tokio::test]
async fn with_the_cache_off_every_get_reaches_the_upstream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(item_json(1)))
        .mount(&server)
        .await;
    let items = client(&server, policy());

    items.get(1).await.unwrap();
    items.get(1).await.unwrap();

    assert_eq!(requests(&server).await, 2);
}
