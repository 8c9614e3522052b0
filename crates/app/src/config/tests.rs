//! Reading and checking the configuration.

#![allow(clippy::unwrap_used, reason = "test code")]

use super::*;

fn errors(vars: &[(&str, &str)]) -> Vec<String> {
    Config::from_vars(vars.iter().copied())
        .err()
        .map(|e| e.0)
        .unwrap_or_default()
}

#[test]
fn with_nothing_set_the_defaults_run_on_sqlite() {
    let config = Config::from_vars([]).ok();
    let config = config.as_ref();
    assert_eq!(config.map(|c| c.env), Some(Environment::Development));
    assert_eq!(
        config.map(|c| c.addr.to_string()),
        Some("127.0.0.1:3000".into())
    );
    assert_eq!(
        config.map(|c| c.db.redacted_url()),
        Some(DbConfig::DEFAULT_URL.into())
    );
    assert_eq!(config.map(|c| c.web.reload_templates), Some(true));
}

#[test]
fn production_refuses_a_missing_default_or_short_secret_key() {
    let prod = ("APP_ENV", "production");
    let hosts = ("APP_ALLOWED_HOSTS", "example.com");
    assert_eq!(
        errors(&[prod, hosts]),
        vec!["APP_SECRET_KEY: required in production"]
    );
    assert!(
        errors(&[prod, hosts, ("APP_SECRET_KEY", DEV_SECRET_KEY)])[0]
            .contains("example/development")
    );
    assert!(
        errors(&[prod, hosts, ("APP_SECRET_KEY", EXAMPLE_SECRET_KEY)])[0]
            .contains("example/development")
    );
    assert!(errors(&[prod, hosts, ("APP_SECRET_KEY", "short")])[0].contains("at least 32"));
    assert!(errors(&[prod, hosts, ("APP_SECRET_KEY", &"k".repeat(32))]).is_empty());
}

#[test]
fn production_needs_allowed_hosts_and_defaults_to_secure_cookies_and_hsts() {
    let prod = ("APP_ENV", "production");
    let key = ("APP_SECRET_KEY", "k".repeat(32));
    let key = (key.0, key.1.as_str());
    let problems = errors(&[prod, key]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("APP_ALLOWED_HOSTS: required in production"));

    let config =
        Config::from_vars([prod, key, ("APP_ALLOWED_HOSTS", "a.example, b.example")]).unwrap();
    let security = &config.web.security;
    assert_eq!(security.allowed_hosts, vec!["a.example", "b.example"]);
    assert!(security.secure_cookies);
    assert_eq!(security.session_cookie_name(), "__Host-session");
    assert!(security.hsts_max_age.is_some());
    assert!(
        deploy_problems(&config).is_empty(),
        "{:?}",
        deploy_problems(&config)
    );

    let dev = Config::from_vars([]).unwrap();
    assert!(!dev.web.security.secure_cookies);
    assert_eq!(dev.web.security.session_cookie_name(), "session");
    assert!(dev.web.security.hsts_max_age.is_none());
}

#[test]
fn the_deploy_check_names_every_problem_of_a_development_config() {
    let config = Config::from_vars([("APP_CORS_ORIGINS", "*")]).unwrap();
    let problems = deploy_problems(&config).join("\n");
    for needle in [
        "APP_ENV is development",
        "APP_SECRET_KEY",
        "APP_ALLOWED_HOSTS is empty",
        "APP_SECURE_COOKIES is false",
        "APP_HSTS_SECS is off",
        "APP_CORS_ORIGINS is `*`",
    ] {
        assert!(
            problems.contains(needle),
            "missing {needle:?} in:\n{problems}"
        );
    }
}

#[test]
fn origins_must_be_scheme_and_host() {
    let problems = errors(&[(
        "APP_TRUSTED_ORIGINS",
        "https://ok.example, evil.example/path",
    )]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("not an origin"));
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let problems = errors(&[
        ("APP_ENV", "staging"),
        ("APP_ADDR", "nowhere"),
        ("APP_DB_MAX_CONNECTIONS", "0"),
        ("APP_REQUEST_TIMEOUT_SECS", "-1"),
        ("DATABASE_URL", "mysql://x"),
    ]);
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("APP_ADDR: `nowhere`"))
    );
}

#[test]
fn the_todos_upstream_policy_is_configurable_and_checked() {
    let config = Config::from_vars([
        ("APP_TODOS_MAX_ATTEMPTS", "1"),
        ("APP_TODOS_DEADLINE_SECS", "0.5"),
        ("APP_TODOS_MAX_IN_FLIGHT", "1024"),
    ])
    .ok();
    let policy = config.as_ref().map(|c| c.api.todos_policy.clone());
    assert_eq!(policy.as_ref().map(|p| p.retry.max_attempts), Some(1));
    assert_eq!(
        policy.as_ref().map(|p| p.retry.deadline),
        Some(Duration::from_millis(500))
    );
    assert_eq!(policy.as_ref().map(|p| p.max_in_flight), Some(1024));
    assert_eq!(
        policy.and_then(|p| p.cache_ttl),
        Some(api::TODOS_CACHE_TTL),
        "on by default"
    );
    let off = Config::from_vars([("APP_TODOS_CACHE_TTL_SECS", "0")]).ok();
    assert_eq!(off.map(|c| c.api.todos_policy.cache_ttl), Some(None));
    let problems = errors(&[
        ("APP_TODOS_MAX_ATTEMPTS", "0"),
        ("APP_TODOS_MAX_IN_FLIGHT", "lots"),
    ]);
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn describe_hides_secrets_and_names_sources() {
    let config = Config::from_vars([
        ("APP_SECRET_KEY", "a-very-secret-value-that-must-not-print"),
        ("DATABASE_URL", "postgres://app:hunter2@db/app"),
    ]);
    let text = config.map(|c| c.describe()).unwrap_or_default();
    assert!(!text.contains("a-very-secret-value"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.contains("postgres://app:***@db/app  (environment)"),
        "{text}"
    );
    assert!(text.contains("APP_ADDR"), "{text}");
}

#[test]
fn jobs_settings_have_defaults_and_bad_ones_are_named() {
    let config = Config::from_vars([]).ok();
    let jobs = config.as_ref().map(|c| &c.jobs);
    assert_eq!(jobs.map(|j| j.in_process), Some(true));
    assert_eq!(jobs.map(|j| j.mailer.as_str()), Some("log"));
    assert_eq!(
        jobs.map(|j| j.exports_dir()),
        Some(std::path::PathBuf::from("data/exports"))
    );

    let problems = errors(&[
        ("APP_JOBS_CONCURRENCY", "0"),
        ("APP_JOBS_LEASE_SECS", "soon"),
        ("APP_MAILER", "pigeon://coop"),
        ("APP_JOBS_IN_PROCESS", "maybe"),
    ]);
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("APP_MAILER") && p.contains("pigeon://coop"))
    );

    // An SMTP URL is checked without building a transport (no runtime here).
    let smtp = Config::from_vars([("APP_MAILER", "smtp://mailpit:1025")]);
    assert!(smtp.is_ok());
}
