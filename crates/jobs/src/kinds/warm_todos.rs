//! Keep the todos the home page shows hot in the API client's cache (a periodic job).

use futures_util::future::join_all;

use crate::{BoxError, Job, JobContext, Result, Runner, Services};

/// Every five minutes, the first todos are fetched again, so the API client's cache stays hot.
pub(super) fn register(runner: Runner<Services>) -> Result<Runner<Services>> {
    runner.schedule(WarmTodos::NAME, "*/5 * * * *", &WarmTodos::default())
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WarmTodos {
    pub ids: Vec<u64>,
}

impl Default for WarmTodos {
    fn default() -> Self {
        Self {
            ids: (1..=5).collect(),
        }
    }
}

impl Job for WarmTodos {
    const NAME: &'static str = "warm_todos";
    const MAX_ATTEMPTS: i32 = 3;
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
    type Context = Services;

    /// One warm-up at a time: a tick while the last one still runs (a slow upstream) is skipped.
    fn unique_key(&self) -> Option<String> {
        Some(Self::NAME.to_owned())
    }

    async fn run(&self, ctx: JobContext<Services>) -> std::result::Result<(), BoxError> {
        let todos = &ctx.app.api.todos;
        let results = join_all(self.ids.iter().map(|id| todos.get_todo(*id))).await;
        let failed: Vec<String> = results
            .into_iter()
            .filter_map(Result::err)
            .map(|err| err.to_string())
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} of {} todos failed: {}",
                failed.len(),
                self.ids.len(),
                failed.join("; ")
            )
            .into())
        }
    }
}
