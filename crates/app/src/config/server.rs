//! The server's connection limits and drain deadline.

use web::ServerConfig;

use super::{
    Source,
    parse::{Reader, parse_positive, parse_secs, secs},
};

pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(r: &mut Reader<'_, F>) -> ServerConfig {
    let d = ServerConfig::default();
    ServerConfig {
        header_read_timeout: r.parse(
            "APP_HEADER_READ_TIMEOUT_SECS",
            d.header_read_timeout,
            parse_secs,
        ),
        idle_timeout: r.parse("APP_IDLE_TIMEOUT_SECS", d.idle_timeout, parse_secs),
        max_header_bytes: r.parse("APP_MAX_HEADER_BYTES", d.max_header_bytes, |s| {
            parse_positive(s).and_then(|n: usize| {
                if n < 8 * 1024 {
                    Err(format!("`{s}` is below the smallest allowed, 8192"))
                } else {
                    Ok(n)
                }
            })
        }),
        max_headers: r.parse("APP_MAX_HEADERS", d.max_headers, parse_positive),
        leave_delay: r.parse("APP_SHUTDOWN_DELAY_SECS", d.leave_delay, |s| match s {
            "0" => Ok(std::time::Duration::ZERO),
            other => parse_secs(other),
        }),
        drain_timeout: r.parse("APP_DRAIN_TIMEOUT_SECS", d.drain_timeout, parse_secs),
    }
}

pub(super) fn describe(server: &ServerConfig) -> Vec<(&'static str, String)> {
    vec![
        (
            "APP_HEADER_READ_TIMEOUT_SECS",
            secs(server.header_read_timeout),
        ),
        ("APP_IDLE_TIMEOUT_SECS", secs(server.idle_timeout)),
        ("APP_MAX_HEADER_BYTES", server.max_header_bytes.to_string()),
        ("APP_MAX_HEADERS", server.max_headers.to_string()),
        ("APP_SHUTDOWN_DELAY_SECS", secs(server.leave_delay)),
        ("APP_DRAIN_TIMEOUT_SECS", secs(server.drain_timeout)),
    ]
}
