//! A file being written (an upload as it arrives); removed when dropped.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::{Error, Result};

/// Removed on drop, so every early return of an upload leaves nothing behind; what is kept went
/// to the store first ([`Partial::store`]).
pub(super) struct Partial {
    path: PathBuf,
    /// Buffered: each write to a `tokio::fs::File` is a trip to the blocking pool, so chunks are
    /// gathered into writes of [`WRITE_BUFFER`] bytes.
    file: tokio::io::BufWriter<tokio::fs::File>,
}

const WRITE_BUFFER: usize = 256 * 1024;

impl Partial {
    pub(super) async fn create(path: PathBuf) -> Result<Self> {
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(Error::internal)?;
        Ok(Self {
            path,
            file: tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).await.map_err(Error::internal)
    }

    /// Everything written so far reaches the file (to read it back before keeping it).
    pub(super) async fn flush(&mut self) -> Result<()> {
        self.file.flush().await.map_err(Error::internal)
    }

    /// Moves the file into `storage` under `key` (a rename for the local folder, an upload in
    /// parts for S3); the local file is removed either way when `self` drops.
    pub(super) async fn store(mut self, storage: &storage::Storage, key: &str) -> Result<()> {
        self.flush().await?;
        self.file
            .get_ref()
            .sync_all()
            .await
            .map_err(Error::internal)?;
        storage.put_file(key, &self.path).await?;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        // One unlink (already gone when the local store moved it into place); runs on whatever
        // thread drops the upload.
        let _ = std::fs::remove_file(&self.path);
    }
}
