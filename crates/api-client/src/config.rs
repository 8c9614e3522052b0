//! The outbound-HTTP section of the app's configuration, and how an upstream declares its own.

use std::{collections::HashMap, time::Duration};

use crate::{Upstream, UpstreamPolicy};

#[derive(Debug, Clone)]
pub struct ApiClientConfig {
    /// Sent with every request: upstreams see which app calls them.
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// One attempt, from connect to the last byte of the body (the policy's deadline bounds all
    /// attempts together).
    pub timeout: Duration,
    /// Each upstream's URL and policy, by [`UpstreamSpec::name`]; one missing here gets its
    /// spec's defaults.
    pub upstreams: HashMap<&'static str, UpstreamConfig>,
}

impl ApiClientConfig {
    /// The configured URL and policy of `spec`, or its defaults.
    pub fn upstream_config(&self, spec: &UpstreamSpec) -> UpstreamConfig {
        self.upstreams
            .get(spec.name)
            .cloned()
            .unwrap_or_else(|| spec.defaults())
    }

    /// A handle on `spec`'s upstream over the shared client `http`.
    pub fn upstream(&self, http: &reqwest::Client, spec: &UpstreamSpec) -> Upstream {
        let config = self.upstream_config(spec);
        Upstream::new(spec.name, http.clone(), &config.base_url, config.policy)
    }
}

impl Default for ApiClientConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!("api-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            upstreams: HashMap::new(),
        }
    }
}

/// Where one upstream is and how it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    pub base_url: String,
    pub policy: UpstreamPolicy,
}

/// What a typed client declares about its upstream: its name (in logs and errors), its defaults,
/// and the environment variables that change them. Written with [`upstream_spec!`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamSpec {
    pub name: &'static str,
    pub default_url: &'static str,
    /// How long successful answers are cached by default (`None`: not cached).
    pub default_cache_ttl: Option<Duration>,
    pub vars: UpstreamVars,
}

impl UpstreamSpec {
    pub fn defaults(&self) -> UpstreamConfig {
        UpstreamConfig {
            base_url: self.default_url.to_owned(),
            policy: UpstreamPolicy {
                cache_ttl: self.default_cache_ttl,
                ..UpstreamPolicy::default()
            },
        }
    }
}

/// The environment variables of one upstream, `APP_<NAME>_...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamVars {
    pub url: &'static str,
    pub max_attempts: &'static str,
    pub deadline_secs: &'static str,
    pub max_in_flight: &'static str,
    pub breaker_failures: &'static str,
    pub breaker_cool_down_secs: &'static str,
    pub cache_ttl_secs: &'static str,
}

impl UpstreamVars {
    pub fn all(&self) -> [&'static str; 7] {
        [
            self.url,
            self.max_attempts,
            self.deadline_secs,
            self.max_in_flight,
            self.breaker_failures,
            self.breaker_cool_down_secs,
            self.cache_ttl_secs,
        ]
    }
}

/// Declares an upstream: `upstream_spec!("weather", "WEATHER", "https://api.example.com", None)`
/// reads `APP_WEATHER_API_URL`, `APP_WEATHER_MAX_ATTEMPTS`, `APP_WEATHER_DEADLINE_SECS`,
/// `APP_WEATHER_MAX_IN_FLIGHT`, `APP_WEATHER_BREAKER_FAILURES`,
/// `APP_WEATHER_BREAKER_COOL_DOWN_SECS` and `APP_WEATHER_CACHE_TTL_SECS`.
#[macro_export]
macro_rules! upstream_spec {
    ($name:literal, $env:literal, $url:expr, $cache_ttl:expr) => {
        $crate::UpstreamSpec {
            name: $name,
            default_url: $url,
            default_cache_ttl: $cache_ttl,
            vars: $crate::UpstreamVars {
                url: concat!("APP_", $env, "_API_URL"),
                max_attempts: concat!("APP_", $env, "_MAX_ATTEMPTS"),
                deadline_secs: concat!("APP_", $env, "_DEADLINE_SECS"),
                max_in_flight: concat!("APP_", $env, "_MAX_IN_FLIGHT"),
                breaker_failures: concat!("APP_", $env, "_BREAKER_FAILURES"),
                breaker_cool_down_secs: concat!("APP_", $env, "_BREAKER_COOL_DOWN_SECS"),
                cache_ttl_secs: concat!("APP_", $env, "_CACHE_TTL_SECS"),
            },
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: UpstreamSpec = upstream_spec!(
        "example",
        "EXAMPLE",
        "https://api.example.com",
        Some(Duration::from_secs(9))
    );

    #[test]
    fn a_spec_names_its_variables_and_defaults() {
        assert_eq!(EXAMPLE.vars.url, "APP_EXAMPLE_API_URL");
        assert_eq!(EXAMPLE.vars.all()[6], "APP_EXAMPLE_CACHE_TTL_SECS");
        let config = ApiClientConfig::default();
        let example = config.upstream_config(&EXAMPLE);
        assert_eq!(example.base_url, "https://api.example.com");
        assert_eq!(example.policy.cache_ttl, Some(Duration::from_secs(9)));
    }

    #[test]
    fn a_configured_upstream_wins_over_its_defaults() {
        let mut config = ApiClientConfig::default();
        let mut mine = EXAMPLE.defaults();
        mine.base_url = "http://127.0.0.1:9".into();
        config.upstreams.insert("example", mine.clone());
        assert_eq!(config.upstream_config(&EXAMPLE), mine);
    }
}
