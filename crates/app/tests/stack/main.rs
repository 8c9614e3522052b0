//! The production topology, run for real on one machine and driven through the proxy only:
//! HAProxy with the config compose ships, two `app serve` replicas with jobs off, two
//! `app worker`s, one PostgreSQL database and an SMTP sink (see `topology`).
//!
//! `just stack-test` installs HAProxy when missing and runs them:
//! `TEST_DATABASE_URL=postgres://… cargo test -p app --features stack --test stack`.
//! Each replica serves `/metrics`, which is how the tests see which replica answered.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    missing_debug_implementations,
    reason = "test code: a failed expectation is a failed test"
)]

#[path = "../it/helpers/mod.rs"]
#[allow(
    dead_code,
    unused_imports,
    reason = "the integration tests' harness; these tests use part of it"
)]
mod helpers;
mod topology;

mod chat; // [demo:chat]
mod export; // [demo:export]
mod images; // [demo:images]

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, create_token, create_user, sign_in};
use topology::{PATIENCE, Stack};

/// A client whose every connect and read has a deadline, so a request the stack never answers
/// fails the test with its address instead of hanging it.
pub fn client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
}

/// A browser-like client that opens a new connection for every request, so the proxy balances
/// each one afresh (leastconn between idle replicas takes turns).
pub fn fresh_connections() -> reqwest::Client {
    client()
        .cookie_store(true)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Runs one stage of a test, failing with its name if it does not finish within the patience.
pub async fn within<T>(stage: &str, work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(2 * PATIENCE, work)
        .await
        .unwrap_or_else(|_| panic!("{stage}: no end after {:?}", 2 * PATIENCE))
}

#[tokio::test]
async fn replicas_share_sessions_chat_jobs_and_files() {
    let stack = Stack::start().await;
    let admin = create_user(&stack.db, ADMIN_EMAIL, true).await;
    let url = |path: &str| format!("{}{path}", stack.proxy);

    // A session made through the proxy works on both replicas.
    let browser = fresh_connections();
    within(
        "sign in",
        sign_in(&browser, &stack.proxy, ADMIN_EMAIL, ADMIN_PASSWORD),
    )
    .await;
    let before = [
        stack.counted(0, "/api/auth/me", "200").await,
        stack.counted(1, "/api/auth/me", "200").await,
    ];
    for _ in 0..6 {
        let me: Value = browser
            .get(url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["user"]["id"], admin.id, "{me}");
    }
    for (n, before) in before.iter().enumerate() {
        let after = stack.counted(n, "/api/auth/me", "200").await;
        assert!(
            after > *before,
            "replica {n} served the session too ({before} -> {after})"
        );
    }

    within("jobs", each_job_runs_once(&stack)).await;
    within("cron", stack.missed_tick_fired_once()).await;
    within("chat", chat::between_replicas(&stack, admin.id)).await; // [demo:chat]
    within("export", export::progress_from_a_worker(&stack, &browser)).await; // [demo:export]
    let images = images::seen_through_both_replicas(&stack, admin.id); // [demo:images]
    within("images", images).await; // [demo:images]
}

/// Welcome mails of sign-ups made through the proxy: each job runs once, across two workers,
/// and each mail reaches the sink once.
async fn each_job_runs_once(stack: &Stack) {
    let emails: Vec<String> = (0..5).map(|n| format!("stack-{n}@example.com")).collect();
    for email in &emails {
        let body = json!({ "email": email, "password": "long enough password" });
        // A browser each: a sign-up signs in, and a second one would need the session's token.
        let response = fresh_connections()
            .post(format!("{}/api/auth/signup", stack.proxy))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "signed up");
    }
    let queue = jobs::Queue::new(stack.db.clone(), db::Hub::new(stack.db.clone(), 16));
    let filter = jobs::ListFilter {
        kind: Some("account_email".into()),
        limit: 100,
        ..jobs::ListFilter::default()
    };
    let records = tokio::time::timeout(PATIENCE, async {
        loop {
            let records = queue.list(&filter).await.unwrap();
            if records.len() == emails.len()
                && records.iter().all(|r| r.state == jobs::State::Succeeded)
            {
                break records;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the workers sent every welcome mail");
    assert!(records.iter().all(|r| r.attempts == 1), "{records:?}");
    let messages = stack.mail.messages();
    for email in &emails {
        let sent = messages
            .iter()
            .filter(|m| m.contains(email.as_str()))
            .count();
        assert_eq!(sent, 1, "one mail to {email}");
    }
}

/// Each replica in turn gets SIGTERM and comes back while clients read and write through the
/// proxy without pause: not one request fails, and every write that was answered is there.
#[tokio::test]
async fn a_rolling_restart_under_load_loses_no_request() {
    let mut stack = Stack::start().await;
    let admin = create_user(&stack.db, ADMIN_EMAIL, true).await;
    let token = create_token(&stack.db, admin.id, "stack").await;

    let stop = Arc::new(AtomicBool::new(false));
    let created = Arc::new(AtomicU64::new(0));
    let mut load = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let (proxy, token) = (stack.proxy.clone(), token.clone());
        let (stop, created) = (Arc::clone(&stop), Arc::clone(&created));
        load.spawn(async move {
            let client = client().build().unwrap();
            let mut failures = Vec::new();
            let mut requests = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                requests += 1;
                let read = client
                    .get(format!("{proxy}/api/auth/me"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                match read {
                    Ok(r) if r.status() == StatusCode::OK => {}
                    Ok(r) => failures.push(format!("GET: {}", r.status())),
                    Err(e) => failures.push(format!("GET: {e}")),
                }
                // A write of the engine's own: a new API token.
                let name = format!("rolling {worker}-{requests}");
                let write = client
                    .post(format!("{proxy}/api/auth/tokens"))
                    .bearer_auth(&token)
                    .json(&json!({ "name": name }))
                    .send()
                    .await;
                match write {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        created.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => failures.push(format!("POST: {}", r.status())),
                    Err(e) => failures.push(format!("POST: {e}")),
                }
            }
            (requests, failures)
        });
    }

    for n in 0..2 {
        within("restart", stack.restart(n)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut requests = 0;
    let mut failures = Vec::new();
    while let Some(done) = load.join_next().await {
        let (count, failed) = done.unwrap();
        requests += count;
        failures.extend(failed);
    }
    assert!(requests > 100, "the load kept going: {requests} rounds");
    assert!(
        failures.is_empty(),
        "{} failed of {requests}: {failures:?}",
        failures.len()
    );
    let rows = db::api_tokens::list_for_user(&stack.db, admin.id)
        .await
        .unwrap();
    let written = rows
        .iter()
        .filter(|t| t.name.starts_with("rolling "))
        .count();
    let answered = usize::try_from(created.load(Ordering::Relaxed)).unwrap();
    assert_eq!(written, answered, "every answered write is there");
}
