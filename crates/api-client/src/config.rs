//! The outbound-HTTP section of the app's configuration.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ApiClientConfig {
    /// Base URL of the todos API (JSONPlaceholder or anything that speaks its shape).
    pub todos_base_url: String,
    pub connect_timeout: Duration,
    /// The whole request, from connect to the last byte of the body.
    pub timeout: Duration,
}

impl ApiClientConfig {
    pub const DEFAULT_TODOS_URL: &str = "https://jsonplaceholder.typicode.com";
}

impl Default for ApiClientConfig {
    fn default() -> Self {
        Self {
            todos_base_url: Self::DEFAULT_TODOS_URL.to_owned(),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        }
    }
}
