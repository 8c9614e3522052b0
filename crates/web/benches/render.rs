//! Micro-benchmarks of what `GET /products?page=N` and `GET /api/products` spend CPU on once the
//! rows are fetched: rendering the 20-row page, and serialising 20 products to JSON.
//! Run with `cargo bench -p web` (or `just bench-micro`).

#![allow(clippy::expect_used, missing_docs, reason = "benchmark code")]

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use db::products::Product;
use divan::{Bencher, black_box};
use web::Templates;

fn main() {
    divan::main();
}

fn products() -> Vec<Product> {
    let at = Utc
        .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
        .single()
        .expect("a valid date");
    (1..=20)
        .map(|id| Product {
            id,
            name: format!("Demo product {id:05} <with markup to escape>"),
            price_cents: id * 1234,
            version: 1,
            created_at: at,
            updated_at: at,
            created_by: Some(1),
        })
        .collect()
}

#[divan::bench]
fn render_products_page_of_20(bencher: Bencher) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let templates = Templates::load(&dir, false).expect("templates load");
    let mut context = tera::Context::new();
    context.insert("products", &products());
    context.insert("total", &10_000u64);
    context.insert("page", &7u64);
    context.insert("pages", &500u64);

    bencher.bench(|| {
        templates
            .render(black_box("products/index.html"), black_box(&context))
            .expect("renders")
    });
}

#[divan::bench]
fn serialize_20_products_to_json(bencher: Bencher) {
    let products = products();
    bencher.bench(|| serde_json::to_vec(black_box(&products)).expect("serialises"));
}
