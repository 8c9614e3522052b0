//! Real `app worker` processes: J2 killed with SIGKILL mid-job, J3 stopped with SIGTERM.
//!
//! The job is the engine's own account mail, sent over SMTP to a TCP listener the test holds: the
//! moment the listener accepts, the worker is in the middle of the job (an SMTP server speaks
//! first, so the worker waits there for as long as the test likes).

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use jobs::{
    Queue, State,
    kinds::{AccountEmail, AccountNotice},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use super::support::{migrated_db, shutdown};
use crate::helpers::test_config;

/// A worker process, with the folder it runs in (its `data/`), removed when the test is done.
fn spawn_worker(
    database_url: &str,
    smtp: &str,
    extra: &[(&str, &str)],
) -> (Child, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_app"));
    command
        .arg("worker")
        .current_dir(dir.path())
        .env_clear()
        .env("APP_ENV", "test")
        .env("DATABASE_URL", database_url)
        .env("APP_MIGRATE_ON_START", "false")
        .env("APP_MAILER", smtp)
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    (command.spawn().unwrap(), dir)
}

/// Accepts one connection (the worker's SMTP client, now waiting for a greeting it will not get)
/// and keeps it open.
async fn accept_connection(listener: &TcpListener) -> TcpStream {
    let accepted = tokio::time::timeout(Duration::from_secs(60), listener.accept()).await;
    accepted
        .expect("the worker reached the mail server")
        .unwrap()
        .0
}

/// Plays an SMTP server on `stream` until one message is accepted; returns its DATA.
async fn receive_message(stream: TcpStream) -> String {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 test ESMTP\r\n").await.unwrap();
    let mut data = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if !line.to_ascii_uppercase().starts_with("DATA") {
            write.write_all(b"250 ok\r\n").await.unwrap();
            continue;
        }
        write.write_all(b"354 go on\r\n").await.unwrap();
        while let Some(line) = lines.next_line().await.unwrap() {
            if line == "." {
                write.write_all(b"250 queued\r\n").await.unwrap();
                return data;
            }
            data.push_str(&line);
            data.push('\n');
        }
    }
    panic!("the worker hung up before sending its message");
}

fn welcome(to: &str) -> AccountEmail {
    AccountEmail {
        to: to.to_owned(),
        notice: AccountNotice::Welcome,
        link: None,
    }
}

/// J2: a worker killed with SIGKILL mid-job; once its one-second lease lapses, another worker
/// runs the job again and it completes exactly once more.
#[tokio::test]
async fn a_job_whose_worker_is_killed_runs_again_after_the_lease() {
    let (database, db) = migrated_db().await;
    let queue = Queue::new(db.clone(), db::Hub::new(db.clone(), 16));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let smtp = format!("smtp://{}", listener.local_addr().unwrap());
    let id = queue
        .enqueue(&db, &welcome("seven@example.com"))
        .await
        .unwrap()
        .id;

    let (mut crashed, _crashed_dir) =
        spawn_worker(&database.url, &smtp, &[("APP_JOBS_LEASE_SECS", "1")]);
    let first_attempt = accept_connection(&listener).await;
    crashed.kill().unwrap(); // SIGKILL: no drain, no give-back
    crashed.wait().unwrap();
    drop(first_attempt);
    let orphan = queue.get(id).await.unwrap();
    assert_eq!((orphan.state, orphan.attempts), (State::Running, 1));

    let config = test_config(
        &database.url,
        &[
            ("APP_MAILER", smtp.as_str()),
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
        app::worker::open_storage(&config).unwrap(),
    )
    .unwrap();
    let rescuer = app::worker::runner(&config, queue.clone(), services).unwrap();
    let (stop, stopped) = shutdown();
    let rescuer = tokio::spawn(rescuer.run(stopped));
    let message = receive_message(accept_connection(&listener).await).await;
    assert!(message.contains("To: seven@example.com"), "{message}");
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
    let smtp = format!("smtp://{}", listener.local_addr().unwrap());
    let id = queue
        .enqueue(&db, &welcome("eight@example.com"))
        .await
        .unwrap()
        .id;

    let (mut worker, _worker_dir) =
        spawn_worker(&database.url, &smtp, &[("APP_JOBS_GRACE_SECS", "0.3")]);
    let _held = accept_connection(&listener).await;
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
