//! Gauges of open long-lived connections (`sse_connections`, `websocket_connections`): a guard
//! counts one while it lives, so a stream dropped anywhere (the client left, shutdown) leaves
//! the gauge right. Without a metrics recorder (`APP_METRICS_ADDR` unset) they cost a no-op call.

/// One open connection of kind `gauge` while this lives.
#[derive(Debug)]
pub struct Open(&'static str);

impl Open {
    pub fn new(gauge: &'static str) -> Self {
        metrics::gauge!(gauge).increment(1.0);
        Self(gauge)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        metrics::gauge!(self.0).decrement(1.0);
    }
}
