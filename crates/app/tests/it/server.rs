//! The server's own limits, seen from raw sockets: slow and half-sent requests, oversized
//! headers, idle HTTP/2 connections, and a shutdown that no client can hold off.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestApp, spawn_app_with};

/// Longest any test here waits for the server to act; a server that never does fails the test.
const PATIENCE: Duration = Duration::from_secs(30);

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connected")
}

/// A connection that sent half of its first request and stalls, which the server has surely
/// accepted: a request on a second connection has been answered since (connections are accepted
/// in the order they arrive).
async fn stalled(address: &str) -> TcpStream {
    let address = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let mut later = TcpStream::connect(address).await.unwrap();
    later
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    later.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    stream
}

/// Reads until the server closes the connection; returns what it sent.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    received
}

#[tokio::test]
async fn a_request_whose_headers_never_finish_is_disconnected_after_the_header_timeout() {
    let app = spawn_app_with(&[("APP_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut stream = connect(&app).await;

    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();

    until_closed(&mut stream).await;
}

/// Slowloris: a byte now and then resets no timer; the headers must be whole in time.
#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected_after_the_header_timeout() {
    let app = spawn_app_with(&[("APP_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();

    let trickle = async {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        for _ in 0..(PATIENCE.as_millis() / 200) {
            tick.tick().await;
            if stream.write_all(b"X").await.is_err() {
                return true;
            }
        }
        false
    };
    let cut_off = tokio::time::timeout(PATIENCE, trickle).await;

    assert!(
        cut_off.expect("the server cut the trickle off in time"),
        "the server kept reading the trickle"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(&[("APP_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();

    let received = until_closed(&mut stream).await;

    assert!(
        received.starts_with(b"HTTP/1.1 200 OK"),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn headers_over_the_size_or_count_limit_get_a_431() {
    let app = spawn_app_with(&[("APP_MAX_HEADER_BYTES", "16384"), ("APP_MAX_HEADERS", "20")]).await;
    let big = "x".repeat(20 * 1024);
    let many: Vec<(String, String)> = (0..30).map(|i| (format!("x-h{i}"), "1".into())).collect();

    let too_big = app
        .anonymous()
        .get(app.url("/health"))
        .header("x-big", &big)
        .send()
        .await;
    let mut request = app.anonymous().get(app.url("/health"));
    for (name, value) in &many {
        request = request.header(name, value);
    }
    let too_many = request.send().await;

    for response in [too_big, too_many] {
        assert_eq!(
            response.unwrap().status(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }
    let fine = app
        .anonymous()
        .get(app.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(fine.status(), StatusCode::OK);
}

/// An HTTP/2 frame header: length, type, flags, stream 0.
fn h2_frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut frame = vec![len[1], len[2], len[3], kind, 0, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

/// A client may keep an HTTP/2 connection busy with pings for ever; with no request in flight
/// it is closed all the same (GOAWAY, then the socket).
#[tokio::test]
async fn an_http2_connection_with_no_request_in_flight_is_closed_however_it_pings() {
    let app = spawn_app_with(&[("APP_IDLE_TIMEOUT_SECS", "1")]).await;
    let mut stream = connect(&app).await;
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(h2_frame(0x4, &[])); // SETTINGS, none changed
    stream.write_all(&hello).await.unwrap();

    let (mut reader, mut writer) = stream.into_split();
    let pinging = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            if writer.write_all(&h2_frame(0x6, &[0; 8])).await.is_err() {
                return;
            }
        }
    });
    let mut received = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, reader.read_to_end(&mut received)).await;
    pinging.abort();

    assert!(closed.is_ok(), "the pinging connection stayed open");
    // A GOAWAY frame (type 7) came before the close.
    assert!(
        received.windows(4).any(|w| w[3] == 0x7 && w[0] == 0),
        "no GOAWAY"
    );
}

/// SIGTERM with two things open that would each hold a drain for ever: a request whose headers
/// never finish and an event stream on a job that never ends. The app stops within its drain
/// deadline and the event stream ends. (A chat WebSocket's close at shutdown is tested with the
/// chat.)
#[tokio::test]
async fn shutdown_is_not_held_off_by_open_connections_or_streams() {
    let mut app = spawn_app_with(&[
        ("APP_DRAIN_TIMEOUT_SECS", "1"),
        ("APP_HEADER_READ_TIMEOUT_SECS", "600"),
        ("APP_JOBS_IN_PROCESS", "false"),
    ])
    .await;
    let mut half_sent = stalled(&app.address).await;
    let queue = jobs::Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16));
    let never_run = jobs::kinds::AccountEmail {
        to: "nobody@example.com".into(),
        notice: jobs::kinds::AccountNotice::Welcome,
        link: None,
    };
    let job = queue.enqueue(&app.db, &never_run).await.unwrap();
    let mut events = app
        .client
        .get(app.url(&format!("/events/jobs/{}", job.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    let first = events.chunk().await.unwrap().unwrap_or_default();
    assert!(String::from_utf8_lossy(&first).contains("queued"));

    app.stop().await.expect("the app stopped cleanly");

    let rest = tokio::time::timeout(PATIENCE, async {
        let mut rest = Vec::new();
        while let Ok(Some(chunk)) = events.chunk().await {
            rest.extend_from_slice(&chunk);
        }
        rest
    })
    .await;
    assert!(rest.is_ok(), "the event stream ended");
    until_closed(&mut half_sent).await;
}

/// The same at the process level: SIGTERM reaches the drain, and a client that never finishes
/// its request cannot keep `app serve` running past the drain deadline.
#[tokio::test]
async fn sigterm_stops_app_serve_despite_a_stalled_client() {
    let database = crate::helpers::TestDatabase::create().await;
    let server = crate::helpers::serve_process(
        &database.url,
        &[
            ("APP_DRAIN_TIMEOUT_SECS", "1"),
            ("APP_HEADER_READ_TIMEOUT_SECS", "600"),
            ("RUST_LOG", "info"),
        ],
    );
    let _stalled = stalled(&server.address).await;

    server.terminate();
    let (status, log) = server.wait(PATIENCE).await;

    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(log.contains("drain deadline reached"), "{log}");
}

/// With a leave delay, SIGTERM first fails readiness while the server goes on accepting and
/// serving (a proxy takes the replica out on its next checks); only after the delay does it stop
/// listening and drain.
#[tokio::test]
async fn with_a_leave_delay_readiness_fails_first_while_requests_are_still_served() {
    let mut app = spawn_app_with(&[("APP_SHUTDOWN_DELAY_SECS", "600")]).await;
    assert_eq!(app.get("/ready").await.status(), StatusCode::OK);

    app.signal_stop();

    let ready = tokio::time::timeout(PATIENCE, async {
        loop {
            // A new connection each time: the listener is still open.
            let response = reqwest::get(app.url("/ready")).await.unwrap();
            if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                break response.text().await.unwrap();
            }
            assert_eq!(response.status(), StatusCode::OK);
        }
    })
    .await
    .expect("/ready turned 503 after the signal");
    assert!(ready.contains("stopping"), "{ready}");
    assert_eq!(
        reqwest::get(app.url("/health")).await.unwrap().status(),
        StatusCode::OK
    );
    let note = app.create_note("written while leaving").await;
    assert!(note["id"].is_number(), "{note}");
    assert_eq!(app.note_count().await, 1);
}
