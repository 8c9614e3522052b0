//! Retention for the export demo: every night, delete export files older than a week, so
//! `data/exports` does not grow for ever (the jobs that wrote them go with `purge_finished`).

use std::time::{Duration, SystemTime};

use crate::{BoxError, Job, JobContext, Services};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PurgeExports {
    pub older_than_days: u32,
}

impl Default for PurgeExports {
    fn default() -> Self {
        Self { older_than_days: 7 }
    }
}

impl Job for PurgeExports {
    const NAME: &'static str = "purge_exports";
    const MAX_ATTEMPTS: i32 = 3;
    type Context = Services;

    fn unique_key(&self) -> Option<String> {
        Some(Self::NAME.to_owned())
    }

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let keep = Duration::from_secs(u64::from(self.older_than_days) * 86_400);
        let files = remove_files_older_than(&ctx.app.exports_dir, keep).await?;
        tracing::info!(files, days = self.older_than_days, "purged old exports");
        Ok(())
    }
}

/// Deletes the files in `dir` last modified more than `age` ago; a missing folder is empty.
async fn remove_files_older_than(dir: &std::path::Path, age: Duration) -> std::io::Result<u64> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let now = SystemTime::now();
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        let meta = entry.metadata().await?;
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|since| since > age);
        if meta.is_file() && old {
            tokio::fs::remove_file(entry.path()).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_files_older_than_the_cutoff_go() {
        let dir = tempfile_dir();
        let path = dir.join("products-1.csv");
        tokio::fs::write(&path, "id\n").await.unwrap();
        // Everything is younger than a day...
        let kept = remove_files_older_than(&dir, Duration::from_secs(86_400))
            .await
            .unwrap();
        assert_eq!(kept, 0);
        assert!(path.exists());
        // ...and older than nothing.
        let removed = remove_files_older_than(&dir, Duration::ZERO).await.unwrap();
        assert_eq!(removed, 1);
        assert!(!path.exists());
        let missing = remove_files_older_than(&dir.join("nope"), Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(missing, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("purge-test-{}", uuid::Uuid::new_v4().simple()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    }
}
