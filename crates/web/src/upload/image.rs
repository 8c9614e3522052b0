//! What an accepted image is: its type, told by its first bytes, and its size in pixels, read
//! from its header before anything decodes it.

use std::{io::BufReader, path::Path};

use image::{ImageFormat, ImageReader};

use crate::{Error, Result};

/// An accepted image type, recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    /// Bytes needed to tell the types apart.
    pub(super) const HEAD: usize = 12;

    pub(super) fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    pub(super) fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Self::Png => ImageFormat::Png,
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Webp => ImageFormat::WebP,
        }
    }
}

/// Reads the width and height the file's header declares (no pixel is decoded) and refuses an
/// image over `max_pixels`: a few hundred kilobytes can declare a canvas that takes gigabytes to
/// decode. Blocking file I/O: run it on the offload bridge.
pub(super) fn check_dimensions(path: &Path, kind: ImageKind, max_pixels: u64) -> Result<()> {
    let file = std::fs::File::open(path).map_err(Error::internal)?;
    let (width, height) = ImageReader::with_format(BufReader::new(file), kind.format())
        .into_dimensions()
        .map_err(|err| Error::Rejected {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            detail: format!(
                "The image could not be read ({err}); upload a PNG, JPEG or WebP file that opens."
            ),
            page: "The image could not be read: upload a PNG, JPEG or WebP file that opens.",
        })?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(Error::Unprocessable(format!(
            "The image is {width}×{height} pixels ({}); the most this server accepts is {}.",
            megapixels(pixels),
            megapixels(max_pixels)
        )));
    }
    Ok(())
}

fn megapixels(pixels: u64) -> String {
    let mp = pixels as f64 / 1_000_000.0;
    if mp >= 10.0 {
        format!("{mp:.0} megapixels")
    } else {
        format!("{mp:.1} megapixels")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_told_by_their_first_bytes() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(&[
                0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1
            ]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(ImageKind::sniff(b"GIF89a......"), None);
        assert_eq!(ImageKind::sniff(b"<svg xmlns=\""), None);
    }

    #[test]
    fn an_image_over_the_pixel_budget_is_refused_by_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.png");
        image::RgbImage::new(300, 200).save(&path).unwrap();

        let refused = check_dimensions(&path, ImageKind::Png, 50_000).unwrap_err();

        assert_eq!(refused.status().as_u16(), 422);
        let message = refused.to_string();
        assert!(message.contains("300×200"), "{message}");
        assert!(message.contains("0.1 megapixels"), "{message}");
        check_dimensions(&path, ImageKind::Png, 60_000).unwrap();
    }

    #[test]
    fn a_header_that_does_not_parse_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\nnot really a png").unwrap();

        let refused = check_dimensions(&path, ImageKind::Png, 40_000_000).unwrap_err();

        assert_eq!(refused.status().as_u16(), 422);
    }
}
