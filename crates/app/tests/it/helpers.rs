//! The test harness: `spawn_app()` boots the real application on 127.0.0.1:0 with a database of
//! its own, so every test runs in parallel with the others.
//!
//! The database is a temporary SQLite file, or, when `TEST_DATABASE_URL` points at a PostgreSQL
//! server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), a fresh database on that server,
//! dropped when the test ends. Set `TEST_LOG=1` to see the app's logs.

use std::{path::PathBuf, sync::Once};

use app::{Application, Config};
use reqwest::{Response, StatusCode, header};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;

pub struct TestApp {
    pub address: String,
    /// Does not follow redirects, so tests see the 303s.
    pub client: reqwest::Client,
    /// The app's own pool.
    pub db: DatabaseConnection,
    /// Dropped with the app: a PostgreSQL test database is dropped then.
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Boots the app with extra environment variables on top of the test defaults.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    init_logging();
    app::install_crypto_provider();
    let database = TestDatabase::create().await;
    let config = test_config(&database.url, extra);
    let application = Application::build(&config).await.expect("the app builds");
    let address = format!("http://{}", application.addr());
    let db = application.db().clone();
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client");
    TestApp {
        address,
        client,
        db,
        _database: database,
    }
}

pub fn test_config(database_url: &str, extra: &[(&str, &str)]) -> Config {
    let templates = workspace_path("templates");
    let statics = workspace_path("static");
    let mut vars: Vec<(&str, &str)> = vec![
        ("APP_ENV", "test"),
        ("APP_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", database_url),
        ("APP_DB_MAX_CONNECTIONS", "5"),
        ("APP_TEMPLATES_DIR", templates.to_str().expect("utf-8 path")),
        ("APP_STATIC_DIR", statics.to_str().expect("utf-8 path")),
        // Nothing in the tests may reach the internet: port 9 (discard) on loopback refuses.
        ("APP_TODOS_API_URL", "http://127.0.0.1:9"),
    ];
    vars.extend_from_slice(extra);
    Config::from_vars(vars).expect("the test configuration is valid")
}

/// A path from the workspace root (tests run with the package folder as working directory).
pub fn workspace_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::PATCH, path, body).await
    }

    async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> Response {
        self.client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a product through the API and returns its JSON.
    pub async fn create_product(&self, name: &str, price_cents: i64) -> Value {
        let response = self
            .post_json(
                "/api/products",
                &serde_json::json!({ "name": name, "price_cents": price_cents }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("JSON body")
    }

    pub async fn product_count(&self) -> u64 {
        db::products::list(&self.db, 1, 0)
            .await
            .expect("count")
            .total
    }
}

/// Reads a problem+json body, checking its content type and that `status` matches the response.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["status"], status.as_u16());
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "problem without {field}: {body}");
    }
    body
}

/// Reads an HTML body, checking status and content type.
pub async fn html(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    response.text().await.expect("text body")
}

pub struct TestDatabase {
    pub url: String,
    kind: Kind,
}

enum Kind {
    Sqlite(#[allow(dead_code, reason = "kept for its Drop")] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.trim().is_empty() => Self::postgres(admin_url).await,
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self {
            url,
            kind: Kind::Sqlite(dir),
        }
    }

    async fn postgres(admin_url: String) -> Self {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL points at a PostgreSQL server that answers");
        admin
            .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
            .await
            .expect("CREATE DATABASE");
        let _ = admin.close().await;
        Self {
            url: db::with_database_name(&admin_url, &name),
            kind: Kind::Postgres { admin_url, name },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Kind::Postgres { admin_url, name } = &self.kind else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: use a runtime of our own
        // on another thread. FORCE ends the app's still-open connections.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!(
                        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                    ))
                    .await?;
                admin.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database");
        }
    }
}

fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            app::telemetry::init("debug,sqlx=warn", app::config::LogFormat::Text);
        }
    });
}
