//! The images demo: a file uploaded through one replica is kept in the bucket and served by both.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    fresh_connections,
    helpers::{self, create_token},
    topology::Stack,
};

/// An image uploaded through one replica is served by both.
pub async fn seen_through_both_replicas(stack: &Stack, admin: i64) {
    let token = create_token(&stack.db, admin, "images").await;
    let token = token.as_str();
    let client = fresh_connections();
    let product: Value = client
        .post(format!("{}/api/products", stack.proxy))
        .bearer_auth(token)
        .json(&json!({ "name": "Stack teapot", "price_cents": 1200 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let part = reqwest::multipart::Part::bytes(helpers::png(64, 32))
        .file_name("teapot.png")
        .mime_str("image/png")
        .unwrap();
    let uploaded = client
        .post(format!(
            "{}/api/products/{}/image",
            stack.proxy, product["id"]
        ))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let image: Value = uploaded.json().await.unwrap();
    let path = image["url"].as_str().unwrap().to_owned();
    // Kept in the bucket, which is all the replicas share.
    let bucket = storage::Storage::open(&stack.s3.config(&stack.bucket, None)).unwrap();
    let key = path.trim_start_matches('/');
    assert!(bucket.exists(key).await.unwrap(), "{key} is in the bucket");
    for _ in 0..6 {
        let served = client
            .get(format!("{}{path}", stack.proxy))
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(served.bytes().await.unwrap(), helpers::png(64, 32));
    }
    for n in 0..2 {
        let count = stack.counted(n, "/uploads/{name}", "200").await;
        assert!(count >= 1.0, "replica {n} served the image");
    }
}

/// With signed URLs on, a download is a redirect to the bucket, which serves the bytes itself to
/// a client holding no credentials.
#[tokio::test]
async fn with_signed_urls_an_image_downloads_from_the_bucket() {
    let s3 = storage::moto::Moto::start().await;
    let bucket = s3.bucket().await;
    let endpoint = s3.endpoint();
    let app = helpers::spawn_app_with(&[
        ("APP_STORAGE", "s3"),
        ("APP_S3_BUCKET", &bucket),
        ("APP_S3_ENDPOINT", &endpoint),
        ("APP_S3_ACCESS_KEY_ID", "test-key"),
        ("APP_S3_SECRET_ACCESS_KEY", "test-secret"),
        ("APP_S3_SIGNED_URL_SECS", "60"),
    ])
    .await;
    let product = app.create_product("Signed teapot", 900).await;
    let part = reqwest::multipart::Part::bytes(helpers::png(40, 20))
        .file_name("teapot.png")
        .mime_str("image/png")
        .unwrap();
    let uploaded = app
        .client
        .post(app.url(&format!("/api/products/{}/image", product["id"])))
        .bearer_auth(&app.token)
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let image: Value = uploaded.json().await.unwrap();

    let served = app.get(image["url"].as_str().unwrap()).await;

    assert_eq!(served.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(served.headers()["cache-control"], "no-store");
    let location = served.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&endpoint), "{location}");
    assert!(location.contains("X-Amz-Expires=60"), "{location}");
    let fetched = crate::client().build().unwrap().get(&location).send();
    let fetched = fetched.await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.bytes().await.unwrap(), helpers::png(40, 20));
}
