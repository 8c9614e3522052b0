//! Files the app keeps (uploaded images and their thumbnails, exports), behind one interface
//! with two backends:
//!
//! - **local** (the default): a folder (`APP_DATA_DIR`); keys are paths under it, so
//!   `uploads/ab12.png` is `data/uploads/ab12.png`. Replicas on one host can share it.
//! - **s3**: an S3-compatible bucket (AWS, MinIO, R2, …), so replicas and workers on different
//!   hosts need no shared volume. Downloads stream through the app, or, with signed URLs on,
//!   the app redirects to a short-lived presigned URL and the bucket serves the bytes.
//!
//! Both are `object_store` stores; the app only sees [`Storage`]. Keys are made by the app
//! (generated names), never by clients, and are checked to be plain relative paths anyway.

use std::{path::Path, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
    aws::{AmazonS3, AmazonS3Builder},
    local::LocalFileSystem,
    path::Path as Key,
    signer::Signer,
};
use tokio::io::AsyncReadExt;

/// What went wrong, as the web layer answers it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such file (404).
    #[error("{0} is not stored")]
    NotFound(String),
    /// The store cannot be reached or refused us for now (503).
    #[error("file storage is unavailable: {0}")]
    Unavailable(String),
    /// A key that is not a plain relative path, a misconfiguration, a local I/O error.
    #[error("file storage: {0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where files are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Under this folder.
    Local {
        root: std::path::PathBuf,
    },
    S3(S3Config),
}

#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// For S3-compatible servers (MinIO, R2, a test server); `None`: AWS. `http://` allows
    /// plain HTTP (a local server) and path-style addressing.
    pub endpoint: Option<String>,
    /// `None`: the usual AWS sources (the environment's `AWS_*`, then the instance's role).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Downloads redirect to presigned URLs valid this long; `None`: they stream through the app.
    pub signed_urls: Option<Duration>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "…"),
            )
            .field("signed_urls", &self.signed_urls)
            .finish()
    }
}

/// The folder of the store uploads are kept in, served at `/uploads/{name}`.
pub const UPLOADS: &str = "uploads";

/// The key of the uploaded file `name` (a generated name, as `ab12.png`).
pub fn upload_key(name: &str) -> String {
    format!("{UPLOADS}/{name}")
}

/// An uploaded file streams to S3 in parts of this size (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once per upload: the memory one upload may hold is this × [`PART_SIZE`].
const PARTS_IN_FLIGHT: usize = 2;

/// The files. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Local {
        root: std::path::PathBuf,
    },
    S3 {
        s3: Arc<AmazonS3>,
        signed_urls: Option<Duration>,
    },
}

/// A stored file being read.
pub struct Object {
    pub size: u64,
    /// The store's version tag, for `ETag`.
    pub etag: Option<String>,
    pub last_modified: chrono::DateTime<chrono::Utc>,
    pub body: BoxStream<'static, Result<Bytes>>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("size", &self.size)
            .field("etag", &self.etag)
            .finish_non_exhaustive()
    }
}

