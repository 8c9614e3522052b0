//! `APP_TRUSTED_PROXIES`: forwarded headers are believed from the listed proxies only, for the
//! client address (rate limits) and the scheme (the CSRF origin check); from anyone else they
//! change nothing.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::atomic::{AtomicUsize, Ordering},
};

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, sign_in, spawn_app_with};

/// A client whose connections come from 127.0.0.`last` (Linux routes all of 127/8), with a
/// cookie jar and no `Origin` of its own.
fn from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A failed login, as if forwarded for `client`, each for another account nobody has (so only
/// the per-address limit can refuse it, not an account's back-off).
async fn failed_login(app: &TestApp, peer: &reqwest::Client, client: &str) -> StatusCode {
    static ATTEMPTS: AtomicUsize = AtomicUsize::new(0);
    let n = ATTEMPTS.fetch_add(1, Ordering::Relaxed);
    peer.post(app.url("/api/auth/login"))
        .header("x-forwarded-for", client)
        .json(
            &json!({ "email": format!("nobody-{n}@example.com"), "password": "wrong wrong wrong" }),
        )
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_rate_limit_keys_on_the_forwarded_client_only_behind_a_trusted_proxy() {
    let app = spawn_app_with(&[
        ("APP_AUTH_RATE_LIMIT", "2"),
        ("APP_TRUSTED_PROXIES", "127.0.0.2, 10.0.0.0/8"),
    ])
    .await;
    let proxy = from(2);
    let stranger = from(3);

    // Through the proxy: each forwarded client has its own allowance.
    for _ in 0..2 {
        assert_eq!(
            failed_login(&app, &proxy, "198.51.100.1").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        failed_login(&app, &proxy, "198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged entry left of the real one changes nothing: the proxy appended the real address.
    assert_eq!(
        failed_login(&app, &proxy, "203.0.113.50, 198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        failed_login(&app, &proxy, "198.51.100.2").await,
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy is not limited"
    );

    // Not a trusted proxy: its header is ignored, so changing it does not dodge the limit.
    for client in ["192.0.2.1", "192.0.2.2"] {
        assert_eq!(
            failed_login(&app, &stranger, client).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        failed_login(&app, &stranger, "192.0.2.3").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the stranger is limited as itself, whatever it claims"
    );
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_headers_change_nothing() {
    let app = spawn_app_with(&[("APP_AUTH_RATE_LIMIT", "2")]).await;
    let peer = from(4);
    for client in ["192.0.2.1", "192.0.2.2"] {
        assert_eq!(
            failed_login(&app, &peer, client).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        failed_login(&app, &peer, "192.0.2.3").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Posts a note with the session's token, naming `origin`, as forwarded with `proto`.
async fn post_note(
    app: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    origin: &str,
    proto: &str,
) -> StatusCode {
    client
        .post(app.url("/api/test/notes"))
        .header(header::ORIGIN, origin)
        .header("x-forwarded-proto", proto)
        .header("x-forwarded-for", "198.51.100.9")
        .header("x-csrf-token", csrf)
        .json(&json!({ "body": "Forwarded" }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_origin_must_have_the_scheme_the_proxy_saw() {
    let app = spawn_app_with(&[("APP_TRUSTED_PROXIES", "127.0.0.5")]).await;
    let https_site = app.address.replacen("http://", "https://", 1);

    let proxy = from(5);
    let csrf = sign_in(&proxy, &app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // The browser was on https; a page on the plain-HTTP origin is another origin.
    assert_eq!(
        post_note(&app, &proxy, &csrf, &app.address, "https").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_note(&app, &proxy, &csrf, &https_site, "https").await,
        StatusCode::CREATED
    );

    // From a peer that is not a trusted proxy, `X-Forwarded-Proto` is not believed: the
    // scheme is not compared, as without a proxy.
    let direct = from(6);
    let csrf = sign_in(&direct, &app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        post_note(&app, &direct, &csrf, &app.address, "https").await,
        StatusCode::CREATED
    );
    assert_eq!(app.note_count().await, 2);
}
