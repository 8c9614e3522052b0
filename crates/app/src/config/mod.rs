//! Typed configuration, read once at start-up from the environment and an optional `.env` file.
//!
//! Each crate owns its section (`DbConfig`, `WebConfig`, `ApiClientConfig`); this module composes
//! them. Every variable the app reads is listed by [`variables`] and documented in `.env.example`
//! (a test keeps the two in step). A real environment variable wins over the same one in `.env`.

use std::{collections::HashMap, fmt, net::SocketAddr, str::FromStr, time::Duration};

mod api;
mod chat; // [demo:chat]
mod jobs;
mod observability;
mod parse;
mod realtime;
mod security;
mod server;
mod storage;

pub use jobs::JobsConfig;
pub use observability::Otlp;
pub use security::deploy_problems;

use api_client::ApiClientConfig;
use db::DbConfig;
use secrecy::{ExposeSecret, SecretString};
use web::WebConfig;

use parse::{
    Reader, check_secret_key, parse_bool, parse_path, parse_positive, parse_secs, read_dotenv, secs,
};

/// Every environment variable the app reads.
pub fn variables() -> Vec<&'static str> {
    let mut all = VARIABLES.to_vec();
    all.extend(chat::VARIABLES); // [demo:chat]
    all.extend(
        api_client::UPSTREAMS
            .iter()
            .flat_map(|spec| spec.vars.all()),
    );
    all
}

/// The variables of every section but the upstreams' (each upstream declares its own).
const VARIABLES: &[&str] = &[
    "APP_ENV",
    "APP_ADDR",
    "APP_METRICS_ADDR",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "APP_SECRET_KEY",
    "DATABASE_URL",
    "APP_DB_MAX_CONNECTIONS",
    "APP_DB_READERS",
    "APP_DB_ACQUIRE_TIMEOUT_SECS",
    "APP_DB_LOG_STATEMENTS",
    "APP_MIGRATE_ON_START",
    "APP_REQUEST_TIMEOUT_SECS",
    "APP_BODY_LIMIT_BYTES",
    "APP_HEADER_READ_TIMEOUT_SECS",
    "APP_IDLE_TIMEOUT_SECS",
    "APP_MAX_HEADER_BYTES",
    "APP_MAX_HEADERS",
    "APP_SHUTDOWN_DELAY_SECS",
    "APP_DRAIN_TIMEOUT_SECS",
    "APP_TEMPLATES_DIR",
    "APP_STATIC_DIR",
    "APP_TEMPLATE_RELOAD",
    "APP_HTTP_CONNECT_TIMEOUT_SECS",
    "APP_HTTP_TIMEOUT_SECS",
    "APP_JOBS_IN_PROCESS",
    "APP_JOBS_CONCURRENCY",
    "APP_JOBS_LEASE_SECS",
    "APP_JOBS_GRACE_SECS",
    "APP_JOBS_POLL_SECS",
    "APP_MAILER",
    "APP_MAIL_FROM",
    "APP_NOTIFY_EMAIL",
    "APP_DATA_DIR",
    "APP_STORAGE",
    "APP_S3_BUCKET",
    "APP_S3_REGION",
    "APP_S3_ENDPOINT",
    "APP_S3_ACCESS_KEY_ID",
    "APP_S3_SECRET_ACCESS_KEY",
    "APP_S3_SIGNED_URL_SECS",
    "APP_ALLOWED_HOSTS",
    "APP_TRUSTED_ORIGINS",
    "APP_TRUSTED_PROXIES",
    "APP_CORS_ORIGINS",
    "APP_SECURE_COOKIES",
    "APP_SESSION_TTL_SECS",
    "APP_HSTS_SECS",
    "APP_AUTH_RATE_LIMIT",
    "APP_AUTH_RATE_WINDOW_SECS",
    "APP_AUTH_LOCKOUT_MAX_SECS",
    "APP_EMAIL_VERIFICATION",
    "APP_PUBLIC_URL",
    "APP_PASSWORD_HASHERS",
    "APP_UPLOAD_MAX_BYTES",
    "APP_UPLOAD_MAX_PIXELS",
    "APP_UPLOAD_TIMEOUT_SECS",
    "RUST_LOG",
    "APP_LOG_FORMAT",
];

