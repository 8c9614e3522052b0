//! [`e2e`]: one browser test with an app of its own (random port, fresh database, a mock todos
//! upstream), a chromedriver of its own and as many browser sessions as it opens. When the test
//! fails, every session's screenshot and page source go under `target/e2e/<test>/`.

use std::{panic::AssertUnwindSafe, path::PathBuf, sync::Mutex};

use anyhow::Result;
use futures_util::FutureExt;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::{
    browser::{Browser, Driver, Screen},
    helpers::{TestApp, spawn_app_with, workspace_path},
};

pub struct E2e {
    pub app: TestApp,
    /// The external API the app calls (the todos demo's): it answers every todo; a test mounts
    /// its own answers on top.
    #[allow(
        dead_code,
        reason = "kept alive for the app's API client even by tests that never add a mock"
    )]
    pub upstream: MockServer,
    driver: Driver,
    sessions: Mutex<Vec<Browser>>,
}

/// Runs `test` against a fresh app; see the module docs.
pub async fn e2e(name: &str, test: impl AsyncFnOnce(&E2e) -> Result<()>) {
    e2e_with(name, &[], test).await;
}

/// [`e2e`] with extra environment for the app.
pub async fn e2e_with(
    name: &str,
    env: &[(&str, &str)],
    test: impl AsyncFnOnce(&E2e) -> Result<()>,
) {
    let upstream = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path_regex(r"^/todos/\d+$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "userId": 1, "id": 1, "title": "Water the plants", "completed": false
        })))
        .mount(&upstream)
        .await;
    let upstream_url = upstream.uri();
    let mut vars = vec![("APP_TODOS_API_URL", upstream_url.as_str())];
    vars.extend_from_slice(env);
    let app = spawn_app_with(&vars).await;
    let driver = Driver::start().await.expect("chromedriver starts");
    let run = E2e {
        app,
        upstream,
        driver,
        sessions: Mutex::new(Vec::new()),
    };
    let outcome = AssertUnwindSafe(test(&run)).catch_unwind().await;
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(format!("{err:#}")),
        Err(panic) => Some(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned()),
        ),
    };
    let dir = artifacts_dir().join(name);
    if failure.is_some() {
        run.save_artifacts(&dir).await;
    }
    run.close().await;
    if let Some(failure) = failure {
        panic!(
            "{name}: {failure}\n(each session's screenshot and page source: {})",
            dir.display()
        );
    }
}

/// `target/e2e` (or `CARGO_TARGET_DIR/e2e`).
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_path("target"), PathBuf::from)
        .join("e2e")
}

impl E2e {
    /// A new browser session (its own cookies) on this app.
    pub async fn browser(&self, screen: Screen) -> Result<Browser> {
        self.open(screen, true).await
    }

    /// A session with JavaScript off: what the pages must still do without it.
    pub async fn browser_without_scripts(&self, screen: Screen) -> Result<Browser> {
        self.open(screen, false).await
    }

    async fn open(&self, screen: Screen, scripts: bool) -> Result<Browser> {
        let browser = Browser::open(&self.driver, &self.app.address, screen, scripts).await?;
        self.sessions
            .lock()
            .expect("the session list")
            .push(browser.clone());
        Ok(browser)
    }

    /// Signs `browser` in through the login form.
    pub async fn sign_in(&self, browser: &Browser, email: &str, password: &str) -> Result<()> {
        browser.goto("/login").await?;
        browser.fill("#email", email).await?;
        browser.fill("#password", password).await?;
        browser.click("form.form button[type=submit]").await?;
        browser.wait_for_path("/").await?;
        Ok(())
    }

    /// A screenshot kept for the README (`target/e2e/screenshots/<name>.png`).
    pub async fn keep_screenshot(&self, browser: &Browser, name: &str) -> Result<()> {
        let file = artifacts_dir()
            .join("screenshots")
            .join(format!("{name}-{}.png", browser.screen.label()));
        browser.screenshot(&file).await
    }

    /// The sessions opened so far (handles to them: closing one here closes it for the test).
    fn sessions(&self) -> Vec<Browser> {
        self.sessions.lock().map(|s| s.clone()).unwrap_or_default()
    }

    async fn save_artifacts(&self, dir: &std::path::Path) {
        let _ = std::fs::create_dir_all(dir);
        for (i, browser) in self.sessions().iter().enumerate() {
            let stem = format!("{i}-{}", browser.screen.label());
            let _ = browser.screenshot(&dir.join(format!("{stem}.png"))).await;
            if let Ok(source) = browser.client.source().await {
                let _ = std::fs::write(dir.join(format!("{stem}.html")), source);
            }
            if let Ok(url) = browser.client.current_url().await {
                let _ = std::fs::write(dir.join(format!("{stem}.url")), url.as_str());
            }
        }
    }

    async fn close(self) {
        for browser in self.sessions() {
            browser.close().await;
        }
        drop(self.driver);
    }
}
