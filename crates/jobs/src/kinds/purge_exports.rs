//! Retention for exports (the admin's, and any job that stores under `exports/`): every night, delete exports stored more than a week ago, so
//! the store's `exports/` does not grow for ever (the jobs that wrote them go with `purge_finished`).

use std::time::Duration;

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
        let files = remove_older_than(&ctx.app.storage, keep).await?;
        tracing::info!(files, days = self.older_than_days, "purged old exports");
        Ok(())
    }
}

/// Deletes the exports stored more than `age` ago.
async fn remove_older_than(storage: &storage::Storage, age: Duration) -> storage::Result<u64> {
    let cutoff =
        chrono::Utc::now() - chrono::TimeDelta::from_std(age).unwrap_or(chrono::TimeDelta::MAX);
    let mut removed = 0;
    for key in storage.list_older_than(super::EXPORTS, cutoff).await? {
        storage.delete(&key).await?;
        removed += 1;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_files_older_than_the_cutoff_go() {
        let dir = tempfile::tempdir().unwrap();
        let storage = storage::Storage::open(&storage::StorageConfig::Local {
            root: dir.path().to_owned(),
        })
        .unwrap();
        // A store with no exports yet has nothing to purge.
        assert_eq!(
            remove_older_than(&storage, Duration::ZERO).await.unwrap(),
            0
        );
        storage
            .put(
                &super::super::table_export_key("products", 1),
                bytes::Bytes::from_static(b"id\n"),
            )
            .await
            .unwrap();
        // Everything is younger than a day...
        let kept = remove_older_than(&storage, Duration::from_secs(86_400))
            .await
            .unwrap();
        assert_eq!(kept, 0);
        assert!(storage.exists("exports/products-1.csv").await.unwrap());
        // ...and older than nothing.
        let removed = remove_older_than(&storage, Duration::ZERO).await.unwrap();
        assert_eq!(removed, 1);
        assert!(!storage.exists("exports/products-1.csv").await.unwrap());
    }
}
