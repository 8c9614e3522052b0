//! Logging: `tracing` with an env-filter, as readable text in development and JSON in
//! production; and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the same spans exported as
//! OpenTelemetry traces over OTLP (HTTP, protobuf) to a collector.
//!
//! The spans are the ones the logs already carry (a request with its method, route, client and
//! id; a job; an upstream call), so traces need no instrumentation of their own. The exporter
//! batches on a thread of its own and posts with reqwest's blocking client, outside the runtime;
//! [`Telemetry::shutdown`] flushes what is left when the process ends.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
use tracing_subscriber::{EnvFilter, Layer, fmt, prelude::*, registry::LookupSpan};

use crate::config::{LogFormat, Otlp};

/// What must outlive the app for its telemetry to be complete: the trace exporter, if any.
#[derive(Debug, Default)]
#[must_use = "call `shutdown` when the app ends, or the last traces are lost"]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered (at most a few seconds), then stops the exporter.
    pub async fn shutdown(self) {
        let Some(traces) = self.traces else { return };
        // The exporter's blocking HTTP client must be dropped off the runtime.
        let flushed = tokio::task::spawn_blocking(move || traces.shutdown()).await;
        if let Ok(Err(err)) = flushed {
            eprintln!("exporting the last traces: {err}");
        }
    }
}

/// Installs the global subscriber. `filter` uses `RUST_LOG` syntax; an invalid one falls back to
/// `info` with a warning rather than silencing the app. With `otlp`, spans are exported too.
pub fn init(filter: &str, format: LogFormat, otlp: Option<&Otlp>) -> Telemetry {
    let (filter, bad) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("info"), Some(e)),
    };
    let (traces, trace_error) = match otlp.map(tracer_provider) {
        Some(Ok(provider)) => (Some(provider), None),
        Some(Err(err)) => (None, Some(err)),
        None => (None, None),
    };
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(traces.as_ref().map(otel_layer));
    let result = match format {
        LogFormat::Text => registry.with(fmt::layer().with_target(false)).try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
    if result.is_ok() {
        if let Some(e) = bad {
            tracing::warn!(error = %e, "RUST_LOG is invalid; logging at info");
        }
        if let Some(e) = trace_error {
            tracing::error!(error = %e, "OTEL_EXPORTER_OTLP_ENDPOINT is set, but the trace exporter cannot start; no traces");
        }
        if let Some(otlp) = otlp.filter(|_| traces.is_some()) {
            tracing::info!(endpoint = %otlp.endpoint, service = %otlp.service_name, "exporting traces over OTLP");
        }
    }
    Telemetry { traces }
}

fn otel_layer<S>(provider: &SdkTracerProvider) -> impl Layer<S> + use<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("app"))
}

/// The exporter, built on a thread of its own: reqwest's blocking client must not be created
/// (or dropped) inside the runtime.
fn tracer_provider(otlp: &Otlp) -> Result<SdkTracerProvider, String> {
    crate::install_crypto_provider();
    let endpoint = format!("{}/v1/traces", otlp.endpoint.trim_end_matches('/'));
    let exporter = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                SpanExporter::builder()
                    .with_http()
                    .with_endpoint(endpoint)
                    .with_timeout(Duration::from_secs(10))
                    .build()
            })
            .join()
    })
    .map_err(|_| "the exporter's thread panicked".to_owned())?
    .map_err(|e| e.to_string())?;
    let resource = Resource::builder()
        .with_service_name(otlp.service_name.clone())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}
