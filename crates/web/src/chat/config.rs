//! The chat's section of the configuration (`APP_CHAT_*`).

use std::time::Duration;

/// The chat's WebSocket limits.
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// The largest message a client may send, in bytes; larger closes the socket with 1009.
    pub max_message_bytes: usize,
    /// Messages waiting to be written to one client; a client that lets more pile up is
    /// disconnected, so it never slows the room.
    pub outbound_buffer: usize,
    /// Messages one connection may post per `rate_window`; more are refused with an error frame.
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// How often the server pings; a client that sends nothing (not even a pong) for
    /// `idle_timeout` is disconnected.
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    /// Messages sent to a client when it joins.
    pub history: u64,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024,
            outbound_buffer: 64,
            rate_limit: 10,
            rate_window: Duration::from_secs(10),
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            history: 50,
        }
    }
}
