//! The outbound-HTTP section of the app's configuration.

use std::time::Duration;

use crate::UpstreamPolicy;

#[derive(Debug, Clone)]
pub struct ApiClientConfig {
    /// Sent with every request: upstreams see which app calls them.
    pub user_agent: String,
    /// Base URL of the todos API (JSONPlaceholder or anything that speaks its shape).
    pub todos_base_url: String,
    /// Retries, deadline, breaker and in-flight cap for the todos upstream.
    pub todos_policy: UpstreamPolicy,
    pub connect_timeout: Duration,
    /// One attempt, from connect to the last byte of the body (the policy's deadline bounds all
    /// attempts together).
    pub timeout: Duration,
}

impl ApiClientConfig {
    pub const DEFAULT_TODOS_URL: &str = "https://jsonplaceholder.typicode.com";
}

impl Default for ApiClientConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!("api-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            todos_base_url: Self::DEFAULT_TODOS_URL.to_owned(),
            todos_policy: UpstreamPolicy::default(),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        }
    }
}
