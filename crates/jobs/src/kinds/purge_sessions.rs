//! Every hour: delete expired sessions, expired account links and rate-limit counters whose
//! window is long over, so no table grows for ever.

use crate::{BoxError, Job, JobContext, Services};

/// Counters are kept a day: longer than any sensible rate-limit window.
const KEEP_RATE_LIMITS: chrono::TimeDelta = chrono::TimeDelta::days(1);

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PurgeSessions {}

impl Job for PurgeSessions {
    const NAME: &'static str = "purge_sessions";
    const MAX_ATTEMPTS: i32 = 3;
    type Context = Services;

    fn unique_key(&self) -> Option<String> {
        Some(Self::NAME.to_owned())
    }

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let now = ctx.app.queue.clock().now();
        let sessions = db::sessions::delete_expired(&ctx.app.db, now).await?;
        let counters = db::rate_limits::delete_stale(&ctx.app.db, now - KEEP_RATE_LIMITS).await?;
        let links = db::account_tokens::delete_expired(&ctx.app.db, now).await?;
        tracing::info!(sessions, counters, links, "purged expired sessions");
        Ok(())
    }
}
