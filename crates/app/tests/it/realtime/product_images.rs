//! Product images (the products demo): attached to a product, shown on its page, thumbnailed by
//! a job, replaced and removed with it. The upload itself is the engine's (`uploads.rs`).

use reqwest::{StatusCode, multipart::Part};

use super::uploads::{declared_png, file, post_api_file, post_form_file, stored_files};
use crate::{
    background_jobs::app_jobs::{app_without_worker, services},
    helpers::{TestApp, html, png, png_with_garbage_pixels, problem, spawn_app_with},
};

/// The product page's form.
async fn upload_form(app: &TestApp, id: i64, part: Part) -> reqwest::Response {
    post_form_file(app, &format!("/products/{id}/image"), part).await
}

async fn upload_api(app: &TestApp, id: i64, part: Part) -> reqwest::Response {
    post_api_file(app, &format!("/api/products/{id}/image"), part).await
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
async fn an_image_is_stored_served_and_thumbnailed_by_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = app.create_product("Teapot", 2500).await["id"]
        .as_i64()
        .unwrap();

    let uploaded = upload_form(
        &app,
        id,
        file(png(800, 400), "../../teapot.png.exe", "image/png"),
    )
    .await;
    // A traversal-looking name is refused (see below); a plain one is only ever ignored.
    assert_eq!(uploaded.status(), StatusCode::BAD_REQUEST);
    let uploaded = upload_form(&app, id, file(png(800, 400), "my teapot.png", "image/png")).await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        uploaded.headers()["location"],
        format!("/products/{id}").as_str()
    );

    let files = stored_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].trim_start_matches("uploads/").to_owned();
    assert!(
        name.ends_with(".png") && !name.contains("teapot"),
        "a generated name: {name}"
    );
    let served = app.get(&format!("/uploads/{name}")).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(
        served.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = served.headers()["etag"].clone();
    assert_eq!(
        served.bytes().await.unwrap().as_ref(),
        png(800, 400).as_slice()
    );
    // A browser that has it asks with its tag and gets a 304 with no body.
    let again = app
        .client
        .get(app.url(&format!("/uploads/{name}")))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());
    // A name that is not one the app makes is not looked up.
    assert_eq!(
        app.get("/uploads/..%2Fdata.db").await.status(),
        StatusCode::NOT_FOUND
    );

    let waiting = html(app.get(&format!("/products/{id}")).await, StatusCode::OK).await;
    assert!(waiting.contains("Image uploaded.") && waiting.contains("preview is being made"));

    let runner = jobs::kinds::runner(
        jobs::Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16)),
        services(&app, dir.path()),
        jobs::WorkerConfig::default(),
    );
    runner.unwrap().run_until_empty().await.unwrap();
    let thumb_name = name.replace(".png", "-thumb.jpg");
    let page = html(app.get(&format!("/products/{id}")).await, StatusCode::OK).await;
    // Tera escapes `/` in attributes as `&#x2F;`, which browsers read back as `/`.
    let img = format!("<img src=\"&#x2F;uploads&#x2F;{thumb_name}\"");
    assert!(page.contains(&img), "{page}");
    let thumb = app.get(&format!("/uploads/{thumb_name}")).await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 160));

    // The API replaces it; the old image and its thumbnail are removed.
    let replaced = upload_api(&app, id, file(png(10, 10), "x.png", "image/png")).await;
    assert_eq!(replaced.status(), StatusCode::CREATED);
    let body: serde_json::Value = replaced.json().await.unwrap();
    assert_eq!(body["content_type"], "image/png");
    assert_eq!(body["thumbnail_url"], serde_json::Value::Null);
    let files = stored_files(dir.path());
    assert_eq!(files.len(), 1, "only the new image is left: {files:?}");
    assert_eq!(format!("/{}", files[0]), body["url"].as_str().unwrap());

    // Deleting the product removes its image too.
    assert_eq!(
        app.delete(&format!("/api/products/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_refused_image_re_renders_the_product_page_with_the_reason_and_makes_no_thumbnail_job() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let app = spawn_app_with(&[("APP_DATA_DIR", data)]).await;
    let id = app.create_product("Kettle", 1500).await["id"]
        .as_i64()
        .unwrap();

    let page = upload_form(
        &app,
        id,
        file(b"not an image at all".to_vec(), "a.png", "image/png"),
    )
    .await;
    let page = html(page, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(page.contains("aria-invalid=\"true\"") && page.contains("not a PNG, JPEG or WebP"));
    let bomb = upload_api(
        &app,
        id,
        file(declared_png(20_000, 20_000), "bomb.png", "image/png"),
    )
    .await;
    problem(bomb, StatusCode::UNPROCESSABLE_ENTITY).await;

    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
    assert!(
        db::product_images::get(&app.db, id)
            .await
            .unwrap()
            .is_none()
    );
    let thumbnails = thumbnail_jobs(&app).await;
    assert!(thumbnails.is_empty(), "no thumbnail job: {thumbnails:?}");
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

/// A file whose header reads but whose pixels do not decode: the thumbnail job fails for good on
/// its first attempt (no retries spent on it), and the page stops promising a preview.
#[tokio::test]
async fn an_image_that_does_not_decode_fails_its_thumbnail_once_and_the_page_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = app.create_product("Vase", 900).await["id"]
        .as_i64()
        .unwrap();
    let broken = png_with_garbage_pixels();
    let uploaded = upload_form(&app, id, file(broken, "vase.png", "image/png")).await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER, "the header reads");
    let runner = jobs::kinds::runner(
        jobs::Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16)),
        services(&app, dir.path()),
        jobs::WorkerConfig::default(),
    );
    runner.unwrap().run_until_empty().await.unwrap();

    let jobs = thumbnail_jobs(&app).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, jobs::State::Dead);
    assert_eq!(jobs[0].attempts, 1, "a permanent failure spends no retries");
    assert!(
        jobs[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("the image does not decode"),
        "{:?}",
        jobs[0].last_error
    );
    let page = html(app.get(&format!("/products/{id}")).await, StatusCode::OK).await;
    assert!(page.contains("This image could not be read"), "{page}");
    assert!(!page.contains("preview is being made"), "{page}");
}

#[tokio::test]
async fn an_admin_bulk_delete_removes_the_products_image_files_once_committed() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = app.create_product("Teapot", 2500).await["id"]
        .as_i64()
        .unwrap();
    let uploaded = upload_form(&app, id, file(png(40, 20), "teapot.png", "image/png")).await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_files(dir.path()).len(), 1);

    let id = id.to_string();
    let deleted = app
        .post_form(
            "/admin/products/bulk-delete",
            &[("ids", id.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.product_count().await, 0);
    assert!(
        stored_files(dir.path()).is_empty(),
        "{:?}",
        stored_files(dir.path())
    );
}
