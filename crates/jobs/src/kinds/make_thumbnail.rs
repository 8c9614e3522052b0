//! A product image's thumbnail: read from the store, decoded and scaled with the `image` crate
//! on the blocking pool (through the offload bridge), stored next to the image, recorded on the
//! product's image row.
//!
//! The decode is bounded by the pixel budget uploads are held to (`Services::image_max_pixels`,
//! checked at upload from the image's header): the declared size is checked again here, and the
//! decoder may allocate at most 4 bytes per pixel of that budget, so a file that lies about its
//! size is refused rather than decoded. An image replaced or deleted before its thumbnail is made
//! needs none: the job finishes quietly.

use std::io::Cursor;

use bytes::Bytes;
use image::{DynamicImage, ImageError, ImageReader, Limits, codecs::jpeg::JpegEncoder};

use storage::upload_key;

use crate::{BoxError, Job, JobContext, Services};

/// The thumbnail's longest side, in pixels.
pub const THUMBNAIL_SIZE: u32 = 320;
/// Bytes one decoded pixel takes (RGBA, 8 bits a channel): what the memory limit allows.
const BYTES_PER_PIXEL: u64 = 4;
/// The largest stored image read back (uploads are capped lower, `APP_UPLOAD_MAX_BYTES`).
const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MakeThumbnail {
    pub product_id: i64,
    /// The image's stored file name (the job does nothing if the product's image changed since).
    pub file: String,
}

/// The thumbnail's file name for an image's file name: `abc.png` → `abc-thumb.jpg`.
pub fn thumbnail_name(file: &str) -> String {
    let stem = file.split_once('.').map_or(file, |(stem, _)| stem);
    format!("{stem}-thumb.jpg")
}

impl Job for MakeThumbnail {
    const NAME: &'static str = "make_thumbnail";
    // A file that does not decode fails for good on its first try (`undecodable`); this is for
    // the rest (a full disk, say).
    const MAX_ATTEMPTS: i32 = 3;
    type Context = Services;

    fn unique_key(&self) -> Option<String> {
        Some(format!("{}:{}", Self::NAME, self.file))
    }

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let app = &ctx.app;
        if !self.is_current(app).await? {
            tracing::info!(
                product = self.product_id,
                "image changed before its thumbnail was made; nothing to do"
            );
            return Ok(());
        }
        let source = upload_key(plain_name(&self.file)?);
        let name = thumbnail_name(&self.file);
        let target = upload_key(&name);
        let made = match app.storage.get_bytes(&source, MAX_SOURCE_BYTES).await {
            Ok(bytes) => {
                let max_pixels = app.image_max_pixels;
                app.offload
                    .run("make_thumbnail", move || thumbnail(&bytes, max_pixels))
                    .await?
            }
            Err(err) => Err(err.into()),
        };
        let written = match made {
            Ok(jpeg) => app.storage.put(&target, jpeg).await.map_err(BoxError::from),
            Err(err) => Err(err),
        };
        if let Err(err) = written {
            // Replaced while it was being decoded: the file went with the old image.
            if !app.storage.exists(&source).await.unwrap_or(true) && !self.is_current(app).await? {
                tracing::info!(
                    product = self.product_id,
                    "image changed while its thumbnail was made; nothing to do"
                );
                return Ok(());
            }
            return Err(err);
        }
        if !db::product_images::set_thumbnail(&app.db, self.product_id, &self.file, &name).await? {
            // The image was replaced or the product deleted while this ran.
            app.storage.delete(&target).await.ok();
            tracing::info!(
                product = self.product_id,
                "image changed; thumbnail dropped"
            );
        }
        Ok(())
    }
}

impl MakeThumbnail {
    /// Whether the product's image is still the one this job was enqueued for.
    async fn is_current(&self, app: &Services) -> Result<bool, BoxError> {
        let image = db::product_images::get(&app.db, self.product_id).await?;
        Ok(image.is_some_and(|image| image.file == self.file))
    }
}

/// A stored name is a plain file name; anything else in a payload is refused, not followed.
fn plain_name(file: &str) -> Result<&str, BoxError> {
    let plain = !file.is_empty()
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !file.starts_with('.');
    if plain {
        Ok(file)
    } else {
        Err(format!("not a stored file name: {file:?}").into())
    }
}

/// A file that does not decode will not decode on a second try: that failure is permanent (the
/// job goes dead at once and the product page says so); a failed read or write may be retried.
/// The decoder's own words (which can hold its debug output) go to the log; the job's
/// `last_error`, shown on the dashboard, says what happened.
fn undecodable(err: ImageError) -> BoxError {
    match err {
        ImageError::IoError(io) => io.into(),
        other => {
            tracing::warn!(error = %other, "an uploaded image does not decode");
            crate::permanent(
                "the image does not decode: the file is damaged, or not the PNG, JPEG or WebP \
                 image its header says",
            )
        }
    }
}

/// The JPEG thumbnail of the image in `source`.
fn thumbnail(source: &[u8], max_pixels: u64) -> Result<Bytes, BoxError> {
    let (width, height) = ImageReader::new(Cursor::new(source))
        .with_guessed_format()?
        .into_dimensions()
        .map_err(undecodable)?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(crate::permanent(format!(
            "{width}×{height} pixels is over the budget of {max_pixels}"
        )));
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(BYTES_PER_PIXEL));
    let mut reader = ImageReader::new(Cursor::new(source)).with_guessed_format()?;
    reader.limits(limits);
    let image = reader.decode().map_err(undecodable)?;
    let thumbnail =
        DynamicImage::ImageRgb8(image.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE).to_rgb8());
    let mut jpeg = Vec::new();
    thumbnail.write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, 80))?;
    Ok(Bytes::from(jpeg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_named_after_their_image_and_payload_names_stay_plain() {
        assert_eq!(thumbnail_name("ab12.png"), "ab12-thumb.jpg");
        plain_name("ab12.webp").unwrap();
        for bad in ["../x.png", "a/b.png", ".hidden", "", "a\\b.png"] {
            assert!(plain_name(bad).is_err(), "{bad}");
        }
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]))
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        png
    }

    #[test]
    fn a_large_image_becomes_a_bounded_jpeg_and_junk_is_an_error() {
        let jpeg = thumbnail(&png(1200, 600), 1_000_000).unwrap();
        let thumb = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));

        assert!(thumbnail(b"\x89PNG\r\n\x1a\nnot really", 1_000_000).is_err());
    }

    #[test]
    fn an_image_over_the_pixel_budget_is_not_decoded() {
        let wide = png(400, 300);

        let refused = thumbnail(&wide, 100_000).unwrap_err();

        assert!(refused.to_string().contains("400×300"), "{refused}");
        thumbnail(&wide, 120_000).unwrap();
    }
}
