//! The HTTP section of the app's configuration.

use std::{path::PathBuf, time::Duration};

#[derive(Debug, Clone)]
pub struct WebConfig {
    pub templates_dir: PathBuf,
    pub static_dir: PathBuf,
    /// Re-read templates when a file under `templates_dir` changes (development).
    pub reload_templates: bool,
    /// A request that takes longer gets a 503.
    pub request_timeout: Duration,
    /// The largest request body accepted, in bytes; larger gets a 413.
    pub body_limit: usize,
    /// `Cache-Control: max-age` for `/static`; zero means "revalidate every time" (development).
    pub static_max_age: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            templates_dir: PathBuf::from("templates"),
            static_dir: PathBuf::from("static"),
            reload_templates: false,
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            static_max_age: Duration::from_secs(24 * 60 * 60),
        }
    }
}
