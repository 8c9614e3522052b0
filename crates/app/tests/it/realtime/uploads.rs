//! Streamed multipart uploads (`web::upload`), aimed at the test fixture's upload route: a size
//! limit on the file and on the whole form, type sniffing, a pixel budget, generated names,
//! traversal names refused, the CSRF token checked before the file, and refusals that keep
//! nothing.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};

use crate::{
    background_jobs::app_jobs::app_without_worker,
    helpers::{TestApp, html, png, problem, spawn_app_with},
};

pub(super) fn file(bytes: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

/// A browser's multipart form to `path`: the CSRF token first, then the file.
pub(super) async fn post_form_file(app: &TestApp, path: &str, part: Part) -> reqwest::Response {
    let form = Form::new()
        .text("csrf_token", app.csrf.clone())
        .part("image", part);
    app.client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// An API client's multipart upload to `path`, with the administrator's token.
pub(super) async fn post_api_file(app: &TestApp, path: &str, part: Part) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.token)
        .multipart(Form::new().part("image", part))
        .send()
        .await
        .unwrap()
}

/// The fixture's form.
async fn upload_form(app: &TestApp, id: i64, part: Part) -> reqwest::Response {
    post_form_file(app, &format!("/test/notes/{id}/file"), part).await
}

async fn upload_api(app: &TestApp, id: i64, part: Part) -> reqwest::Response {
    post_api_file(app, &format!("/api/test/notes/{id}/file"), part).await
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

/// A PNG of a few dozen bytes whose header declares a `width`×`height` canvas: what a
/// decompression bomb looks like to anything that reads only its header.
pub(super) fn declared_png(width: u32, height: u32) -> Vec<u8> {
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

#[tokio::test]
async fn an_image_is_stored_under_a_generated_name_and_served_with_cache_headers() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = app.create_note("Teapot").await["id"].as_i64().unwrap();

    let uploaded = upload_form(&app, id, file(png(80, 40), "my teapot.png", "image/png")).await;

    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let files = stored_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].trim_start_matches("uploads/").to_owned();
    assert!(
        name.ends_with(".png") && !name.contains("teapot"),
        "a generated name: {name}"
    );
    assert_eq!(
        uploaded.headers()["location"],
        format!("/uploads/{name}").as_str()
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
        png(80, 40).as_slice()
    );

    let by_api = upload_api(&app, id, file(png(10, 10), "x.png", "image/png")).await;
    assert_eq!(by_api.status(), StatusCode::CREATED);
    let body: serde_json::Value = by_api.json().await.unwrap();
    assert_eq!(body["content_type"], "image/png");
    assert_eq!(stored_files(dir.path()).len(), 2);
}

#[tokio::test]
async fn too_large_wrong_type_and_traversal_names_are_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let app =
        crate::helpers::spawn_app_with(&[("APP_DATA_DIR", data), ("APP_UPLOAD_MAX_BYTES", "4096")])
            .await;
    let id = app.create_note("Kettle").await["id"].as_i64().unwrap();
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

    // No file, a foreign field, an unknown note.
    let empty = app
        .client
        .post(app.url(&format!("/api/test/notes/{id}/file")))
        .bearer_auth(&app.token)
        .multipart(Form::new())
        .send()
        .await
        .unwrap();
    problem(empty, StatusCode::BAD_REQUEST).await;
    let foreign = app
        .client
        .post(app.url(&format!("/api/test/notes/{id}/file")))
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
}

#[tokio::test]
async fn a_browser_form_needs_its_csrf_token_before_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let id = app.create_note("Cup").await["id"].as_i64().unwrap();
    let url = app.url(&format!("/test/notes/{id}/file"));
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

#[tokio::test]
async fn an_image_declaring_more_pixels_than_the_budget_is_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let app = spawn_app_with(&[("APP_DATA_DIR", data)]).await;
    let id = app.create_note("Poster").await["id"].as_i64().unwrap();

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
}

/// The whole form is capped, not only its file: a client sending megabytes of other parts (here
/// a preamble before the first boundary) is cut off once the form passes the file limit plus a
/// little, and most of what it wanted to send is never read.
#[tokio::test]
async fn a_form_larger_than_the_upload_limit_is_cut_off_whatever_its_parts_are() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let app = spawn_app_with(&[("APP_DATA_DIR", data), ("APP_UPLOAD_MAX_BYTES", "65536")]).await;
    let id = app.create_note("Mug").await["id"].as_i64().unwrap();
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
        .post(app.url(&format!("/api/test/notes/{id}/file")))
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
    let id = app.create_note("Jug").await["id"].as_i64().unwrap();
    let form = Form::new()
        .text("note", "x".repeat(64 * 1024))
        .part("image", Part::bytes(vec![1, 2, 3]).file_name("a.png"));

    let refused = app
        .client
        .post(app.url(&format!("/api/test/notes/{id}/file")))
        .bearer_auth(&app.token)
        .multipart(form)
        .send()
        .await
        .unwrap();

    problem(refused, StatusCode::PAYLOAD_TOO_LARGE).await;
}
