//! The outbound-HTTP variables: timeouts, the user agent, and the todos upstream's policy.

use std::time::Duration;

use api_client::ApiClientConfig;

use super::{
    Source,
    parse::{Reader, parse_http_url, parse_positive, parse_secs},
};

/// Todos change rarely: a short cache spares the upstream without serving stale data for long.
pub(super) const TODOS_CACHE_TTL: Duration = Duration::from_secs(30);

/// The outbound-HTTP section: timeouts, the user agent, and the todos upstream's policy.
pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
) -> ApiClientConfig {
    let defaults = ApiClientConfig::default();
    let policy = defaults.todos_policy.clone();
    let mut todos_policy = policy.clone();
    todos_policy.retry.max_attempts = r.parse(
        "APP_TODOS_MAX_ATTEMPTS",
        policy.retry.max_attempts,
        parse_positive,
    );
    todos_policy.retry.deadline =
        r.parse("APP_TODOS_DEADLINE_SECS", policy.retry.deadline, parse_secs);
    todos_policy.max_in_flight = r.parse(
        "APP_TODOS_MAX_IN_FLIGHT",
        policy.max_in_flight,
        parse_positive,
    );
    todos_policy.breaker.failure_threshold = r.parse(
        "APP_TODOS_BREAKER_FAILURES",
        policy.breaker.failure_threshold,
        parse_positive,
    );
    todos_policy.breaker.cool_down = r.parse(
        "APP_TODOS_BREAKER_COOL_DOWN_SECS",
        policy.breaker.cool_down,
        parse_secs,
    );
    todos_policy.cache_ttl = r.parse(
        "APP_TODOS_CACHE_TTL_SECS",
        Some(TODOS_CACHE_TTL),
        |s| match s {
            "0" => Ok(None),
            other => parse_secs(other).map(Some),
        },
    );
    ApiClientConfig {
        user_agent: concat!("app/", env!("CARGO_PKG_VERSION")).to_owned(),
        todos_base_url: r.parse("APP_TODOS_API_URL", defaults.todos_base_url, parse_http_url),
        todos_policy,
        connect_timeout: r.parse(
            "APP_HTTP_CONNECT_TIMEOUT_SECS",
            defaults.connect_timeout,
            parse_secs,
        ),
        timeout: r.parse("APP_HTTP_TIMEOUT_SECS", defaults.timeout, parse_secs),
    }
}
