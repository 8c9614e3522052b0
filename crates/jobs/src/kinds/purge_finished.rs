//! Retention: every night, delete finished jobs older than a week, so the `jobs` table does not
//! grow for ever.

use std::time::Duration;

use crate::{BoxError, Job, JobContext, Services};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PurgeFinished {
    pub older_than_days: u32,
}

impl Default for PurgeFinished {
    fn default() -> Self {
        Self { older_than_days: 7 }
    }
}

impl Job for PurgeFinished {
    const NAME: &'static str = "purge_finished";
    const MAX_ATTEMPTS: i32 = 3;
    type Context = Services;

    fn unique_key(&self) -> Option<String> {
        Some(Self::NAME.to_owned())
    }

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let keep = Duration::from_secs(u64::from(self.older_than_days) * 86_400);
        let cutoff = ctx.app.queue.clock().now() - chrono::Duration::from_std(keep)?;
        let jobs = ctx.app.queue.purge(cutoff).await?;
        tracing::info!(jobs, days = self.older_than_days, "purged finished jobs");
        Ok(())
    }
}
