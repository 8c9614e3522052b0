//! Product images: streamed multipart uploads with a size limit, type sniffing and generated
//! names; served with cache headers; a thumbnail made by a job; and refusals that keep nothing.

use std::path::Path;

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};

use crate::{
    background_jobs::app_jobs::{app_without_worker, services},
    helpers::{TestApp, html, problem},
};

pub(super) fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([10, 120, 200]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

pub(super) fn file(bytes: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

/// The product page's form: the CSRF token first, then the file.
pub(super) async fn upload_form(app: &TestApp, id: i64, part: Part) -> reqwest::Response {
    let form = Form::new()
        .text("csrf_token", app.csrf.clone())
        .part("image", part);
    app.client
        .post(app.url(&format!("/products/{id}/image")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(super) async fn upload_api(app: &TestApp, id: i64, part: Part) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/products/{id}/image")))
        .bearer_auth(&app.token)
        .multipart(Form::new().part("image", part))
        .send()
        .await
        .unwrap()
}

/// Every file under the uploads folders (stored and partial).
pub(super) fn stored_files(data_dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["uploads", "uploads-partial"] {
        if let Ok(entries) = std::fs::read_dir(data_dir.join(dir)) {
            files.extend(
                entries.map(|e| format!("{dir}/{}", e.unwrap().file_name().to_string_lossy())),
            );
        }
    }
    files.sort();
    files
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
    assert_eq!(
        served.bytes().await.unwrap().as_ref(),
        png(800, 400).as_slice()
    );

    let waiting = html(app.get(&format!("/products/{id}")).await, StatusCode::OK).await;
    assert!(waiting.contains("Image uploaded.") && waiting.contains("thumbnail is being made"));

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
async fn too_large_wrong_type_and_traversal_names_are_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let app =
        crate::helpers::spawn_app_with(&[("APP_DATA_DIR", data), ("APP_UPLOAD_MAX_BYTES", "4096")])
            .await;
    let id = app.create_product("Kettle", 1500).await["id"]
        .as_i64()
        .unwrap();
    let mut big = png(1, 1);
    big.resize(6000, 0);

    // Too large, declared up front (Content-Length) …
    let refused = upload_api(&app, id, file(big.clone(), "big.png", "image/png")).await;
    let body = problem(refused, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("larger than 4 KiB"),
        "{body}"
    );
    // … and found while streaming (chunked, no length given).
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    let streamed = Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(
        chunks,
    )))
    .file_name("big.png")
    .mime_str("image/png")
    .unwrap();
    let refused = upload_api(&app, id, streamed).await;
    problem(refused, StatusCode::PAYLOAD_TOO_LARGE).await;

    // Not an image, whatever its name and declared type say.
    for (bytes, name) in [
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), "cat.png"),
        (
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            "x.png",
        ),
        (b"\x89PN".to_vec(), "short.png"),
    ] {
        let refused = upload_api(&app, id, file(bytes, name, "image/png")).await;
        let body = problem(refused, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("not a PNG, JPEG or WebP")
        );
    }

    // Names that try to leave the folder.
    for name in [
        "../../etc/passwd.png",
        "..\\..\\boot.png",
        "/etc/cron.d/x.png",
        "..",
    ] {
        let refused = upload_api(&app, id, file(png(2, 2), name, "image/png")).await;
        let body = problem(refused, StatusCode::BAD_REQUEST).await;
        assert!(
            body["detail"].as_str().unwrap().contains("plain name"),
            "{name}: {body}"
        );
    }

    // A NUL byte does not even make a valid part header.
    let refused = upload_api(&app, id, file(png(2, 2), "a\u{0}.png", "image/png")).await;
    problem(refused, StatusCode::BAD_REQUEST).await;

    // The form re-renders the page with the reason, and keeps the product as it was.
    let page = upload_form(
        &app,
        id,
        file(b"not an image at all".to_vec(), "a.png", "image/png"),
    )
    .await;
    let page = html(page, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(page.contains("aria-invalid=\"true\"") && page.contains("not a PNG, JPEG or WebP"));

    // No file, a foreign field, an unknown product.
    let empty = app
        .client
        .post(app.url(&format!("/api/products/{id}/image")))
        .bearer_auth(&app.token)
        .multipart(Form::new())
        .send()
        .await
        .unwrap();
    problem(empty, StatusCode::BAD_REQUEST).await;
    let foreign = app
        .client
        .post(app.url(&format!("/api/products/{id}/image")))
        .bearer_auth(&app.token)
        .multipart(Form::new().text("path", "/etc"))
        .send()
        .await
        .unwrap();
    problem(foreign, StatusCode::BAD_REQUEST).await;
    let missing = upload_api(&app, 999_999, file(png(2, 2), "a.png", "image/png")).await;
    problem(missing, StatusCode::NOT_FOUND).await;

    assert_eq!(
        stored_files(dir.path()),
        Vec::<String>::new(),
        "nothing was kept"
    );
    assert!(
        db::product_images::get(&app.db, id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_browser_form_needs_its_csrf_token_before_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = app.create_product("Cup", 500).await["id"].as_i64().unwrap();
    let url = app.url(&format!("/products/{id}/image"));
    let no_token = Form::new().part("image", file(png(2, 2), "a.png", "image/png"));
    let refused = app
        .client
        .post(&url)
        .multipart(no_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let after = Form::new()
        .part("image", file(png(2, 2), "a.png", "image/png"))
        .text("csrf_token", app.csrf.clone());
    assert_eq!(
        app.client
            .post(&url)
            .multipart(after)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let wrong = Form::new()
        .text("csrf_token", "not-the-token")
        .part("image", file(png(2, 2), "a.png", "image/png"));
    assert_eq!(
        app.client
            .post(&url)
            .multipart(wrong)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    // From another site, even with the right token.
    let evil = Form::new()
        .text("csrf_token", app.csrf.clone())
        .part("image", file(png(2, 2), "a.png", "image/png"));
    let cross = app
        .client
        .post(&url)
        .header("origin", "https://evil.example")
        .multipart(evil)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
    // Visitors are sent to sign in.
    let visitor = app.anonymous();
    let form = Form::new().part("image", file(png(2, 2), "a.png", "image/png"));
    let bounced = visitor.post(&url).multipart(form).send().await.unwrap();
    assert_eq!(
        bounced.status(),
        StatusCode::FORBIDDEN,
        "no session, no CSRF token"
    );
}
