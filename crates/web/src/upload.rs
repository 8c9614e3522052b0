//! Receiving an image upload: a multipart body streamed to disk chunk by chunk (never held in
//! memory), bounded in size, checked by its first bytes (PNG, JPEG or WebP, whatever the client
//! says it is), stored under a generated name.
//!
//! The file arrives in the uploads' partial folder (never served) and is renamed into the
//! uploads folder once whole and checked; anything that goes wrong on the way removes it, so a
//! refused upload leaves nothing behind.

use std::path::{Path, PathBuf};

use axum::extract::multipart::{Field, Multipart};
use tokio::io::AsyncWriteExt;

use crate::{Error, Result, UploadConfig, auth::csrf};

/// Whether a request's body is a multipart form: an upload, streamed by its handler (the CSRF
/// check and the request deadline both treat it apart).
pub(crate) fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"multipart/form-data"))
}

/// The multipart field that carries the file.
pub(crate) const FILE_FIELD: &str = "image";

/// An accepted image type, recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    /// Bytes needed to tell the types apart.
    const HEAD: usize = 12;

    fn sniff(head: &[u8]) -> Option<Self> {
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

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }
}

/// An image stored under the uploads folder.
#[derive(Debug, Clone)]
pub(crate) struct StoredImage {
    /// The generated file name (no folder).
    pub(crate) file: String,
    pub(crate) kind: ImageKind,
    pub(crate) bytes: u64,
}

/// Reads the form: the CSRF token first when the check was left to us (a browser form; scripts
/// send the header), then the `image` file. Other fields are refused.
pub(crate) async fn receive(
    mut multipart: Multipart,
    config: &UploadConfig,
    csrf: Option<&csrf::Pending>,
) -> Result<StoredImage> {
    let mut csrf_checked = csrf.is_none();
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        match field.name() {
            Some(csrf::FORM_FIELD) => {
                let sent = small_text(field).await?;
                if let Some(pending) = csrf {
                    pending.verify(&sent)?;
                    csrf_checked = true;
                }
            }
            Some(FILE_FIELD) if !csrf_checked => {
                return Err(Error::Forbidden(format!(
                    "This form has no CSRF token before its file: send the `{}` field first, or the `{}` header.",
                    csrf::FORM_FIELD,
                    csrf::HEADER
                )));
            }
            Some(FILE_FIELD) => return store(field, config).await,
            other => {
                return Err(Error::BadRequest(format!(
                    "Unexpected form field {}: send the image as `{FILE_FIELD}`.",
                    other.map_or("without a name".to_owned(), |n| format!("`{n}`"))
                )));
            }
        }
    }
    Err(Error::BadRequest(format!(
        "No file: choose an image (PNG, JPEG or WebP) and send it as the `{FILE_FIELD}` field."
    )))
}

/// A short text field (the CSRF token), read with a bound.
async fn small_text(mut field: Field<'_>) -> Result<String> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(broken)? {
        if text.len() + chunk.len() > 256 {
            return Err(Error::BadRequest("A form field is too long.".into()));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| Error::BadRequest("A form field is not text.".into()))
}

/// A client's file name is never used for storage, but one that tries to climb out of a folder
/// is refused outright: it is either an attack or a broken client.
fn check_file_name(name: Option<&str>) -> Result<()> {
    let Some(name) = name else { return Ok(()) };
    let bad = name.contains(['/', '\\', '\0'])
        || name.split(['/', '\\']).any(|part| part == "..")
        || name.starts_with("..")
        || name.chars().any(char::is_control)
        || name.len() > 255;
    if bad {
        return Err(Error::BadRequest(
            "The file name must be a plain name: no folders, `..`, or control characters.".into(),
        ));
    }
    Ok(())
}

