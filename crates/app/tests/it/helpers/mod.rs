//! The test harness: `spawn_app()` boots the real application on 127.0.0.1:0 with a database of
//! its own, so every test runs in parallel with the others.
//!
//! The database is a temporary SQLite file, or, when `TEST_DATABASE_URL` points at a PostgreSQL
//! server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), a fresh database on that server,
//! dropped when the test ends. Set `TEST_LOG=1` to see the app's logs.
//!
//! The app starts with one administrator, [`ADMIN_EMAIL`], signed in on `client` (a cookie jar
//! that sends this site's `Origin`), and an API token for it that the JSON helpers send. Tests of
//! anonymous or other users use [`TestApp::anonymous`] and [`TestApp::sign_up`].

use std::{
    path::PathBuf,
    sync::{Once, OnceLock},
};

use app::{Application, Config};
use reqwest::{Response, StatusCode, header};
use sea_orm::DatabaseConnection;
use serde_json::Value;

mod database;
mod process;

pub use database::TestDatabase;
pub use process::serve_process;
#[allow(unused_imports, reason = "the stack tests (tests/stack) use them")]
pub use process::{ServeProcess, free_port, serve_process_at};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin password 123";

pub struct TestApp {
    pub address: String,
    /// Signed in as the administrator; does not follow redirects, so tests see the 303s.
    pub client: reqwest::Client,
    /// The administrator's API token, sent by the JSON helpers.
    pub token: String,
    /// The administrator, as the maker of changes made straight through `db`.
    pub admin: db::Actor,
    /// The CSRF token of `client`'s session, added to forms by [`TestApp::post_form`].
    pub csrf: String,
    /// The app's own pool.
    pub db: DatabaseConnection,
    /// The app's publish/subscribe hub (a test's own worker publishes job progress on it).
    pub hub: db::Hub,
    /// `APP_DATA_DIR` (exports, uploads), unless the test set its own.
    pub data_dir: PathBuf,
    /// Where `/metrics` is served, when the test set `APP_METRICS_ADDR`.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Sends the app its shutdown signal (as SIGTERM would); see [`TestApp::stop`].
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _data: tempfile::TempDir,
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
    let data = tempfile::tempdir().expect("a temporary folder");
    let data_path = data.path().to_str().expect("utf-8 path").to_owned();
    let mut vars = vec![("APP_DATA_DIR", data_path.as_str())];
    vars.extend_from_slice(extra);
    let config = test_config(&database.url, &vars);
    let application = Application::build(&config).await.expect("the app builds");
    let address = format!("http://{}", application.addr());
    let db = application.db().clone();
    db::fixtures::create_table(&db)
        .await
        .expect("the test fixtures' table is created");
    let hub = application.hub().clone();
    let metrics_addr = application.metrics_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(application.run_until_stopped(async move {
        // Only an explicit stop ends the app, not a dropped sender.
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    }));
    let admin = create_user(&db, ADMIN_EMAIL, true).await;
    let token = create_token(&db, admin.id, "tests").await;
    let client = browser(&address);
    let csrf = sign_in(&client, &address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    TestApp {
        address,
        client,
        token,
        admin: db::Actor {
            user_id: admin.id,
            is_admin: true,
        },
        csrf,
        db,
        hub,
        data_dir: config.jobs.data_dir.clone(),
        metrics_addr,
        stop: Some(stop),
        running: Some(running),
        _data: data,
        _database: database,
    }
}

// [demo:chat begin]
/// A chat client builder whose reads give up after 30 s, so a lost message fails its test
/// instead of hanging it.
pub fn chat_builder(url: &str) -> web::chat::client::Builder {
    web::chat::client::ChatClient::builder(url).read_timeout(std::time::Duration::from_secs(30))
}
// [demo:chat end]

/// What the app's own worker runs jobs with, on `app`'s database and hub, writing under
/// `data_dir`: for a test that runs the jobs itself (`jobs::kinds::runner`).
pub fn job_services(app: &TestApp, data_dir: &std::path::Path) -> jobs::Services {
    jobs::Services {
        db: app.db.clone(),
        queue: jobs::Queue::new(app.db.clone(), db::Hub::new(app.db.clone(), 16)),
        mailer: jobs::Mailer::new("memory", "App <app@example.com>").unwrap(),
        api: api_client::ApiClients::new(&api_client::ApiClientConfig::default()).unwrap(),
        offload: offload::Offload::new(1),
        storage: storage::Storage::open(&storage::StorageConfig::Local {
            root: data_dir.to_owned(),
        })
        .unwrap(),
        scratch_dir: data_dir.join("tmp"),
        notify_email: "team@example.com".into(),
        hub: app.hub.clone(),
        image_max_pixels: 40_000_000,
        export_batch: jobs::kinds::DEFAULT_EXPORT_BATCH,
    }
}

/// A PNG of one colour, `width`×`height`, for upload tests.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([10, 120, 200]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

// [demo:images begin]
/// A PNG whose header reads (so an upload accepts it) but whose pixel data is garbage (so the
/// thumbnail job cannot decode it).
pub fn png_with_garbage_pixels() -> Vec<u8> {
    let mut broken = png(64, 64);
    let idat = broken.windows(4).position(|w| w == b"IDAT").unwrap() + 4;
    broken[idat..idat + 16].fill(0x5a);
    broken
}
// [demo:images end]

/// A client like a browser on this site: keeps cookies, sends `Origin`, does not follow redirects.
pub fn browser(address: &str) -> reqwest::Client {
    app::install_crypto_provider();
    let mut headers = header::HeaderMap::new();
    headers.insert(
        header::ORIGIN,
        header::HeaderValue::from_str(address).expect("an origin"),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .expect("a reqwest client")
}

/// Hashing costs tens of milliseconds: the test password is hashed once per test binary.
pub fn password_hash(password: &str) -> String {
    static HASHES: OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
        OnceLock::new();
    let hashes = HASHES.get_or_init(Default::default);
    let mut hashes = hashes.lock().unwrap();
    hashes
        .entry(password.to_owned())
        .or_insert_with(|| web::auth::password::hash_blocking(password).unwrap())
        .clone()
}

/// A user with the password [`ADMIN_PASSWORD`] and a confirmed address, straight into the
/// database.
pub async fn create_user(db: &DatabaseConnection, email: &str, is_admin: bool) -> db::users::User {
    let user = create_unconfirmed_user(db, email, is_admin).await;
    assert!(
        db::users::mark_verified(db, user.id, &user.email)
            .await
            .unwrap()
    );
    db::users::get(db, user.id).await.unwrap()
}

/// The same, with the address not confirmed (as a sign-up leaves it).
pub async fn create_unconfirmed_user(
    db: &DatabaseConnection,
    email: &str,
    is_admin: bool,
) -> db::users::User {
    let email = db::users::Email::parse(email).unwrap();
    let hash = tokio::task::spawn_blocking(|| password_hash(ADMIN_PASSWORD))
        .await
        .unwrap();
    db::users::create(db, &email, &hash, is_admin)
        .await
        .unwrap()
}

pub async fn create_token(db: &DatabaseConnection, user_id: i64, name: &str) -> String {
    web::auth::tokens::issue(db, user_id, name).await.unwrap().0
}

/// Signs `client` in through the JSON endpoint; returns the session's CSRF token.
pub async fn sign_in(
    client: &reqwest::Client,
    address: &str,
    email: &str,
    password: &str,
) -> String {
    let response = client
        .post(format!("{address}/api/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK, "signing in as {email}");
    let body: Value = response.json().await.expect("JSON body");
    body["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_owned()
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
        ("APP_TODOS_API_URL", "http://127.0.0.1:9"), // [demo:todos]
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
    /// Sends the shutdown signal and waits for `run_until_stopped` to return (at most 60 s, so
    /// a drain that never ends fails the test instead of hanging it).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let running = self.running.take().expect("the app is running");
        tokio::time::timeout(std::time::Duration::from_secs(60), running)
            .await
            .expect("the app stopped within 60 s")
            .expect("the app's task did not panic")
    }

    /// Sends the shutdown signal (as SIGTERM would) without waiting for the app to stop.
    pub fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

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

    // [demo:chat begin]
    /// `ws://…{path}` on this app.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws{}{}", self.address.trim_start_matches("http"), path)
    }

    /// A chat client in `room` as the administrator (by API token).
    pub async fn chat(&self, room: &str) -> web::chat::client::ChatClient {
        self.chat_client(room)
            .header("authorization", &format!("Bearer {}", self.token))
            .connect()
            .await
            .expect("the chat socket opens")
    }

    /// A chat client builder for `room` with this site's `Origin` and no credentials.
    pub fn chat_client(&self, room: &str) -> web::chat::client::Builder {
        chat_builder(&self.ws_url(&format!("/ws/chat/{room}"))).header("origin", &self.address)
    }
    // [demo:chat end]

    /// Another `app serve` on this app's database (a second replica), with its address.
    pub async fn replica(&self, extra: &[(&str, &str)]) -> String {
        let data = self.data_dir.to_str().expect("utf-8 path");
        let mut vars = vec![("APP_DATA_DIR", data), ("APP_MIGRATE_ON_START", "false")];
        vars.extend_from_slice(extra);
        let config = test_config(self.database_url(), &vars);
        let application = Application::build(&config)
            .await
            .expect("the replica builds");
        let address = format!("http://{}", application.addr());
        tokio::spawn(application.run_until_stopped(std::future::pending()));
        address
    }

    /// Whether the tests run on PostgreSQL (`TEST_DATABASE_URL`).
    pub fn on_postgres(&self) -> bool {
        self.database_url().starts_with("postgres")
    }

    /// The app's database URL (for running the `app` binary against it).
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// A client with no cookies: a visitor who is not signed in.
    pub fn anonymous(&self) -> reqwest::Client {
        browser(&self.address)
    }

    /// A new (non-admin) user signed in on a new browser: `(client, csrf token, user)`.
    pub async fn sign_up(&self, email: &str) -> (reqwest::Client, String, db::users::User) {
        let user = create_user(&self.db, email, false).await;
        let client = self.anonymous();
        let csrf = sign_in(&client, &self.address, email, ADMIN_PASSWORD).await;
        (client, csrf, user)
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
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    // [demo:products begin]
    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request sent")
    }
    // [demo:products end]

    /// Posts a form as the signed-in browser, with the session's CSRF token added.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let mut form = form.to_vec();
        form.push(("csrf_token", &self.csrf));
        self.client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("request sent")
    }

    // [demo:products begin]
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
        db::products::count(&self.db).await.expect("count")
    }
    // [demo:products end]

    /// Creates a note (the engine's test fixture, `/api/test/notes`) and returns its JSON.
    pub async fn create_note(&self, body: &str) -> Value {
        let body = serde_json::json!({ "body": body });
        let response = self.post_json("/api/test/notes", &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("JSON body")
    }

    pub async fn note_count(&self) -> u64 {
        db::fixtures::count(&self.db).await.expect("count")
    }
}

/// Reads a problem+json body, checking its content type and that `status` matches the response.
/// In Prometheus text (`/metrics`), the value of the first sample of `name` whose labels include
/// every one of `labels` (`route="/login"`).
#[allow(dead_code, reason = "the metrics, todos and stack tests use it")]
pub fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

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

fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            drop(app::telemetry::init(
                "debug,sqlx=warn",
                app::config::LogFormat::Text,
                None,
            ));
        }
    });
}
