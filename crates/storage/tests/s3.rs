//! The S3 backend against a real S3-protocol server: moto's server mode (Python), started here
//! on a free port. `just s3-test` installs it (scripts/s3-setup.sh) and runs these:
//! `MOTO_SERVER=target/s3/venv/bin/moto_server cargo test -p storage --features s3-tests --test s3`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::time::Duration;

use bytes::Bytes;
use storage::{Error, S3Config, Storage, StorageConfig, moto::Moto};

#[tokio::test]
async fn the_s3_backend_does_what_every_backend_does() {
    let moto = Moto::start().await;
    let storage = Storage::open(&moto.config(&moto.bucket().await, None)).unwrap();
    assert_eq!(storage.kind(), "s3");
    let scratch = tempfile::tempdir().unwrap();
    storage::conformance::run(&storage, "suite", scratch.path()).await;
    assert_eq!(
        storage.signed_url("suite/x").await.unwrap(),
        None,
        "signed URLs are off"
    );
}

#[tokio::test]
async fn a_signed_url_lets_a_client_without_credentials_fetch_the_file_for_a_while() {
    let moto = Moto::start().await;
    let ttl = Duration::from_secs(120);
    let storage = Storage::open(&moto.config(&moto.bucket().await, Some(ttl))).unwrap();
    storage
        .put(
            "exports/products-1.csv",
            Bytes::from_static(b"id,name\n1,Tea\n"),
        )
        .await
        .unwrap();

    let url = storage
        .signed_url("exports/products-1.csv")
        .await
        .unwrap()
        .unwrap();

    assert!(url.starts_with(&moto.endpoint()), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(url.contains("X-Amz-Expires=120"), "{url}");
    let fetched = reqwest::get(&url).await.unwrap();
    assert_eq!(fetched.status(), reqwest::StatusCode::OK);
    assert_eq!(fetched.text().await.unwrap(), "id,name\n1,Tea\n");
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_is_unavailable_not_missing() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = StorageConfig::S3(S3Config {
        bucket: "nowhere".into(),
        region: "us-east-1".into(),
        endpoint: Some(format!("http://127.0.0.1:{closed}")),
        access_key_id: Some("k".into()),
        secret_access_key: Some("s".into()),
        signed_urls: None,
    });
    let storage = Storage::open(&config).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(120), storage.get("uploads/a.png"))
        .await
        .expect("the client's retries end");
    assert!(matches!(got, Err(Error::Unavailable(_))), "{got:?}");
}
