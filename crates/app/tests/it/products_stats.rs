//! The price report, computed on the blocking bridge.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{html, spawn_app};

#[tokio::test]
async fn the_report_covers_every_product() {
    let app = spawn_app().await;
    for cents in [100, 200, 300, 400, 1000] {
        app.create_product("priced", cents).await;
    }

    let response = app.get("/api/products/stats").await;

    assert_eq!(response.status(), StatusCode::OK);
    let stats: Value = response.json().await.unwrap();
    assert_eq!(stats["count"], 5);
    assert_eq!(
        (stats["min_cents"].as_i64(), stats["max_cents"].as_i64()),
        (Some(100), Some(1000))
    );
    assert_eq!(stats["p50_cents"], 300);
    assert_eq!(stats["mean_cents"], json!(400.0));
    let in_buckets: u64 = stats["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(in_buckets, 5);
}

#[tokio::test]
async fn an_empty_catalogue_gives_an_empty_report() {
    let app = spawn_app().await;

    let stats: Value = app.get("/api/products/stats").await.json().await.unwrap();

    assert_eq!(stats["count"], 0);
    assert_eq!(stats["p50_cents"], Value::Null);
    let page = html(app.get("/products/stats").await, StatusCode::OK).await;
    assert!(page.contains("No products yet"));
}

#[tokio::test]
async fn the_report_page_shows_the_figures_and_a_histogram() {
    let app = spawn_app().await;
    db::products::seed_demo(&app.db, 200).await.unwrap();

    let page = html(app.get("/products/stats").await, StatusCode::OK).await;

    assert!(page.contains("Price report") && page.contains("<dd>200</dd>"));
    assert_eq!(
        page.matches("<meter").count(),
        db::products::HISTOGRAM_BUCKETS
    );
}
