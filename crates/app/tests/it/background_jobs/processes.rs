//! Real `app worker` processes: J2 killed with SIGKILL mid-job, J3 stopped with SIGTERM.
//!
//! The job is the app's own `warm_todos`, pointed at a TCP listener the test holds: the moment
//! the listener accepts, the worker is in the middle of the job.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use jobs::{Queue, State, kinds::WarmTodos};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use super::support::{migrated_db, shutdown};
use crate::helpers::test_config;

fn spawn_worker(database_url: &str, upstream: &str, extra: &[(&str, &str)]) -> Child {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_app"));
    command
        .arg("worker")
        .current_dir(dir.path())
        .env_clear()
        .env("APP_ENV", "test")
        .env("DATABASE_URL", database_url)
        .env("APP_MIGRATE_ON_START", "false")
        .env("APP_TODOS_API_URL", upstream)
        .env("APP_TODOS_CACHE_TTL_SECS", "0")
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.spawn().unwrap()
}

/// Accepts one connection and reads its request head; the connection stays open.
async fn accept_request(listener: &TcpListener) -> TcpStream {
    let accepted = tokio::time::timeout(Duration::from_secs(60), listener.accept()).await;
    let (mut stream, _) = accepted.expect("the worker reached the upstream").unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the worker hung up before sending its request");
        head.extend_from_slice(&buf[..n]);
    }
    stream
}

async fn answer_todo(mut stream: TcpStream, id: u64) {
    let body = format!(r#"{{"id":{id},"userId":1,"title":"warm","completed":false}}"#);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
}

/// J2: a worker killed with SIGKILL mid-job; once its one-second lease lapses, another worker
/// runs the job again and it completes exactly once more.
#[tokio::test]
async fn a_job_whose_worker_is_killed_runs_again_after_the_lease() {
    let (database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let id = queue
        .enqueue(&db, &WarmTodos { ids: vec![7] })
        .await
        .unwrap()
        .id;

    let mut crashed = spawn_worker(&database.url, &upstream, &[("APP_JOBS_LEASE_SECS", "1")]);
    let first_attempt = accept_request(&listener).await;
    crashed.kill().unwrap(); // SIGKILL: no drain, no give-back
    crashed.wait().unwrap();
    drop(first_attempt);
    let orphan = queue.get(id).await.unwrap();
    assert_eq!((orphan.state, orphan.attempts), (State::Running, 1));

    let config = test_config(
        &database.url,
        &[
            ("APP_TODOS_API_URL", upstream.as_str()),
            ("APP_TODOS_CACHE_TTL_SECS", "0"),
            ("APP_JOBS_LEASE_SECS", "1"),
            ("APP_JOBS_POLL_SECS", "0.05"),
        ],
    );
    let api = api_client::ApiClients::new(&config.api).unwrap();
    let services = app::worker::services(
        &config,
        &db,
        &queue,
        api,
        offload::Offload::new(1),
        db::Hub::new(db.clone(), 16),
    )
    .unwrap();
    let rescuer = app::worker::runner(&config, queue.clone(), services).unwrap();
    let (stop, stopped) = shutdown();
    let rescuer = tokio::spawn(rescuer.run(stopped));
    answer_todo(accept_request(&listener).await, 7).await;
    stop.send(()).unwrap();
    rescuer.await.unwrap().unwrap();

    let job = queue.get(id).await.unwrap();
    assert_eq!((job.state, job.attempts), (State::Succeeded, 2));
    let error = job.last_error.unwrap_or_default();
    assert!(error.contains("lease expired"), "{error}");
}

/// J3 at the process level: several SIGTERMs, the running job outlives the grace period, the
/// worker gives it back and exits 0.
#[tokio::test]
async fn sigterm_gives_back_the_unfinished_job_and_exits_zero() {
    let (database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let id = queue
        .enqueue(&db, &WarmTodos { ids: vec![8] })
        .await
        .unwrap()
        .id;

    let mut worker = spawn_worker(&database.url, &upstream, &[("APP_JOBS_GRACE_SECS", "0.3")]);
    let _held = accept_request(&listener).await;
    for _ in 0..3 {
        let sent = Command::new("kill")
            .args(["-TERM", &worker.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
    let status = tokio::task::spawn_blocking(move || worker.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status:?}");

    let job = queue.get(id).await.unwrap();
    assert_eq!((job.state, job.attempts), (State::Queued, 0));
    assert_eq!(job.last_error, None);
}