/// The key used when none is set outside production. Production refuses it.
const DEV_SECRET_KEY: &str = "dev-only-insecure-secret-key-change-me-0000";
/// The placeholder in `.env.example`; production refuses it too.
const EXAMPLE_SECRET_KEY: &str = "replace-me-with-at-least-32-random-characters";
pub const MIN_SECRET_KEY_LEN: usize = 32;
/// PostgreSQL's NOTICEs ("relation already exists, skipping") are not worth an info line.
const DEFAULT_LOG_FILTER: &str = "info,sqlx::postgres::notice=warn";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
    Test,
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            "test" => Ok(Self::Test),
            other => Err(format!(
                "`{other}` is not an environment: use development, production or test"
            )),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Development => "development",
            Self::Production => "production",
            Self::Test => "test",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "pretty" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("`{other}` is not a log format: use text or json")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub addr: SocketAddr,
    /// Where `/metrics` is served (its own listener); `None`: no metrics are recorded.
    pub metrics_addr: Option<SocketAddr>,
    /// Signs sessions and tokens. Never printed.
    pub secret_key: SecretString,
    pub migrate_on_start: bool,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// Traces over OTLP, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    pub otlp: Option<Otlp>,
    pub db: DbConfig,
    pub web: WebConfig,
    pub api: ApiClientConfig,
    pub jobs: JobsConfig,
    /// Where uploads and exports are kept (`APP_STORAGE`): under `APP_DATA_DIR`, or S3.
    pub storage: ::storage::StorageConfig,
    /// Where each variable's value came from, for `app check`.
    sources: HashMap<&'static str, Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Environment,
    DotEnv,
}

