//! The security variables (hosts, origins, cookies, HSTS, rate limits) and `app check --deploy`.

use std::time::Duration;

use secrecy::ExposeSecret;
use web::{AccountsConfig, EmailVerification, SecurityConfig};

use super::{
    Config, Environment, Source,
    parse::{Reader, check_secret_key, parse_bool, parse_positive, parse_secs, secs},
};

/// One year, as HSTS preload lists expect.
const DEFAULT_HSTS: Duration = Duration::from_secs(365 * 24 * 60 * 60);

pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
    env: Environment,
) -> SecurityConfig {
    let production = env == Environment::Production;
    let defaults = SecurityConfig::default();
    let allowed_hosts = r.parse("APP_ALLOWED_HOSTS", Vec::new(), parse_list);
    if production && allowed_hosts.is_empty() {
        r.errors.push(
            "APP_ALLOWED_HOSTS: required in production (the host names this app answers to, e.g. example.com,www.example.com)".into(),
        );
    }
    let hsts_max_age = r.parse(
        "APP_HSTS_SECS",
        production.then_some(DEFAULT_HSTS),
        |s| match s {
            "0" => Ok(None),
            other => parse_secs(other).map(Some),
        },
    );
    SecurityConfig {
        secure_cookies: r.parse("APP_SECURE_COOKIES", production, parse_bool),
        session_ttl: r.parse("APP_SESSION_TTL_SECS", defaults.session_ttl, parse_secs),
        allowed_hosts,
        trusted_origins: r.parse("APP_TRUSTED_ORIGINS", Vec::new(), parse_origins),
        trusted_proxies: r.parse(
            "APP_TRUSTED_PROXIES",
            Vec::new(),
            web::forwarded::parse_trusted,
        ),
        cors_origins: r.parse("APP_CORS_ORIGINS", Vec::new(), parse_cors),
        hsts_max_age,
        auth_rate_limit: r.parse(
            "APP_AUTH_RATE_LIMIT",
            defaults.auth_rate_limit,
            parse_positive,
        ),
        auth_rate_window: r.parse(
            "APP_AUTH_RATE_WINDOW_SECS",
            defaults.auth_rate_window,
            parse_secs,
        ),
        auth_lockout_max: r.parse(
            "APP_AUTH_LOCKOUT_MAX_SECS",
            defaults.auth_lockout_max,
            parse_secs,
        ),
    }
}

/// `APP_EMAIL_VERIFICATION` and `APP_PUBLIC_URL`.
pub(super) fn read_accounts<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
) -> AccountsConfig {
    AccountsConfig {
        email_verification: r.parse(
            "APP_EMAIL_VERIFICATION",
            EmailVerification::default(),
            EmailVerification::parse,
        ),
        public_url: r.parse("APP_PUBLIC_URL", None, |s| {
            let mut origins = parse_origins(s.trim_end_matches('/'))?;
            match (origins.pop(), origins.is_empty()) {
                (Some(url), true) => Ok(Some(url)),
                _ => Err("give one address, like https://example.com".into()),
            }
        }),
    }
}

pub(super) fn describe_accounts(a: &AccountsConfig) -> Vec<(&'static str, String)> {
    vec![
        (
            "APP_EMAIL_VERIFICATION",
            a.email_verification.as_str().to_owned(),
        ),
        (
            "APP_PUBLIC_URL",
            a.public_url
                .clone()
                .unwrap_or_else(|| "(not set: links use the request's host)".into()),
        ),
    ]
}

pub(super) fn describe(s: &SecurityConfig) -> Vec<(&'static str, String)> {
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_owned()
        } else {
            items.join(",")
        }
    };
    vec![
        ("APP_ALLOWED_HOSTS", list(&s.allowed_hosts)),
        ("APP_TRUSTED_ORIGINS", list(&s.trusted_origins)),
        (
            "APP_TRUSTED_PROXIES",
            list(
                &s.trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            ),
        ),
        ("APP_CORS_ORIGINS", list(&s.cors_origins)),
        ("APP_SECURE_COOKIES", s.secure_cookies.to_string()),
        ("APP_SESSION_TTL_SECS", secs(s.session_ttl)),
        (
            "APP_HSTS_SECS",
            s.hsts_max_age.map_or("0 (off)".to_owned(), secs),
        ),
        ("APP_AUTH_RATE_LIMIT", s.auth_rate_limit.to_string()),
        ("APP_AUTH_RATE_WINDOW_SECS", secs(s.auth_rate_window)),
        ("APP_AUTH_LOCKOUT_MAX_SECS", secs(s.auth_lockout_max)),
    ]
}

/// Everything that would be wrong with running this configuration in production.
pub fn deploy_problems(config: &Config) -> Vec<String> {
    let s = &config.web.security;
    let mut problems = Vec::new();
    if config.env != Environment::Production {
        problems.push(format!(
            "APP_ENV is {}: set APP_ENV=production (outside production templates reload, logs are text, and the checks below are relaxed)",
            config.env
        ));
    }
    if let Err(problem) = check_secret_key(config.secret_key.expose_secret()) {
        problems.push(format!("APP_SECRET_KEY {problem}"));
    }
    if s.allowed_hosts.is_empty() {
        problems.push(
            "APP_ALLOWED_HOSTS is empty: any Host header is accepted; list your host names".into(),
        );
    } else if s.allowed_hosts.iter().any(|h| h == "*") {
        problems.push("APP_ALLOWED_HOSTS contains `*`: any Host header is accepted".into());
    }
    if !s.secure_cookies {
        problems.push(
            "APP_SECURE_COOKIES is false: the session cookie would be sent over plain HTTP".into(),
        );
    }
    if s.hsts_max_age.is_none() {
        problems.push("APP_HSTS_SECS is off: browsers are not told to insist on HTTPS".into());
    }
    let wildcard_host = s
        .allowed_hosts
        .iter()
        .any(|h| h == "*" || h.starts_with('.'));
    if config.web.accounts.public_url.is_none() && wildcard_host {
        problems.push(
            "APP_PUBLIC_URL is not set and APP_ALLOWED_HOSTS has a wildcard: password-reset links would use whatever matching host a request names; set APP_PUBLIC_URL".into(),
        );
    }
    if s.cors_origins.iter().any(|o| o == "*") {
        problems.push("APP_CORS_ORIGINS is `*`: every website's scripts may call the API".into());
    }
    if config.web.reload_templates {
        problems.push(
            "APP_TEMPLATE_RELOAD is on: templates are re-read from disk on every change".into(),
        );
    }
    problems
}

/// `a, b,c` → `["a", "b", "c"]`.
fn parse_list(s: &str) -> Result<Vec<String>, String> {
    Ok(s.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Origins as browsers send them: `https://example.com` or `http://localhost:3000`, no path.
fn parse_origins(s: &str) -> Result<Vec<String>, String> {
    let origins = parse_list(s)?;
    for origin in &origins {
        let valid = origin.split_once("://").is_some_and(|(scheme, rest)| {
            (scheme == "http" || scheme == "https") && !rest.is_empty() && !rest.contains('/')
        });
        if !valid {
            return Err(format!(
                "`{origin}` is not an origin like https://example.com (scheme and host, no path)"
            ));
        }
    }
    Ok(origins
        .into_iter()
        .map(|o| o.to_ascii_lowercase())
        .collect())
}

fn parse_cors(s: &str) -> Result<Vec<String>, String> {
    if s.trim() == "*" {
        return Ok(vec!["*".to_owned()]);
    }
    parse_origins(s)
}
