//! What an upload may cost the server: the pixels an image may declare (a decompression bomb is
//! refused before anything decodes it) and the bytes a whole form may send.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};

use super::uploads::{file, png, stored_files, upload_api, upload_form};
use crate::{
    background_jobs::app_jobs::{app_without_worker, services},
    helpers::{html, problem, spawn_app_with},
};

/// A PNG of a few dozen bytes whose header declares a `width`×`height` canvas: what a
/// decompression bomb looks like to anything that reads only its header.
fn declared_png(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    // A zlib stream holding one stored block of 16 zero bytes, standing in for the rows a real
    // bomb compresses into a few hundred kilobytes.
    let mut idat = vec![0x78, 0x01, 0x01, 16, 0, !16, 0xFF];
    idat.extend_from_slice(&[0; 16]);
    idat.extend_from_slice(&(16u32 << 16 | 1).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &idat), (b"IEND", &[])] {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32fast::hash(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

async fn thumbnail_jobs(app: &crate::helpers::TestApp) -> Vec<jobs::JobRecord> {
    let filter = jobs::ListFilter {
        states: Vec::new(),
        kind: Some("make_thumbnail".into()),
        limit: 10,
    };
    jobs::Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16))
        .list(&filter)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_image_declaring_more_pixels_than_the_budget_is_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let app = spawn_app_with(&[("APP_DATA_DIR", data)]).await;
    let id = app.create_product("Poster", 900).await["id"]
        .as_i64()
        .unwrap();

    for (width, height) in [(20_000, 20_000), (65_535, 65_535), (8_000, 6_000)] {
        let refused = upload_api(
            &app,
            id,
            file(declared_png(width, height), "bomb.png", "image/png"),
        )
        .await;
        let body = problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("{width}×{height}")) && detail.contains("40 megapixels"),
            "{detail}"
        );
    }
    let page = upload_form(
        &app,
        id,
        file(declared_png(20_000, 20_000), "bomb.png", "image/png"),
    )
    .await;
    let page = html(page, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("40 megapixels"), "the page says why");

    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
    let thumbnails = thumbnail_jobs(&app).await;
    assert!(thumbnails.is_empty(), "no thumbnail job: {thumbnails:?}");
}

/// The whole form is capped, not only its file: a client sending megabytes of other parts (here
/// a preamble before the first boundary) is cut off once the form passes the file limit plus a
/// little, and most of what it wanted to send is never read.
#[tokio::test]
async fn a_form_larger_than_the_upload_limit_is_cut_off_whatever_its_parts_are() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let app = spawn_app_with(&[("APP_DATA_DIR", data), ("APP_UPLOAD_MAX_BYTES", "65536")]).await;
    let id = app.create_product("Mug", 700).await["id"].as_i64().unwrap();
    let total = 30 * 1024 * 1024;
    let sent = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&sent);
    let chunks = futures_util::stream::iter((0..total / 65_536).map(move |_| {
        counted.fetch_add(65_536, Ordering::SeqCst);
        Ok::<_, std::io::Error>(vec![b'x'; 65_536])
    }));
    let body = reqwest::Body::wrap_stream(chunks);

    let answer = app
        .client
        .post(app.url(&format!("/api/products/{id}/image")))
        .bearer_auth(&app.token)
        .header("content-type", "multipart/form-data; boundary=BOUNDARY")
        .body(body)
        .send()
        .await;

    if let Ok(response) = answer {
        problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let read = sent.load(Ordering::SeqCst);
    assert!(
        read < 8 * 1024 * 1024,
        "{read} of {total} bytes were pulled from the client"
    );
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_form_whose_declared_length_is_over_the_cap_is_refused_before_it_is_read() {
    let app = spawn_app_with(&[("APP_UPLOAD_MAX_BYTES", "4096")]).await;
    let id = app.create_product("Jug", 700).await["id"].as_i64().unwrap();
    let form = Form::new()
        .text("note", "x".repeat(64 * 1024))
        .part("image", Part::bytes(vec![1, 2, 3]).file_name("a.png"));

    let refused = app
        .client
        .post(app.url(&format!("/api/products/{id}/image")))
        .bearer_auth(&app.token)
        .multipart(form)
        .send()
        .await
        .unwrap();

    problem(refused, StatusCode::PAYLOAD_TOO_LARGE).await;
}

/// An image replaced before its thumbnail job ran: that job finds its file gone with the old
/// image and finishes quietly (it used to fail, retry and die on "No such file or directory").
#[tokio::test]
async fn the_thumbnail_job_of_a_replaced_image_finishes_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = app.create_product("Vase", 1200).await["id"]
        .as_i64()
        .unwrap();
    for side in [40, 20] {
        let uploaded = upload_api(&app, id, file(png(side, side), "v.png", "image/png")).await;
        assert_eq!(uploaded.status(), StatusCode::CREATED);
    }

    let runner = jobs::kinds::runner(
        jobs::Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16)),
        services(&app, dir.path()),
        jobs::WorkerConfig::default(),
    );
    runner.unwrap().run_until_empty().await.unwrap();

    let thumbnails = thumbnail_jobs(&app).await;
    assert_eq!(thumbnails.len(), 2);
    for job in &thumbnails {
        assert_eq!(
            (job.state, job.attempts, job.last_error.as_deref()),
            (jobs::State::Succeeded, 1, None),
            "{job:?}"
        );
    }
    let image = db::product_images::get(&app.db, id).await.unwrap().unwrap();
    assert!(
        image.thumbnail.is_some(),
        "the current image got its thumbnail"
    );
}
