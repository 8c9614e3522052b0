//! Every page, as a visitor and as an administrator, at phone width (390 px) and desktop width,
//! light and dark: no sideways scrolling, no console error or CSP violation, and no serious or
//! critical axe-core finding. Also takes the README's screenshots, and with `E2E_SCREENSHOTS=all`
//! one of every page it checks (`target/e2e/screenshots/all/`).

use anyhow::Result;
use jobs::WorkerConfig;

use crate::{
    browser::{Browser, Screen},
    harness::{E2e, e2e_with},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, job_services},
    jobs::Unregistered,
};

/// Pages anyone may open (add yours).
const PUBLIC: &[&str] = &[
    "/",
    "/login",
    "/signup",
    "/password/reset",
    "/no-such-page",
    "/products",       // [demo:products]
    "/products/stats", // [demo:products]
    "/chat",           // [demo:chat]
    "/chat/lobby",     // [demo:chat]
    "/todos",          // [demo:todos]
    "/products/1",     // [demo:products]
];

/// Pages for a signed-in administrator, besides [`PUBLIC`] (add yours).
const SIGNED_IN: &[&str] = &[
    "/account",
    "/jobs",
    "/admin",
    "/admin/users",
    "/admin/users/1",
    "/admin/test_notes/new",
    "/admin/products?q=lamp&sort=-price_cents", // [demo:products]
    "/admin/products/1/edit",                   // [demo:products]
    "/admin/products/1/delete",                 // [demo:products]
    "/products/new",                            // [demo:products]
    "/products/1/edit",                         // [demo:products]
    "/products/1/delete",                       // [demo:products]
];

/// Checks each page; with `E2E_SCREENSHOTS=all` also keeps a screenshot of each, named after
/// `who` and the path, for a look at every page after a change to the layout.
async fn check_all(t: &E2e, b: &Browser, who: &str, paths: &[String]) -> Result<()> {
    let keep = std::env::var("E2E_SCREENSHOTS").is_ok_and(|v| v == "all");
    for path in paths {
        b.goto(path).await?;
        b.check_page_allowing(&["status of 404"]).await?;
        b.check_accessibility().await?;
        if keep {
            let name: String = path
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            t.keep_screenshot(b, &format!("all/{who}{name}")).await?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_page_fits_a_phone_logs_no_error_and_passes_axe() {
    // No worker: the jobs stay where the test leaves them.
    e2e_with(
        "every_page_fits_a_phone_logs_no_error_and_passes_axe",
        &[("APP_JOBS_IN_PROCESS", "false")],
        async |t: &E2e| -> Result<()> {
            let public: Vec<String> = PUBLIC.iter().map(|p| (*p).to_owned()).collect();
            let mut signed_in: Vec<String> = SIGNED_IN.iter().map(|p| (*p).to_owned()).collect();

            // A failing job (its error shown on the dashboard) and a queued one (its live page).
            let services = job_services(&t.app, &t.app.data_dir);
            let queue = services.queue.clone();
            let failed = queue.enqueue(&t.app.db, &Unregistered).await?.id;
            jobs::kinds::runner(queue.clone(), services, WorkerConfig::default())?
                .run_until_empty()
                .await?;
            let queued = queue.enqueue(&t.app.db, &Unregistered).await?.id;
            signed_in.extend([format!("/jobs/{failed}"), format!("/jobs/{queued}")]);

            // [demo:products begin]
            let long =
                "A product with a rather long name that has to wrap on a small screen somewhere";
            let id = t.app.create_product(long, 123_456).await["id"]
                .as_i64()
                .unwrap_or_default();
            for i in 0..5 {
                t.app.create_product(&format!("Stool {i}"), 2500 + i).await;
            }
            anyhow::ensure!(id == 1, "the first product, as the page lists say: {id}");
            // [demo:products end]

            for screen in [Screen::Phone, Screen::Desktop] {
                let visitor = t.browser(screen).await?;
                check_all(t, &visitor, "visitor", &public).await?;

                let admin = t.browser(screen).await?;
                t.sign_in(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
                let all: Vec<String> = public.iter().chain(&signed_in).cloned().collect();
                check_all(t, &admin, "admin", &all).await?;
                // [demo:products begin]
                for (name, path) in [("products", "/products"), ("product", "/products/1")] {
                    admin.goto(path).await?;
                    t.keep_screenshot(&admin, name).await?;
                }
                // [demo:products end]
                if screen == Screen::Desktop {
                    admin.prefer_dark().await?;
                    check_all(t, &admin, "dark", &all).await?;
                    admin.goto("/products/1").await?; // [demo:products]
                    t.keep_screenshot(&admin, "dark").await?;
                }
            }
            Ok(())
        },
    )
    .await;
}