/// Everything wrong with the configuration, so one run shows every problem.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads the process environment, then `.env` in the working directory if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        match Self::from_env_with_errors()? {
            (config, errors) if errors.is_empty() => Ok(config),
            (_, errors) => Err(ConfigError(errors)),
        }
    }

    /// Like [`Config::from_env`], but a bad value does not stop the reading: the configuration
    /// (with defaults where values were bad) comes back beside the list of problems, so
    /// `app check --deploy` can report everything at once. Fails only on an unreadable `.env`.
    pub fn from_env_with_errors() -> Result<(Self, Vec<String>), ConfigError> {
        let dotenv = read_dotenv(".env")?;
        Ok(Self::read(|key| {
            std::env::var(key)
                .ok()
                .map(|v| (v, Source::Environment))
                .or_else(|| dotenv.get(key).map(|v| (v.clone(), Source::DotEnv)))
        }))
    }

    /// Builds the configuration from explicit variables (tests use this).
    pub fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ConfigError> {
        let map: HashMap<&str, &str> = vars.into_iter().collect();
        Self::from_lookup(|key| map.get(key).map(|v| ((*v).to_owned(), Source::Environment)))
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<(String, Source)>) -> Result<Self, ConfigError> {
        match Self::read(lookup) {
            (config, errors) if errors.is_empty() => Ok(config),
            (_, errors) => Err(ConfigError(errors)),
        }
    }

    fn read(lookup: impl Fn(&str) -> Option<(String, Source)>) -> (Self, Vec<String>) {
        let mut r = Reader {
            lookup: &lookup,
            errors: Vec::new(),
            sources: HashMap::new(),
        };
        let env = r.parse("APP_ENV", Environment::Development, str::parse);
        let dev = env != Environment::Production;

        let secret_key = r.get("APP_SECRET_KEY");
        let secret_key = match (env, secret_key) {
            (Environment::Production, None) => {
                r.errors
                    .push("APP_SECRET_KEY: required in production".into());
                String::new()
            }
            (Environment::Production, Some(key)) => {
                if let Err(problem) = check_secret_key(&key) {
                    r.errors.push(format!("APP_SECRET_KEY: {problem}"));
                }
                key
            }
            (_, key) => key.unwrap_or_else(|| DEV_SECRET_KEY.to_owned()),
        };

        let defaults = WebConfig::default();
        let mut web = WebConfig {
            templates_dir: r.parse("APP_TEMPLATES_DIR", defaults.templates_dir, parse_path),
            static_dir: r.parse("APP_STATIC_DIR", defaults.static_dir, parse_path),
            reload_templates: r.parse(
                "APP_TEMPLATE_RELOAD",
                env == Environment::Development,
                parse_bool,
            ),
            request_timeout: r.parse(
                "APP_REQUEST_TIMEOUT_SECS",
                defaults.request_timeout,
                parse_secs,
            ),
            body_limit: r.parse("APP_BODY_LIMIT_BYTES", defaults.body_limit, parse_positive),
            static_max_age: if env == Environment::Development {
                Duration::ZERO
            } else {
                defaults.static_max_age
            },
            security: security::read(&mut r, env),
            accounts: security::read_accounts(&mut r),
            chat: chat::read(&mut r), // [demo:chat]
            uploads: defaults.uploads,
            server: server::read(&mut r),
            password_hashers: r.parse(
                "APP_PASSWORD_HASHERS",
                defaults.password_hashers,
                parse_positive,
            ),
            // Set below, with APP_METRICS_ADDR.
            metrics: false,
        };

        let mut db = DbConfig::new(
            r.get("DATABASE_URL")
                .unwrap_or_else(|| DbConfig::DEFAULT_URL.to_owned()),
        );
        db.max_connections = r.parse("APP_DB_MAX_CONNECTIONS", db.max_connections, parse_positive);
        db.readers = r.parse("APP_DB_READERS", db.readers, parse_positive);
        db.acquire_timeout = r.parse(
            "APP_DB_ACQUIRE_TIMEOUT_SECS",
            db.acquire_timeout,
            parse_secs,
        );
        db.log_statements = r.parse("APP_DB_LOG_STATEMENTS", false, parse_bool);
        let url = db.url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            r.errors.push(format!(
                "DATABASE_URL: `{}` is neither a sqlite:// nor a postgres:// URL",
                db.redacted_url()
            ));
        }

        let (metrics_addr, otlp) = observability::read(&mut r);
        web.metrics = metrics_addr.is_some();
        let api = api::read(&mut r, api_client::UPSTREAMS);
        let jobs = JobsConfig::read(&mut r);
        web.uploads = realtime::read_uploads(&mut r, &jobs.data_dir);
        let storage = storage::read(&mut r, &jobs.data_dir);

        let config = Config {
            env,
            addr: r.parse("APP_ADDR", SocketAddr::from(([127, 0, 0, 1], 3000)), |s| {
                s.parse()
                    .map_err(|_| format!("`{s}` is not an address like 127.0.0.1:3000"))
            }),
            metrics_addr,
            secret_key: SecretString::from(secret_key),
            migrate_on_start: r.parse("APP_MIGRATE_ON_START", true, parse_bool),
            log_filter: r
                .get("RUST_LOG")
                .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned()),
            log_format: r.parse(
                "APP_LOG_FORMAT",
                if dev {
                    LogFormat::Text
                } else {
                    LogFormat::Json
                },
                str::parse,
            ),
            otlp,
            db,
            web,
            api,
            jobs,
            storage,
            sources: std::mem::take(&mut r.sources),
        };
        (config, r.errors)
    }

    /// The effective configuration, one `NAME = value (source)` line per variable, secrets hidden.
    pub fn describe(&self) -> String {
        let secret = |s: &SecretString| {
            if s.expose_secret().is_empty() {
                "(not set)".to_owned()
            } else if s.expose_secret() == DEV_SECRET_KEY {
                "(built-in development key)".to_owned()
            } else {
                format!(
                    "(set, {} characters, hidden)",
                    s.expose_secret().chars().count()
                )
            }
        };
        let mut rows: Vec<(&str, String)> = vec![
            ("APP_ENV", self.env.to_string()),
            ("APP_ADDR", self.addr.to_string()),
            ("APP_SECRET_KEY", secret(&self.secret_key)),
            ("DATABASE_URL", self.db.redacted_url()),
            (
                "APP_DB_MAX_CONNECTIONS",
                self.db.max_connections.to_string(),
            ),
            ("APP_DB_READERS", self.db.readers.to_string()),
            ("APP_DB_ACQUIRE_TIMEOUT_SECS", secs(self.db.acquire_timeout)),
            ("APP_DB_LOG_STATEMENTS", self.db.log_statements.to_string()),
            ("APP_MIGRATE_ON_START", self.migrate_on_start.to_string()),
            ("APP_REQUEST_TIMEOUT_SECS", secs(self.web.request_timeout)),
            ("APP_BODY_LIMIT_BYTES", self.web.body_limit.to_string()),
            (
                "APP_TEMPLATES_DIR",
                self.web.templates_dir.display().to_string(),
            ),
            ("APP_STATIC_DIR", self.web.static_dir.display().to_string()),
            ("APP_TEMPLATE_RELOAD", self.web.reload_templates.to_string()),
            ("RUST_LOG", self.log_filter.clone()),
            (
                "APP_LOG_FORMAT",
                format!("{:?}", self.log_format).to_lowercase(),
            ),
        ];
        rows.extend(api::describe(&self.api, api_client::UPSTREAMS));
        rows.extend(server::describe(&self.web.server));
        rows.push((
            "APP_PASSWORD_HASHERS",
            self.web.password_hashers.to_string(),
        ));
        rows.extend(security::describe(&self.web.security));
        rows.extend(security::describe_accounts(&self.web.accounts));
        rows.extend(self.jobs.describe());
        rows.extend(chat::describe(&self.web.chat)); // [demo:chat]
        rows.extend(realtime::describe(&self.web.uploads));
        rows.extend(storage::describe(&self.storage));
        rows.extend(observability::describe(
            self.metrics_addr,
            self.otlp.as_ref(),
        ));
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (key, value) in rows {
            let source = match self.sources.get(key) {
                Some(Source::Environment) => "environment",
                Some(Source::DotEnv) => ".env",
                None => "default",
            };
            out.push_str(&format!("{key:<width$} = {value}  ({source})\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests;
