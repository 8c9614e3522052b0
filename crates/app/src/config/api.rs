//! The outbound-HTTP variables: timeouts, the user agent, and each upstream's URL and policy
//! (the variables every [`api_client::UPSTREAMS`] entry declares).

use std::collections::HashMap;

use api_client::{ApiClientConfig, UpstreamConfig, UpstreamSpec};

use super::{
    Source,
    parse::{Reader, parse_http_url, parse_positive, parse_secs, secs},
};

/// The shared timeouts, then every upstream in `upstreams`.
pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
    upstreams: &[&UpstreamSpec],
) -> ApiClientConfig {
    let defaults = ApiClientConfig::default();
    ApiClientConfig {
        user_agent: concat!("app/", env!("CARGO_PKG_VERSION")).to_owned(),
        connect_timeout: r.parse(
            "APP_HTTP_CONNECT_TIMEOUT_SECS",
            defaults.connect_timeout,
            parse_secs,
        ),
        timeout: r.parse("APP_HTTP_TIMEOUT_SECS", defaults.timeout, parse_secs),
        upstreams: upstreams
            .iter()
            .map(|spec| (spec.name, read_upstream(r, spec)))
            .collect::<HashMap<_, _>>(),
    }
}

fn read_upstream<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
    spec: &UpstreamSpec,
) -> UpstreamConfig {
    let vars = &spec.vars;
    let UpstreamConfig { base_url, policy } = spec.defaults();
    let base_url = r.parse(vars.url, base_url, parse_http_url);
    let mut mine = policy.clone();
    mine.retry.max_attempts = r.parse(vars.max_attempts, policy.retry.max_attempts, parse_positive);
    mine.retry.deadline = r.parse(vars.deadline_secs, policy.retry.deadline, parse_secs);
    mine.max_in_flight = r.parse(vars.max_in_flight, policy.max_in_flight, parse_positive);
    mine.breaker.failure_threshold = r.parse(
        vars.breaker_failures,
        policy.breaker.failure_threshold,
        parse_positive,
    );
    mine.breaker.cool_down = r.parse(
        vars.breaker_cool_down_secs,
        policy.breaker.cool_down,
        parse_secs,
    );
    mine.cache_ttl = r.parse(vars.cache_ttl_secs, policy.cache_ttl, |s| match s {
        "0" => Ok(None),
        other => parse_secs(other).map(Some),
    });
    UpstreamConfig {
        base_url,
        policy: mine,
    }
}

/// `check`'s rows for the outbound-HTTP section.
pub(super) fn describe(
    api: &ApiClientConfig,
    upstreams: &[&UpstreamSpec],
) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("APP_HTTP_CONNECT_TIMEOUT_SECS", secs(api.connect_timeout)),
        ("APP_HTTP_TIMEOUT_SECS", secs(api.timeout)),
    ];
    for spec in upstreams {
        let UpstreamConfig { base_url, policy } = api.upstream_config(spec);
        let vars = &spec.vars;
        rows.extend([
            (vars.url, base_url),
            (vars.max_attempts, policy.retry.max_attempts.to_string()),
            (vars.deadline_secs, secs(policy.retry.deadline)),
            (vars.max_in_flight, policy.max_in_flight.to_string()),
            (
                vars.breaker_failures,
                policy.breaker.failure_threshold.to_string(),
            ),
            (vars.breaker_cool_down_secs, secs(policy.breaker.cool_down)),
            (
                vars.cache_ttl_secs,
                policy.cache_ttl.map_or("0 (off)".to_owned(), secs),
            ),
        ]);
    }
    rows
}