async fn store(mut field: Field<'_>, config: &UploadConfig) -> Result<StoredImage> {
    check_file_name(field.file_name())?;
    tokio::fs::create_dir_all(&config.partial_dir)
        .await
        .map_err(Error::internal)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut partial = Partial::create(config.partial_dir.join(format!("{id}.part"))).await?;
    let mut head = Vec::with_capacity(ImageKind::HEAD);
    let mut kind = None;
    let mut bytes: u64 = 0;
    while let Some(chunk) = field.chunk().await.map_err(broken)? {
        bytes += chunk.len() as u64;
        if bytes > config.max_bytes {
            return Err(too_large(config.max_bytes));
        }
        if kind.is_none() {
            let wanted = ImageKind::HEAD - head.len();
            head.extend_from_slice(&chunk[..wanted.min(chunk.len())]);
            if head.len() == ImageKind::HEAD {
                kind = Some(ImageKind::sniff(&head).ok_or_else(not_an_image)?);
            }
        }
        partial.write(&chunk).await?;
    }
    if bytes == 0 {
        return Err(Error::BadRequest("The file is empty.".into()));
    }
    let kind = kind.ok_or_else(not_an_image)?;
    let file = format!("{id}.{}", kind.extension());
    partial.keep_as(&config.dir.join(&file)).await?;
    Ok(StoredImage { file, kind, bytes })
}

fn too_large(max: u64) -> Error {
    Error::PayloadTooLarge(format!(
        "The image is larger than {} ({max} bytes), the most this server accepts.",
        human_bytes(max)
    ))
}

/// The size an upload may not exceed, checked from `Content-Length` before any byte is read:
/// the file plus room for the multipart framing and the CSRF field.
pub(crate) fn check_declared_length(length: Option<u64>, config: &UploadConfig) -> Result<()> {
    match length {
        Some(length) if length > config.max_bytes.saturating_add(16 * 1024) => {
            Err(too_large(config.max_bytes))
        }
        _ => Ok(()),
    }
}

fn not_an_image() -> Error {
    Error::UnsupportedMediaType(
        "The file is not a PNG, JPEG or WebP image (checked by its content, not its name).".into(),
    )
}

#[allow(clippy::needless_pass_by_value, reason = "used as `map_err(broken)`")]
fn broken(err: axum::extract::multipart::MultipartError) -> Error {
    if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return Error::PayloadTooLarge(
            "The request body is larger than the server accepts.".into(),
        );
    }
    Error::BadRequest(format!("The upload could not be read: {}", err.body_text()))
}

pub(crate) fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// A file being written; removed unless [`Partial::keep_as`] moves it into place.
struct Partial {
    path: PathBuf,
    /// Buffered: each write to a `tokio::fs::File` is a trip to the blocking pool, so chunks are
    /// gathered into writes of [`WRITE_BUFFER`] bytes.
    file: tokio::io::BufWriter<tokio::fs::File>,
    /// Moved into place: the drop leaves it alone.
    kept: bool,
}

const WRITE_BUFFER: usize = 256 * 1024;

impl Partial {
    async fn create(path: PathBuf) -> Result<Self> {
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(Error::internal)?;
        Ok(Self {
            path,
            file: tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file),
            kept: false,
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).await.map_err(Error::internal)
    }

    async fn keep_as(mut self, target: &Path) -> Result<()> {
        self.file.flush().await.map_err(Error::internal)?;
        self.file
            .get_ref()
            .sync_all()
            .await
            .map_err(Error::internal)?;
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(Error::internal)?;
        }
        tokio::fs::rename(&self.path, target)
            .await
            .map_err(Error::internal)?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            // One unlink; runs on whatever thread drops the upload.
            let _ = std::fs::remove_file(&self.path);
        }
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
    fn file_names_that_climb_out_of_a_folder_are_refused() {
        for bad in [
            "../x.png",
            "..\\x.png",
            "a/b.png",
            "/etc/passwd",
            "x\0.png",
            "a\nb.png",
            "..",
        ] {
            assert!(check_file_name(Some(bad)).is_err(), "{bad:?}");
        }
        for ok in ["photo.png", "my photo (1).JPG", "a..b.png", "résumé.webp"] {
            assert!(check_file_name(Some(ok)).is_ok(), "{ok:?}");
        }
        assert!(check_file_name(None).is_ok());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human_bytes(2048), "2 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }
}
