//! What every backend must do, run against the local folder by the unit tests and against a
//! real S3 server by `tests/s3.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::missing_panics_doc,
    reason = "test support: a failed expectation fails the test"
)]

use bytes::Bytes;
use futures_util::StreamExt;

use crate::{Error, Storage};

/// Stores, reads back (whole and streamed), replaces, lists by age and deletes, under keys of
/// the test's own (`prefix`), and refuses keys that climb out.
pub async fn run(storage: &Storage, prefix: &str, scratch: &std::path::Path) {
    let key = format!("{prefix}/a/one.txt");
    assert!(!storage.exists(&key).await.unwrap());
    assert!(matches!(storage.get(&key).await, Err(Error::NotFound(_))));

    storage
        .put(&key, Bytes::from_static(b"first"))
        .await
        .unwrap();
    assert!(storage.exists(&key).await.unwrap());
    assert_eq!(storage.get_bytes(&key, 100).await.unwrap(), "first");
    storage
        .put(&key, Bytes::from_static(b"second"))
        .await
        .unwrap();
    let object = storage.get(&key).await.unwrap();
    assert_eq!(object.size, 6);
    let streamed: Vec<u8> = object
        .body
        .map(|chunk| chunk.unwrap().to_vec())
        .concat()
        .await;
    assert_eq!(streamed, b"second");
    assert!(storage.get_bytes(&key, 5).await.is_err(), "over the limit");

    // A file bigger than two parts goes up in parts and comes back whole.
    let big: Vec<u8> = (0..(17 * 1024 * 1024_u32))
        .map(|i| (i % 251) as u8)
        .collect();
    let path = scratch.join("big.part");
    std::fs::write(&path, &big).unwrap();
    let big_key = format!("{prefix}/big.bin");
    storage.put_file(&big_key, &path).await.unwrap();
    let back = storage.get_bytes(&big_key, u64::MAX).await.unwrap();
    assert_eq!(back.len(), big.len());
    assert!(back == big, "the same bytes");

    let later = chrono::Utc::now() + chrono::TimeDelta::minutes(1);
    let earlier = chrono::Utc::now() - chrono::TimeDelta::minutes(10);
    let mut listed = storage.list_older_than(prefix, later).await.unwrap();
    listed.sort();
    assert_eq!(listed, [format!("{prefix}/a/one.txt"), big_key.clone()]);
    assert!(
        storage
            .list_older_than(prefix, earlier)
            .await
            .unwrap()
            .is_empty()
    );
    let nothing = format!("{prefix}-never-written");
    assert!(
        storage
            .list_older_than(&nothing, later)
            .await
            .unwrap()
            .is_empty()
    );

    storage.delete(&key).await.unwrap();
    storage.delete(&key).await.unwrap();
    storage.delete(&big_key).await.unwrap();
    assert!(!storage.exists(&key).await.unwrap());

    for bad in ["../x", "/etc/passwd", "a//b", "a/./b", "", "a\\b"] {
        assert!(
            matches!(storage.put(bad, Bytes::new()).await, Err(Error::Other(_))),
            "{bad:?}"
        );
    }
}
