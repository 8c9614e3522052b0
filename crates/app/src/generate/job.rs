//! `app generate job NAME`: a job kind in `crates/jobs/src/kinds/NAME.rs`, registered with the
//! app's worker, and a test that runs it there.

use std::path::Path;

use anyhow::bail;

use super::{Plan, names};

const KINDS: &str = "crates/jobs/src/kinds";

pub(super) fn plan(root: &Path, name: &str) -> anyhow::Result<Plan> {
    names::check("job", name).map_err(anyhow::Error::msg)?;
    let kinds = std::fs::read_to_string(root.join(KINDS).join("mod.rs"))?;
    let type_name = names::camel(name);
    if root.join(KINDS).join(format!("{name}.rs")).exists()
        || kinds.contains(&format!("mod {name};"))
        || kinds.contains(&format!("\"{name}\""))
        || kinds.contains(&format!(" {type_name}"))
        || kinds.contains(&format!("{{{type_name}"))
    {
        bail!("a job named `{name}` ({type_name}) exists already: choose another name");
    }
    let mut plan = Plan::default();
    plan.file(format!("{KINDS}/{name}.rs"), kind(name, &type_name));
    plan.file(
        format!("crates/app/tests/it/job_{name}.rs"),
        test(name, &type_name),
    );
    let registry = format!("{KINDS}/mod.rs");
    plan.register(&registry, "// [generate:job-mod]", format!("mod {name};"));
    plan.register(
        &registry,
        "// [generate:job-use]",
        format!("pub use {name}::{type_name};"),
    );
    plan.register(
        &registry,
        "// [generate:job-register]",
        format!("let runner = runner.register::<{type_name}>();"),
    );
    plan.register(
        "crates/app/tests/it/main.rs",
        "// [generate:test-mod]",
        format!("mod job_{name};"),
    );
    Ok(plan)
}

fn kind(name: &str, type_name: &str) -> String {
    format!(
        r#"//! The `{name}` job. Enqueue it on the transaction of the change it belongs to:
//! `state.jobs.enqueue(&txn, &{type_name} {{}}).await?` (or on `&state.db`).
//!
//! A job runs at least once (a worker that dies mid-job is replaced and the job runs again), so
//! `run` must be safe to repeat. An error is retried with backoff, up to `MAX_ATTEMPTS`.

use crate::{{BoxError, Job, JobContext, Services}};

/// What the job needs to know, stored as JSON with it: keep it small (ids, not rows).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct {type_name} {{}}

impl Job for {type_name} {{
    const NAME: &'static str = "{name}";
    type Context = Services;

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {{
        // `ctx.app` has the database, the queue, the mailer, the API clients and the blocking
        // bridge; `ctx.id` is this job's id.
        tracing::info!(job = ctx.id, attempt = ctx.attempt, "{name} ran");
        Ok(())
    }}
}}
"#
    )
}

fn test(name: &str, type_name: &str) -> String {
    format!(
        r#"//! The `{name}` job runs on the app's own worker.

use jobs::{{Queue, State, kinds::{type_name}}};

use crate::background_jobs::app_jobs::{{app_without_worker, worker}};

#[tokio::test]
async fn {name}_runs_on_the_apps_worker() {{
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    let queue = Queue::new(app.db.clone(), app.hub.clone());
    let id = queue.enqueue(&app.db, &{type_name}::default()).await.unwrap().id;

    let (runner, _) = worker(&app, dir.path());
    let drained = runner.run_until_empty().await.unwrap();

    assert_eq!(drained.succeeded, 1);
    assert_eq!(queue.get(id).await.unwrap().state, State::Succeeded);
}}
"#
    )
}
