//! Chromium, driven over WebDriver: a chromedriver process of the test's own, and sessions on it
//! shaped like a desktop (1280×800) or a phone (390×844, touch, device pixel ratio 2).
//!
//! Every session logs the browser console; [`Browser::check_page`] fails on a console error, a
//! CSP violation (Chromium logs those as `security` errors) or a page wider than the window.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::{
    Client, ClientBuilder, Locator, elements::Element, wd::WebDriverCompatibleCommand,
};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long a wait for something on a page lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// A chromedriver of this test's own, on a port it picked; killed when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub async fn start() -> Result<Self> {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let mut child = Command::new(&binary)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!("starting `{binary}` (run `just e2e`, which installs chromium-driver)")
            })?;
        let stdout = child.stdout.take().context("chromedriver's stdout")?;
        // chromedriver says which port it took: "... started successfully on port 41234."
        let port = tokio::task::spawn_blocking(move || -> Result<u16> {
            for line in BufReader::new(stdout).lines() {
                let line = line?;
                if let Some(rest) = line.split("successfully on port ").nth(1) {
                    return Ok(rest.trim_end_matches('.').trim().parse()?);
                }
            }
            bail!("chromedriver exited before saying its port")
        });
        let port = tokio::time::timeout(Duration::from_secs(20), port)
            .await
            .context("chromedriver did not start within 20 s")???;
        Ok(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The window a session emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Desktop,
    Phone,
}

impl Screen {
    pub fn label(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Phone => "phone",
        }
    }
}

