//! Every ten minutes: delete the presence rows of chat connections that died with their replica
//! (live connections refresh theirs every keepalive), so the table never grows for ever.

use crate::{BoxError, Job, JobContext, Result, Runner, Services};

pub(super) fn register(runner: Runner<Services>) -> Result<Runner<Services>> {
    runner.schedule(
        PurgeChatPresence::NAME,
        "*/10 * * * *",
        &PurgeChatPresence::default(),
    )
}

/// Presence rows not refreshed for this long belong to connections that are gone.
const KEEP_PRESENCE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PurgeChatPresence {}

impl Job for PurgeChatPresence {
    const NAME: &'static str = "purge_chat_presence";
    const MAX_ATTEMPTS: i32 = 3;
    type Context = Services;

    fn unique_key(&self) -> Option<String> {
        Some(Self::NAME.to_owned())
    }

    async fn run(&self, ctx: JobContext<Services>) -> std::result::Result<(), BoxError> {
        let now = ctx.app.queue.clock().now();
        let presence = db::chat::delete_stale_presence(&ctx.app.db, now - KEEP_PRESENCE).await?;
        tracing::info!(presence, "purged stale chat presence");
        Ok(())
    }
}
