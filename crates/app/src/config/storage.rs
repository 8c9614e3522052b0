//! The storage variables: where uploads and exports are kept.

use std::{path::Path, time::Duration};

use ::storage::{S3Config, StorageConfig};

use super::{
    Source,
    parse::{Reader, parse_http_url, parse_secs, secs},
};

pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
    data_dir: &Path,
) -> StorageConfig {
    let local = StorageConfig::Local {
        root: data_dir.to_owned(),
    };
    match r.get("APP_STORAGE").as_deref().map(str::trim) {
        None | Some("" | "local") => local,
        Some("s3") => {
            let Some(bucket) = r.get("APP_S3_BUCKET").filter(|b| !b.trim().is_empty()) else {
                r.errors
                    .push("APP_S3_BUCKET: required with APP_STORAGE=s3 (the bucket's name)".into());
                return local;
            };
            let endpoint = r.parse("APP_S3_ENDPOINT", None, |s| {
                parse_http_url(s).map(|url| Some(url.trim_end_matches('/').to_owned()))
            });
            StorageConfig::S3(S3Config {
                bucket: bucket.trim().to_owned(),
                region: r
                    .get("APP_S3_REGION")
                    .unwrap_or_else(|| "us-east-1".to_owned()),
                endpoint,
                access_key_id: r.get("APP_S3_ACCESS_KEY_ID"),
                secret_access_key: r.get("APP_S3_SECRET_ACCESS_KEY"),
                signed_urls: r.parse("APP_S3_SIGNED_URL_SECS", None, |s| match s {
                    "0" => Ok(None),
                    other => parse_secs(other).and_then(|ttl| {
                        if ttl > Duration::from_secs(7 * 24 * 60 * 60) {
                            Err(format!("`{s}` is over a week, the most S3 allows"))
                        } else {
                            Ok(Some(ttl))
                        }
                    }),
                }),
            })
        }
        Some(other) => {
            r.errors
                .push(format!("APP_STORAGE: `{other}` is not `local` or `s3`"));
            local
        }
    }
}

pub(super) fn describe(storage: &StorageConfig) -> Vec<(&'static str, String)> {
    match storage {
        StorageConfig::Local { root } => {
            vec![("APP_STORAGE", format!("local ({})", root.display()))]
        }
        StorageConfig::S3(s3) => vec![
            ("APP_STORAGE", "s3".to_owned()),
            ("APP_S3_BUCKET", s3.bucket.clone()),
            ("APP_S3_REGION", s3.region.clone()),
            (
                "APP_S3_ENDPOINT",
                s3.endpoint.clone().unwrap_or_else(|| "(AWS)".to_owned()),
            ),
            (
                "APP_S3_ACCESS_KEY_ID",
                s3.access_key_id
                    .clone()
                    .unwrap_or_else(|| "(from AWS_* or the instance role)".to_owned()),
            ),
            (
                "APP_S3_SECRET_ACCESS_KEY",
                if s3.secret_access_key.is_some() {
                    "(set)"
                } else {
                    "(unset)"
                }
                .to_owned(),
            ),
            (
                "APP_S3_SIGNED_URL_SECS",
                s3.signed_urls
                    .map_or_else(|| "0 (downloads stream through the app)".to_owned(), secs),
            ),
        ],
    }
}
