//! A file being written; removed unless it is moved into place.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::{Error, Result};

/// Removed on drop unless [`Partial::keep_as`] moved it into place, so every early return of an
/// upload leaves nothing behind.
pub(super) struct Partial {
    path: PathBuf,
    /// Buffered: each write to a `tokio::fs::File` is a trip to the blocking pool, so chunks are
    /// gathered into writes of [`WRITE_BUFFER`] bytes.
    file: tokio::io::BufWriter<tokio::fs::File>,
    /// Moved into place: the drop leaves it alone.
    kept: bool,
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
            kept: false,
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

    pub(super) async fn keep_as(mut self, target: &Path) -> Result<()> {
        self.flush().await?;
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
