//! The upload variables.

use std::path::Path;

use web::UploadConfig;

use super::{
    Source,
    parse::{Reader, parse_positive, parse_secs, secs},
};

pub(super) fn read_uploads<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
    data_dir: &Path,
) -> UploadConfig {
    let d = UploadConfig::under(data_dir);
    UploadConfig {
        max_bytes: r.parse("APP_UPLOAD_MAX_BYTES", d.max_bytes, parse_positive),
        max_pixels: r.parse("APP_UPLOAD_MAX_PIXELS", d.max_pixels, parse_positive),
        timeout: r.parse("APP_UPLOAD_TIMEOUT_SECS", d.timeout, parse_secs),
        ..d
    }
}

pub(super) fn describe(uploads: &UploadConfig) -> Vec<(&'static str, String)> {
    vec![
        ("APP_UPLOAD_MAX_BYTES", uploads.max_bytes.to_string()),
        ("APP_UPLOAD_MAX_PIXELS", uploads.max_pixels.to_string()),
        ("APP_UPLOAD_TIMEOUT_SECS", secs(uploads.timeout)),
    ]
}
