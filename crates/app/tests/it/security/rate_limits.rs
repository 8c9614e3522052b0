//! S15: login and signup are limited per client address, and an account's sign-ins back off
//! however many addresses they come from; others are unaffected.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, create_user, spawn_app_with};

/// A client whose connections come from another loopback address (Linux routes all of 127/8).
fn from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .unwrap()
}

async fn login(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn s15_login_is_limited_per_ip_and_per_account_with_retry_after() {
    let app = spawn_app_with(&[
        ("APP_AUTH_RATE_LIMIT", "3"),
        ("APP_AUTH_RATE_WINDOW_SECS", "300"),
    ])
    .await;
    create_user(&app.db, "victim@example.com", false).await;
    create_user(&app.db, "member@example.com", false).await;
    let attacker = from(2);

    for _ in 0..3 {
        let response = login(&app, &attacker, "victim@example.com", "guess guess guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = login(&app, &attacker, "victim@example.com", "guess guess guess").await;

    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    let body = crate::helpers::problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Too many login attempts")
    );

    // Another user from another address is not affected.
    assert_eq!(
        login(&app, &from(4), "member@example.com", ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    // The victim's account is locked for this window, from any address, even with the right password.
    assert_eq!(
        login(&app, &from(3), "victim@example.com", ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // And the attacker's address is locked for any account.
    assert_eq!(
        login(&app, &attacker, "member@example.com", ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn s15_signup_is_limited_per_ip() {
    let app = spawn_app_with(&[("APP_AUTH_RATE_LIMIT", "2")]).await;
    let client = from(5);
    let signup = |n: u32| {
        client
            .post(app.url("/api/auth/signup"))
            .json(&json!({ "email": format!("bot{n}@example.com"), "password": "long enough password" }))
            .send()
    };

    assert_eq!(signup(1).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(signup(2).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(
        signup(3).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        db::users::count(&app.db).await.unwrap(),
        3,
        "the admin and two bots"
    );
}

/// Guessing spread over many addresses (40 loopback addresses used to get no 429 at all): each
/// address stays under its own limit, but the account's sign-ins back off after the free ones.
#[tokio::test]
async fn s15_guesses_spread_over_many_addresses_back_off_per_account() {
    let app = spawn_app_with(&[
        ("APP_AUTH_RATE_LIMIT", "3"),
        ("APP_AUTH_RATE_WINDOW_SECS", "300"),
        ("APP_AUTH_LOCKOUT_MAX_SECS", "900"),
    ])
    .await;
    create_user(&app.db, "victim@example.com", false).await;

    let mut statuses = Vec::new();
    let mut waits = Vec::new();
    for last in 10..50 {
        let response = login(&app, &from(last), "victim@example.com", "guess guess guess").await;
        if let Some(wait) = response.headers().get(header::RETRY_AFTER) {
            waits.push(wait.to_str().unwrap().parse::<u64>().unwrap());
        }
        statuses.push(response.status());
    }

    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        statuses[..3],
        [StatusCode::UNAUTHORIZED; 3],
        "the free attempts"
    );
    assert_eq!(refused, 37, "every later guess waits: {statuses:?}");
    assert!(
        waits.iter().all(|w| (1..=900).contains(w)),
        "a bounded wait, never a lock for good: {waits:?}"
    );
}
