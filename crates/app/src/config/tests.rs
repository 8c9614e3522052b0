//! Reading and checking the configuration.

use super::*;

fn errors(vars: &[(&str, &str)]) -> Vec<String> {
    Config::from_vars(vars.iter().copied())
        .err()
        .map(|e| e.0)
        .unwrap_or_default()
}

#[test]
fn with_nothing_set_the_defaults_run_on_sqlite() {
    let config = Config::from_vars([]).unwrap();
    assert_eq!(config.env, Environment::Development);
    assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(config.db.redacted_url(), DbConfig::DEFAULT_URL);
    assert!(config.web.reload_templates);
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
    assert_eq!(
        security.session_cookie_name(),
        format!("__Host-{}", web::SESSION_COOKIE)
    );
    assert!(security.hsts_max_age.is_some());
    assert!(
        deploy_problems(&config).is_empty(),
        "{:?}",
        deploy_problems(&config)
    );

    let dev = Config::from_vars([]).unwrap();
    assert!(!dev.web.security.secure_cookies);
    assert_eq!(dev.web.security.session_cookie_name(), web::SESSION_COOKIE);
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
fn trusted_proxies_are_addresses_or_networks() {
    let problems = errors(&[("APP_TRUSTED_PROXIES", "10.0.0.0/8, the-proxy")]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("APP_TRUSTED_PROXIES: `the-proxy`"));
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

const EXAMPLE: api_client::UpstreamSpec = api_client::upstream_spec!(
    "example",
    "EXAMPLE",
    "https://api.example.com",
    Some(Duration::from_secs(30))
);

/// Reads the outbound-HTTP section, with [`EXAMPLE`] as the only upstream, from `vars`.
fn read_api(vars: &[(&str, &str)]) -> (ApiClientConfig, Vec<String>) {
    let lookup = |key: &str| {
        let found = vars.iter().find(|(k, _)| *k == key);
        found.map(|(_, v)| ((*v).to_owned(), Source::Environment))
    };
    let mut reader = Reader {
        lookup: &lookup,
        errors: Vec::new(),
        sources: HashMap::new(),
    };
    let config = api::read(&mut reader, &[&EXAMPLE]);
    (config, reader.errors)
}

#[test]
fn an_upstreams_url_and_policy_are_read_from_its_own_variables() {
    let (config, problems) = read_api(&[
        ("APP_EXAMPLE_API_URL", "http://127.0.0.1:9"),
        ("APP_EXAMPLE_MAX_ATTEMPTS", "1"),
        ("APP_EXAMPLE_DEADLINE_SECS", "0.5"),
        ("APP_EXAMPLE_MAX_IN_FLIGHT", "1024"),
    ]);
    assert_eq!(problems, Vec::<String>::new());
    let example = config.upstream_config(&EXAMPLE);
    assert_eq!(example.base_url, "http://127.0.0.1:9");
    let policy = &example.policy;
    assert_eq!(policy.retry.max_attempts, 1);
    assert_eq!(policy.retry.deadline, Duration::from_millis(500));
    assert_eq!(policy.max_in_flight, 1024);
    assert_eq!(
        policy.cache_ttl,
        Some(Duration::from_secs(30)),
        "the spec's default"
    );
    let (off, _) = read_api(&[("APP_EXAMPLE_CACHE_TTL_SECS", "0")]);
    assert_eq!(off.upstream_config(&EXAMPLE).policy.cache_ttl, None);
    let rows = api::describe(&off, &[&EXAMPLE]);
    assert!(rows.contains(&("APP_EXAMPLE_CACHE_TTL_SECS", "0 (off)".to_owned())));
}

#[test]
fn an_upstreams_bad_values_are_named() {
    let (_, problems) = read_api(&[
        ("APP_EXAMPLE_MAX_ATTEMPTS", "0"),
        ("APP_EXAMPLE_MAX_IN_FLIGHT", "lots"),
        ("APP_EXAMPLE_API_URL", "ftp://example.com"),
    ]);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[0].starts_with("APP_EXAMPLE_API_URL"),
        "{problems:?}"
    );
}

#[test]
fn describe_hides_secrets_and_names_sources() {
    let config = Config::from_vars([
        ("APP_SECRET_KEY", "a-very-secret-value-that-must-not-print"),
        ("DATABASE_URL", "postgres://app:hunter2@db/app"),
    ]);
    let text = config.unwrap().describe();
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
    let config = Config::from_vars([]).unwrap();
    let jobs = &config.jobs;
    assert!(jobs.in_process);
    assert_eq!(jobs.mailer.as_str(), "log");
    assert_eq!(jobs.data_dir, std::path::PathBuf::from("data"));

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
    smtp.unwrap();
}

#[test]
fn the_metrics_address_turns_request_metrics_on() {
    let problems = errors(&[("APP_METRICS_ADDR", "localhost:9000")]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("APP_METRICS_ADDR: `localhost:9000`"));
    let config = Config::from_vars([("APP_METRICS_ADDR", "127.0.0.1:9000")]).unwrap();
    assert!(config.web.metrics);
    assert!(!Config::from_vars([]).unwrap().web.metrics);
}

#[test]
fn email_verification_and_the_public_url_are_checked() {
    let config = Config::from_vars([
        ("APP_EMAIL_VERIFICATION", "Required"),
        ("APP_PUBLIC_URL", "https://Example.com/"),
    ])
    .unwrap();
    assert_eq!(
        config.web.accounts.email_verification,
        web::EmailVerification::Required
    );
    assert_eq!(
        config.web.accounts.public_url.as_deref(),
        Some("https://example.com")
    );
    let problems = errors(&[
        ("APP_EMAIL_VERIFICATION", "sometimes"),
        ("APP_PUBLIC_URL", "example.com/app"),
    ]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("APP_EMAIL_VERIFICATION: `sometimes` is not"));
    assert!(problems[1].starts_with("APP_PUBLIC_URL: "));
}
