//! A product image from the page's file input: its thumbnail made by the worker, a file that
//! will never make one, and a file that is refused at once.

use anyhow::{Result, ensure};

use crate::{
    browser::{Browser, Screen},
    harness::{E2e, e2e},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, png, png_with_garbage_pixels},
};

/// Chooses `bytes`, saved as `name`, in the page's file input and sends the form.
async fn upload(b: &Browser, dir: &std::path::Path, name: &str, bytes: &[u8]) -> Result<()> {
    let file = dir.join(name);
    std::fs::write(&file, bytes)?;
    b.find("#image-file")
        .await?
        .send_keys(&file.display().to_string())
        .await?;
    b.click_text(".product-image", "Upload").await
}

/// Reloads until `css` is on the page (the page has no live updates: it says to reload).
async fn reload_until(b: &Browser, css: &str) -> Result<()> {
    b.wait_until(&format!("`{css}` after a reload"), || async {
        b.client.refresh().await?;
        Ok(!b.find_all(css).await?.is_empty())
    })
    .await
}

#[tokio::test]
async fn an_uploaded_image_gets_a_thumbnail_and_a_broken_one_says_so() {
    e2e("an_uploaded_image_gets_a_thumbnail_and_a_broken_one_says_so", async |t: &E2e| -> Result<()> {
        let files = tempfile::tempdir()?;
        let id = t.app.create_product("Lamp", 1200).await["id"].as_i64().unwrap_or_default();
        let b = t.browser(Screen::Phone).await?;
        t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        b.goto(&format!("/products/{id}")).await?;

        upload(&b, files.path(), "lamp.png", &png(640, 480)).await?;
        b.wait_for_text(".flash", "Image uploaded.").await?;
        reload_until(&b, ".product-image img").await?;
        let loaded = b
            .script("const i = document.querySelector('.product-image img'); return i.complete && i.naturalWidth;")
            .await?;
        ensure!(loaded.as_u64() == Some(320), "the thumbnail is 320 px wide: {loaded}");
        b.check_page().await?;
        t.keep_screenshot(&b, "product-image").await?;

        // A PNG whose pixel data is garbage passes the upload check (which reads the header
        // only); the worker cannot decode it, and the page says so instead of promising a
        // preview forever.
        let broken = png_with_garbage_pixels();
        upload(&b, files.path(), "broken.png", &broken).await?;
        b.wait_for_text(".flash", "Image uploaded.").await?;
        reload_until(&b, ".thumbnail-failed").await?;
        ensure!(b.text(".thumbnail-failed").await?.contains("could not be read"));
        b.check_page().await?;

        // Not an image at all: refused at once, next to the file input.
        upload(&b, files.path(), "notes.png", b"just some text, not a picture").await?;
        b.wait_for_text("#image-error", "").await?;
        let error = b.text("#image-error").await?;
        ensure!(!error.is_empty() && !error.contains('`'), "a plain reason: {error}");
        b.check_page_allowing(&["status of 4"]).await?;
        // Reloading the address the refusal left in the bar goes back to the product.
        b.goto(&b.path().await?).await?;
        b.wait_for_path(&format!("/products/{id}")).await?;
        Ok(())
    })
    .await;
}