impl Storage {
    pub fn open(config: &StorageConfig) -> Result<Self> {
        match config {
            StorageConfig::Local { root } => {
                std::fs::create_dir_all(root)
                    .map_err(|e| Error::Other(format!("cannot create {}: {e}", root.display())))?;
                let local = LocalFileSystem::new_with_prefix(root)
                    .map_err(|e| Error::Other(e.to_string()))?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(local),
                    backend: Backend::Local { root: root.clone() },
                })
            }
            StorageConfig::S3(s3) => {
                // object_store's HTTP client is our reqwest, built without a crypto provider:
                // the process's (ring) must be installed first (see ARCHITECTURE.md, TLS).
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret);
                }
                let s3_store = Arc::new(builder.build().map_err(|e| Error::Other(e.to_string()))?);
                Ok(Self {
                    store: Arc::clone(&s3_store) as Arc<dyn ObjectStore>,
                    backend: Backend::S3 {
                        s3: s3_store,
                        signed_urls: s3.signed_urls,
                    },
                })
            }
        }
    }

    /// `local` or `s3`, for logs and `app check`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Local { .. } => "local",
            Backend::S3 { .. } => "s3",
        }
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<()> {
        let key = parse_key(key)?;
        self.store
            .put(&key, PutPayload::from(bytes))
            .await
            .map(drop)
            .map_err(|e| classify(&key, e))
    }

    /// Moves the local file at `path` (written by this process, e.g. an upload as it arrived)
    /// into the store under `key`. Local: a rename. S3: a multipart upload read from the file
    /// part by part, so memory stays bounded whatever the size. The file is left in place
    /// for S3 (the caller removes its temporary files).
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        let parsed = parse_key(key)?;
        match &self.backend {
            Backend::Local { root } => {
                let target = root.join(key);
                if let Some(dir) = target.parent() {
                    tokio::fs::create_dir_all(dir).await.map_err(local)?;
                }
                tokio::fs::rename(path, &target).await.map_err(local)
            }
            Backend::S3 { .. } => {
                let upload = self
                    .store
                    .put_multipart(&parsed)
                    .await
                    .map_err(|e| classify(&parsed, e))?;
                let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
                let mut file = tokio::fs::File::open(path).await.map_err(local)?;
                let mut buffer = vec![0_u8; 256 * 1024];
                loop {
                    let read = match file.read(&mut buffer).await {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) => {
                            let _ = writer.abort().await;
                            return Err(local(e));
                        }
                    };
                    if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                        return Err(classify(&parsed, e));
                    }
                    writer.write(&buffer[..read]);
                }
                writer
                    .finish()
                    .await
                    .map(drop)
                    .map_err(|e| classify(&parsed, e))
            }
        }
    }

    /// The file under `key`, as a stream.
    pub async fn get(&self, key: &str) -> Result<Object> {
        let parsed = parse_key(key)?;
        let got = self
            .store
            .get(&parsed)
            .await
            .map_err(|e| classify(&parsed, e))?;
        let meta = got.meta.clone();
        let location = parsed.clone();
        let body = got
            .into_stream()
            .map_err(move |e| classify(&location, e))
            .boxed();
        Ok(Object {
            size: meta.size,
            etag: meta.e_tag,
            last_modified: meta.last_modified,
            body,
        })
    }

    /// The whole file under `key`, refused when it is larger than `limit` bytes.
    pub async fn get_bytes(&self, key: &str, limit: u64) -> Result<Bytes> {
        let object = self.get(key).await?;
        if object.size > limit {
            return Err(Error::Other(format!(
                "{key} is {} bytes, more than the {limit} allowed",
                object.size
            )));
        }
        let mut body = object.body;
        let mut bytes = Vec::with_capacity(usize::try_from(object.size).unwrap_or(0));
        while let Some(chunk) = body.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok(Bytes::from(bytes))
    }

    /// Whether `key` is stored.
    pub async fn exists(&self, key: &str) -> Result<bool> {
        let parsed = parse_key(key)?;
        match self.store.head(&parsed).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(classify(&parsed, e)),
        }
    }

    /// Removes `key`; one that is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let parsed = parse_key(key)?;
        match self.store.delete(&parsed).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(classify(&parsed, e)),
        }
    }

    /// The keys under `prefix` (a folder, e.g. `exports`) last written before `before`.
    pub async fn list_older_than(
        &self,
        prefix: &str,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>> {
        let parsed = parse_key(prefix)?;
        let mut listed = self.store.list(Some(&parsed));
        let mut keys = Vec::new();
        while let Some(meta) = listed.next().await {
            match meta {
                Ok(meta) if meta.last_modified < before => keys.push(meta.location.to_string()),
                Ok(_) => {}
                // A folder that was never created has nothing in it.
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(classify(&parsed, e)),
            }
        }
        Ok(keys)
    }

    /// Where a browser may fetch `key` straight from the store for a short while, when the
    /// store is S3 with signed URLs on; `None`: serve it through the app.
    pub async fn signed_url(&self, key: &str) -> Result<Option<String>> {
        let Backend::S3 {
            s3,
            signed_urls: Some(ttl),
        } = &self.backend
        else {
            return Ok(None);
        };
        let parsed = parse_key(key)?;
        s3.signed_url(object_store::signer::Method::GET, &parsed, *ttl)
            .await
            .map(|url| Some(url.to_string()))
            .map_err(|e| classify(&parsed, e))
    }
}

/// A key the app made: relative, `/`-separated, no `.` or `..` parts, nothing empty.
fn parse_key(key: &str) -> Result<Key> {
    let plain = !key.is_empty()
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'));
    if !plain {
        return Err(Error::Other(format!("`{key}` is not a plain relative key")));
    }
    Key::parse(key).map_err(|e| Error::Other(format!("`{key}`: {e}")))
}

fn classify(key: &Key, err: object_store::Error) -> Error {
    match err {
        object_store::Error::NotFound { .. } => Error::NotFound(key.to_string()),
        object_store::Error::Generic { source, .. } => Error::Unavailable(source.to_string()),
        other => Error::Other(other.to_string()),
    }
}

#[allow(clippy::needless_pass_by_value, reason = "used as `map_err(local)`")]
fn local(err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::NotFound {
        Error::NotFound(err.to_string())
    } else {
        Error::Other(err.to_string())
    }
}

#[cfg(any(test, feature = "s3-tests"))]
pub mod conformance;
#[cfg(feature = "s3-tests")]
pub mod moto;
#[cfg(test)]
mod tests;
