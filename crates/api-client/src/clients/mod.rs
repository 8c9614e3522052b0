//! Your upstreams: one typed module each over [`Upstream`](crate::Upstream), registered here
//! with one line in each of the three lists below.

use crate::{ApiClientConfig, Result, UpstreamSpec};

pub mod todos; // [demo:todos]

/// Every upstream the app calls (their environment variables are read at start-up).
pub const UPSTREAMS: &[&UpstreamSpec] = &[
    &todos::SPEC, // [demo:todos]
];

/// The clients of every upstream, built once at start-up and cloned cheaply into handlers.
#[derive(Debug, Clone)]
pub struct ApiClients {
    /// The shared client (pooled connections, rustls, timeouts, the app's user agent).
    pub http: reqwest::Client,
    pub todos: todos::TodosClient, // [demo:todos]
}

impl ApiClients {
    pub fn new(config: &ApiClientConfig) -> Result<Self> {
        let http = crate::http_client(config)?;
        Ok(Self {
            todos: todos::TodosClient::new(config.upstream(&http, &todos::SPEC)), // [demo:todos]
            http,
        })
    }
}
