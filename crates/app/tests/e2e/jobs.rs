//! Background jobs in the browser: the admin dashboard's retry and cancel buttons, and (the
//! export demo) a progress bar moving live. The app runs no worker of its own here: the test
//! reports progress and runs the worker when it chooses.

use anyhow::{Result, ensure};
use jobs::{BoxError, Job, JobContext, WorkerConfig};

use crate::browser::Browser; // [demo:export]
use crate::{
    browser::Screen,
    harness::{E2e, e2e_with},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, job_services},
};

const NO_WORKER: &[(&str, &str)] = &[("APP_JOBS_IN_PROCESS", "false")];

// [demo:export begin]
/// The job page's id, from its address.
async fn job_id(b: &Browser) -> Result<i64> {
    let path = b.path().await?;
    Ok(path.trim_start_matches("/jobs/").parse()?)
}

async fn bar(b: &Browser) -> Result<Option<f64>> {
    Ok(
        b.script("return document.querySelector('.job-status progress').value;")
            .await?
            .as_f64(),
    )
}

#[tokio::test]
async fn an_export_shows_its_progress_live_then_its_download() {
    e2e_with(
        "an_export_shows_its_progress_live_then_its_download",
        NO_WORKER,
        async |t: &E2e| -> Result<()> {
            for i in 0..3 {
                t.app.create_product(&format!("Chair {i}"), 4500).await;
            }
            let b = t.browser(Screen::Desktop).await?;
            t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            b.goto("/products").await?;
            b.click_text(".page-head", "Export CSV").await?;
            b.wait_for_text(".flash", "Export started").await?;
            b.wait_for_text(".job-status .badge", "queued").await?;
            b.wait_for_text(".live-note", "Updating live.").await?;
            let id = job_id(&b).await?;
            b.check_page().await?;

            // The worker's progress reaches the open page without a reload.
            for done in [30, 70] {
                jobs::progress::report(&t.app.db, &t.app.hub, id, done, 100).await?;
                b.wait_until(&format!("the bar at {done}"), || async {
                    Ok(bar(&b).await? == Some(done as f64))
                })
                .await?;
                b.wait_for_text(".progress-text", &format!("{done} of 100 ({done}%)"))
                    .await?;
            }

            let services = job_services(&t.app, &t.app.data_dir);
            let runner =
                jobs::kinds::runner(services.queue.clone(), services, WorkerConfig::default())?;
            runner.run_until_empty().await?;
            // Done: the page reloads itself and offers the file.
            b.wait_for_text(".job-status .badge", "succeeded").await?;
            b.wait_for_text(".actions", "Download the file").await?;
            b.check_page().await?;
            Ok(())
        },
    )
    .await;
}
// [demo:export end]

/// A job kind no worker registers: each attempt fails, so it waits to be retried.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Unregistered;

impl Job for Unregistered {
    const NAME: &'static str = "unregistered";
    type Context = ();
    async fn run(&self, _: JobContext<()>) -> Result<(), BoxError> {
        Ok(())
    }
}

#[tokio::test]
async fn the_dashboard_cancels_and_retries_a_failing_job() {
    e2e_with(
        "the_dashboard_cancels_and_retries_a_failing_job",
        NO_WORKER,
        async |t: &E2e| -> Result<()> {
            let services = job_services(&t.app, &t.app.data_dir);
            let queue = services.queue.clone();
            let id = queue.enqueue(&t.app.db, &Unregistered).await?.id;
            jobs::kinds::runner(queue.clone(), services, WorkerConfig::default())?
                .run_until_empty()
                .await?;

            let b = t.browser(Screen::Phone).await?;
            t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            b.click(".nav-toggle-label").await?;
            b.click(".nav-menu a[href='/jobs']").await?;
            b.wait_for_text("h1", "Background jobs").await?;
            let failing = b.text(".table-wrap").await?;
            ensure!(
                failing.contains("unregistered") && failing.contains("retrying"),
                "{failing}"
            );
            ensure!(
                failing.contains("no job type named"),
                "the last error is shown: {failing}"
            );
            b.check_page().await?;

            b.click_text(".row-actions", "Cancel").await?;
            b.wait_for_text(".flash", &format!("Job {id} is cancelled."))
                .await?;
            b.wait_for_text(".job-status .badge", "cancelled").await?;
            b.check_page().await?;

            b.click_text(".actions", "Retry now").await?;
            b.wait_for_text(".flash", &format!("Job {id} will run again now."))
                .await?;
            ensure!(
                queue.get(id).await?.state == jobs::State::Queued,
                "queued again"
            );
            Ok(())
        },
    )
    .await;
}