fn capabilities(
    screen: Screen,
    scripts: bool,
    profile: &std::path::Path,
) -> serde_json::Map<String, Value> {
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        // This machine's network is closed: no calls home, no component or sync downloads.
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-features=Translate,MediaRouter,OptimizationHints".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        "--lang=en-GB".to_owned(),
    ];
    args.push("--force-prefers-reduced-motion".to_owned());
    if !scripts {
        args.push("--blink-settings=scriptEnabled=false".to_owned());
    }
    if screen == Screen::Desktop {
        args.push("--window-size=1280,800".to_owned());
    } else if !scripts {
        // chromedriver's taps on an emulated touch screen hang with the page's scripts off: a
        // phone-sized window stands in.
        args.push("--window-size=390,844".to_owned());
    }
    let mut chrome = json!({ "args": args });
    if screen == Screen::Phone && scripts {
        chrome["mobileEmulation"] = json!({
            "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0, "touch": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), chrome);
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    // No command may hang a test: a page load or script that takes this long is a failure.
    caps.insert(
        "timeouts".into(),
        json!({ "pageLoad": 30_000, "script": 30_000 }),
    );
    caps
}

/// One browser session (its own profile: cookies are not shared between sessions).
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    pub screen: Screen,
    base: String,
    _profile: std::sync::Arc<tempfile::TempDir>,
}

impl Browser {
    /// A session; `scripts: false` turns the page's JavaScript off (WebDriver's own scripts, and
    /// so [`Browser::check_page`], need it on).
    pub async fn open(driver: &Driver, base: &str, screen: Screen, scripts: bool) -> Result<Self> {
        let profile = tempfile::tempdir()?;
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(screen, scripts, profile.path()))
            .connect(&driver.url)
            .await
            .context("a Chromium session")?;
        Ok(Self {
            client,
            screen,
            base: base.to_owned(),
            _profile: std::sync::Arc::new(profile),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn goto(&self, path: &str) -> Result<()> {
        self.client.goto(&self.url(path)).await?;
        Ok(())
    }

    /// The path (and query) of the page the browser is on.
    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
    }

    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("no `{css}` on {}", self.page_name()))
    }

    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        Ok(self.client.find_all(Locator::Css(css)).await?)
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Replaces the text of the field `css`.
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css).await?.click().await?;
        Ok(())
    }

    /// Clicks the button (or link) whose text is `label`, inside `scope` (CSS).
    pub async fn click_text(&self, scope: &str, label: &str) -> Result<()> {
        let xpath = format!(
            "//*[self::button or self::a][normalize-space(.)='{label}'][ancestor-or-self::*[{}]]",
            css_to_xpath_class(scope)
        );
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no button or link `{label}` in `{scope}`"))?
            .click()
            .await?;
        Ok(())
    }

    /// Waits until `check` holds, up to [`WAIT`]; `what` says what was awaited when it fails.
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if check().await.unwrap_or(false) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("waited {WAIT:?} for {what}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element `css` exists and its text contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> Result<()> {
        self.wait_until(&format!("`{css}` to say {needle:?}"), || async {
            Ok(self.text(css).await?.contains(needle))
        })
        .await
        .map_err(|err| anyhow!("{err} on {}", self.page_name()))
    }

    /// Waits until the browser is on `path`.
    pub async fn wait_for_path(&self, path: &str) -> Result<()> {
        self.wait_until(&format!("the browser to reach {path}"), || async {
            Ok(self.path().await? == path)
        })
        .await
    }

    pub async fn script(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    fn page_name(&self) -> String {
        format!("the {} session", self.screen.label())
    }

    /// What the console logged since the last call (errors, warnings, CSP violations).
    pub async fn console(&self) -> Result<Vec<LogEntry>> {
        let value = self
            .client
            .issue_cmd(Chromedriver {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await?;
        Ok(serde_json::from_value(value).unwrap_or_default())
    }

    /// Fails on a console error or CSP violation since the last check, and on a page wider than
    /// the window. `expected` lists substrings of errors the test provoked on purpose (a 403).
    pub async fn check_page_allowing(&self, expected: &[&str]) -> Result<()> {
        let path = self.path().await?;
        let widths = self
            .script("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await?;
        let (scroll, inner) = (widths[0].as_f64(), widths[1].as_f64());
        ensure!(
            matches!((scroll, inner), (Some(s), Some(i)) if s <= i),
            "{path} is wider than the {} window: scrollWidth {scroll:?} > innerWidth {inner:?}",
            self.screen.label()
        );
        let errors: Vec<String> = self
            .console()
            .await?
            .into_iter()
            .filter(|e| e.level == "SEVERE" || e.source == "security")
            .map(|e| e.message)
            .filter(|m| !expected.iter().any(|x| m.contains(x)))
            .collect();
        ensure!(
            errors.is_empty(),
            "{path} logged errors in the {} browser: {errors:#?}",
            self.screen.label()
        );
        Ok(())
    }

    pub async fn check_page(&self) -> Result<()> {
        self.check_page_allowing(&[]).await
    }

    /// Runs axe-core on the page; fails on any serious or critical finding.
    pub async fn check_accessibility(&self) -> Result<()> {
        let source = axe_source()?;
        self.script(&format!("{source}\n;return true;")).await?;
        let found = self
            .client
            .execute_async(
                r"const done = arguments[arguments.length - 1];
                  axe.run(document, { resultTypes: ['violations'] })
                    .then((r) => done(r.violations
                      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                      .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.slice(0, 5).map((n) => n.html) }))))
                    .catch((e) => done([{ id: 'axe-failed', help: String(e) }]));",
                vec![],
            )
            .await?;
        let path = self.path().await?;
        ensure!(
            found.as_array().is_some_and(Vec::is_empty),
            "axe-core on {path} ({}): {}",
            self.screen.label(),
            serde_json::to_string_pretty(&found)?
        );
        Ok(())
    }

    /// Makes the pages see `prefers-color-scheme: dark` (Chrome DevTools' media emulation).
    pub async fn prefer_dark(&self) -> Result<()> {
        self.client
            .issue_cmd(Chromedriver {
                path: "goog/cdp/execute",
                body: json!({
                    "cmd": "Emulation.setEmulatedMedia",
                    "params": { "features": [{ "name": "prefers-color-scheme", "value": "dark" }] },
                }),
            })
            .await?;
        Ok(())
    }

    pub async fn screenshot(&self, file: &std::path::Path) -> Result<()> {
        let png = self.client.screenshot().await?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(file, png)?;
        Ok(())
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// `.chat` → `contains(concat(' ', normalize-space(@class), ' '), ' chat ')`; `form#compose`
/// and other selectors are kept simple on purpose: a class or an id.
fn css_to_xpath_class(scope: &str) -> String {
    if let Some(id) = scope.strip_prefix('#') {
        format!("@id='{id}'")
    } else {
        let class = scope.trim_start_matches('.');
        format!("contains(concat(' ', normalize-space(@class), ' '), ' {class} ')")
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct LogEntry {
    pub level: String,
    #[serde(default)]
    pub source: String,
    pub message: String,
}

/// One of chromedriver's own commands, `POST /session/{id}/<path>` with a JSON body: the
/// console log (`se/log`) or a DevTools command (`goog/cdp/execute`).
#[derive(Debug)]
struct Chromedriver {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Chromedriver {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.body.to_string()))
    }
}

/// axe-core's script, installed from npm by `scripts/e2e-setup.sh` (never served by the app).
fn axe_source() -> Result<&'static str> {
    static SOURCE: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = std::env::var("AXE_CORE_JS").map_or_else(
                |_| crate::harness::artifacts_dir().join("js/node_modules/axe-core/axe.min.js"),
                std::path::PathBuf::from,
            );
            std::fs::read_to_string(&path).map_err(|err| {
                format!(
                    "axe-core is not at {} ({err}): run `sh scripts/e2e-setup.sh` (`just e2e` does)",
                    path.display()
                )
            })
        })
        .as_deref()
        .map_err(|err| anyhow!("{err}"))
}
