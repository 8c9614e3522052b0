//! The observability variables: `/metrics` (`APP_METRICS_ADDR`) and OTLP traces (`OTEL_*`).

use std::net::SocketAddr;

use super::{
    Source,
    parse::{Reader, parse_http_url},
};

/// Where traces go (OTLP over HTTP), when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Otlp {
    /// The collector's base URL (`/v1/traces` is added), e.g. `http://127.0.0.1:4318`.
    pub endpoint: String,
    /// `OTEL_SERVICE_NAME`, how the collector names this app (default `app`).
    pub service_name: String,
}

pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(
    r: &mut Reader<'_, F>,
) -> (Option<SocketAddr>, Option<Otlp>) {
    let metrics_addr = r.parse("APP_METRICS_ADDR", None, |s| {
        s.parse().map(Some).map_err(|_| {
            format!("`{s}` is not an address like 127.0.0.1:9000 (metrics are off when unset)")
        })
    });
    let otlp = r
        .parse("OTEL_EXPORTER_OTLP_ENDPOINT", None, |s| {
            parse_http_url(s).map(Some)
        })
        .map(|endpoint| Otlp {
            endpoint,
            service_name: r
                .get("OTEL_SERVICE_NAME")
                .unwrap_or_else(|| "app".to_owned()),
        });
    (metrics_addr, otlp)
}

pub(super) fn describe(
    metrics_addr: Option<SocketAddr>,
    otlp: Option<&Otlp>,
) -> Vec<(&'static str, String)> {
    let off = || "(off)".to_owned();
    vec![
        (
            "APP_METRICS_ADDR",
            metrics_addr.map_or_else(off, |a| a.to_string()),
        ),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            otlp.map_or_else(off, |o| o.endpoint.clone()),
        ),
    ]
}
