//! Receiving an image upload: a multipart body streamed to disk chunk by chunk (never held in
//! memory), bounded in size (the file and the whole body), checked by its first bytes (PNG, JPEG
//! or WebP, whatever the client says it is) and by its declared dimensions (a small file can
//! claim a huge canvas), stored under a generated name.
//!
//! The file arrives in the uploads' partial folder (local, never served) and goes into the store
//! (`storage`: renamed into the local folder, or uploaded in parts to S3) once whole and
//! checked; anything that goes wrong on the way removes it, so a refused upload leaves nothing
//! behind.
//!
//! Only routes declared as uploads (`router::build` puts them in their own group) read a
//! multipart body this way; there the CSRF check reads the form's first field before the handler
//! runs and leaves the opened form in the request ([`StreamedForm`] picks it up).

use std::sync::{Arc, Mutex, PoisonError};

use axum::{
    body::Body,
    extract::{FromRequest, Request},
    http::{HeaderMap, header},
};
use multer::{Constraints, Field, Multipart, SizeLimit};
use offload::Offload;

use crate::{AppState, Error, Result, UploadConfig};

mod image;
mod partial;

pub use image::ImageKind;
use partial::Partial;

/// Whether a request's body is a multipart form.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"multipart/form-data"))
}

/// The multipart field that carries the file.
pub const FILE_FIELD: &str = "image";

/// Room for the multipart framing and a few small fields besides the file.
const FORM_OVERHEAD: u64 = 16 * 1024;
/// The longest small text field (a CSRF token) read from a streamed form.
const SMALL_FIELD: usize = 256;

/// A multipart form read as it streams in, with a cap on the whole body (what is sent besides
/// the file counts too).
pub struct StreamedForm {
    fields: Multipart<'static>,
    /// A field read and handed back (the CSRF check looks at the first field).
    first: Option<Field<'static>>,
}

impl std::fmt::Debug for StreamedForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedForm").finish_non_exhaustive()
    }
}

impl StreamedForm {
    /// Opens `body` as a multipart form of at most the file limit plus [`FORM_OVERHEAD`] bytes;
    /// a `Content-Length` over that is refused before any byte is read.
    pub fn open(headers: &HeaderMap, body: Body, config: &UploadConfig) -> Result<Self> {
        let limit = config.max_bytes.saturating_add(FORM_OVERHEAD);
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large(config.max_bytes));
        }
        let boundary = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok())
            .ok_or_else(|| {
                Error::UnsupportedMediaType(
                    "Send the image as `multipart/form-data` (with a boundary).".into(),
                )
            })?;
        let constraints = Constraints::new().size_limit(SizeLimit::new().whole_stream(limit));
        Ok(Self {
            fields: Multipart::with_constraints(body.into_data_stream(), boundary, constraints),
            first: None,
        })
    }

    pub async fn next_field(&mut self) -> Result<Option<Field<'static>>> {
        if let Some(field) = self.first.take() {
            return Ok(Some(field));
        }
        self.fields.next_field().await.map_err(broken)
    }

    /// Hands a field back: the next [`StreamedForm::next_field`] returns it again.
    pub fn put_back(&mut self, field: Field<'static>) {
        self.first = Some(field);
    }
}

/// A form the CSRF check has already opened, left in the request's extensions.
#[derive(Debug, Clone)]
pub struct Opened(Arc<Mutex<Option<StreamedForm>>>);

impl Opened {
    pub fn new(form: StreamedForm) -> Self {
        Self(Arc::new(Mutex::new(Some(form))))
    }

    fn take(&self) -> Option<StreamedForm> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// The upload routes' way to read their body: the form the CSRF check opened, or (for a request
/// that needs no CSRF token, e.g. one with a bearer token) the body, opened with the same caps.
impl FromRequest<AppState> for StreamedForm {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<Self> {
        if let Some(form) = request.extensions().get::<Opened>().and_then(Opened::take) {
            return Ok(form);
        }
        let (parts, body) = request.into_parts();
        Self::open(&parts.headers, body, &state.config.uploads)
    }
}

/// A short text field (a CSRF token), read with a bound.
pub async fn small_text(mut field: Field<'static>) -> Result<String> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(broken)? {
        if text.len() + chunk.len() > SMALL_FIELD {
            return Err(Error::BadRequest("A form field is too long.".into()));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| Error::BadRequest("A form field is not text.".into()))
}

/// An image kept in the store's uploads.
#[derive(Debug, Clone)]
pub struct StoredImage {
    /// The generated file name (no folder).
    pub file: String,
    pub kind: ImageKind,
    pub bytes: u64,
}

/// Reads the form's `image` file into the store's uploads; any other field is refused.
pub async fn receive(
    mut form: StreamedForm,
    config: &UploadConfig,
    offload: &Offload,
    storage: &storage::Storage,
) -> Result<StoredImage> {
    match form.next_field().await? {
        Some(field) if field.name() == Some(FILE_FIELD) => {
            store(field, config, offload, storage).await
        }
        Some(field) => Err(Error::BadRequest(format!(
            "Unexpected form field {}: send the image as `{FILE_FIELD}`.",
            field
                .name()
                .map_or("without a name".to_owned(), |n| format!("`{n}`"))
        ))),
        None => Err(Error::BadRequest(format!(
            "No file: choose an image (PNG, JPEG or WebP) and send it as the `{FILE_FIELD}` field."
        ))),
    }
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

async fn store(
    mut field: Field<'static>,
    config: &UploadConfig,
    offload: &Offload,
    storage: &storage::Storage,
) -> Result<StoredImage> {
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
    partial.flush().await?;
    let path = partial.path().to_owned();
    let max_pixels = config.max_pixels;
    offload
        .run("image_dimensions", move || {
            image::check_dimensions(&path, kind, max_pixels)
        })
        .await??;
    let file = format!("{id}.{}", kind.extension());
    partial.store(storage, &storage::upload_key(&file)).await?;
    Ok(StoredImage { file, kind, bytes })
}

fn too_large(max: u64) -> Error {
    Error::PayloadTooLarge(format!(
        "The image is larger than {} ({max} bytes), the most this server accepts.",
        human_bytes(max)
    ))
}

fn not_an_image() -> Error {
    Error::UnsupportedMediaType(
        "The file is not a PNG, JPEG or WebP image (checked by its content, not its name).".into(),
    )
}

#[allow(clippy::needless_pass_by_value, reason = "used as `map_err(broken)`")]
fn broken(err: multer::Error) -> Error {
    match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            Error::PayloadTooLarge(
                "The form is larger than the server accepts for an upload.".into(),
            )
        }
        other => Error::BadRequest(format!("The upload could not be read: {other}.")),
    }
}

pub fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        check_file_name(None).unwrap();
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human_bytes(2048), "2 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }
}
