//! The database section of the app's configuration.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `sqlite://path?mode=rwc` or `postgres://user:password@host/db`. Secret: it may hold a password.
    pub url: SecretString,
    /// The pool's size; on PostgreSQL also the size of the read connections' pool (`Reads`).
    pub max_connections: u32,
    /// SQLite: threads serving reads, each with a read-only connection (see `Reads`); one per
    /// core by default. Unused on PostgreSQL.
    pub readers: usize,
    pub acquire_timeout: Duration,
    /// Log every SQL statement (at `debug`); slow ones are logged at `warn` regardless.
    pub log_statements: bool,
}

impl DbConfig {
    pub const DEFAULT_URL: &str = "sqlite://data/async-starter.db?mode=rwc";

    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: SecretString::from(url.into()),
            max_connections: 10,
            readers: std::thread::available_parallelism().map_or(2, usize::from),
            acquire_timeout: Duration::from_secs(5),
            log_statements: false,
        }
    }

    /// The URL with any password replaced by `***`, fit for logs and `app check`.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

impl Default for DbConfig {
    fn default() -> Self {
        Self::new(Self::DEFAULT_URL)
    }
}

/// The same server URL pointing at another database:
/// `postgres://u@h:5432/postgres?sslmode=disable` + `x` → `postgres://u@h:5432/x?sslmode=disable`.
/// Tests and the benchmark use it to create databases of their own on a server.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}/{name}{query}", &base[..host_end])
}

fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{redact_url, with_database_name};

    #[test]
    fn another_database_on_the_same_server_keeps_the_options() {
        assert_eq!(
            with_database_name("postgres://u@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5432/t1?sslmode=disable"
        );
        assert_eq!(
            with_database_name("postgres://u@h", "t2"),
            "postgres://u@h/t2"
        );
    }

    #[test]
    fn a_password_in_the_url_is_hidden() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/app?sslmode=require"),
            "postgres://app:***@db:5432/app?sslmode=require"
        );
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        assert_eq!(redact_url("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(
            redact_url("sqlite://data/async-starter.db?mode=rwc"),
            "sqlite://data/async-starter.db?mode=rwc"
        );
    }
}
