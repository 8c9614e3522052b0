//! Traces over OTLP: a real `app serve` process with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at
//! a collector this test runs, which decodes what arrives (OTLP/HTTP, protobuf).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest, common::v1::any_value::Value,
};
use prost::Message;

use crate::helpers::{TestDatabase, serve_process};

/// One span as the collector received it: its service, name and attributes.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    attributes: Vec<(String, String)>,
}

type Spans = Arc<Mutex<Vec<Received>>>;

async fn collect(State(spans): State<Spans>, body: Bytes) -> &'static str {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf request");
    let mut kept = spans.lock().unwrap();
    for resource in request.resource_spans {
        let service = resource
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| text(kv.value.as_ref()?.value.as_ref()?))
            .unwrap_or_default();
        for span in resource.scope_spans.into_iter().flat_map(|s| s.spans) {
            let attributes = span
                .attributes
                .iter()
                .filter_map(|kv| Some((kv.key.clone(), text(kv.value.as_ref()?.value.as_ref()?)?)))
                .collect();
            kept.push(Received {
                service: service.clone(),
                name: span.name,
                attributes,
            });
        }
    }
    ""
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::StringValue(s) => Some(s.clone()),
        Value::IntValue(n) => Some(n.to_string()),
        _ => None,
    }
}

#[tokio::test]
async fn requests_are_exported_as_spans_to_the_otlp_collector() {
    app::install_crypto_provider();
    let spans: Spans = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/v1/traces", post(collect))
        .with_state(Arc::clone(&spans));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let database = TestDatabase::create().await;
    let server = serve_process(
        &database.url,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.as_str()),
            ("OTEL_SERVICE_NAME", "traced-app"),
        ],
    );

    let page = reqwest::get(format!("{}/login", server.address))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let request_id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
    // SIGTERM: the app flushes its last spans before it exits.
    server.terminate();
    let (status, log) = server.wait(Duration::from_secs(60)).await;
    assert!(status.success(), "{log}");

    let spans = spans.lock().unwrap().clone();
    let request = spans
        .iter()
        .find(|s| {
            s.name == "request"
                && s.attributes
                    .contains(&("request_id".into(), request_id.clone()))
        })
        .unwrap_or_else(|| panic!("the request's span among {spans:#?}\n{log}"));
    assert_eq!(request.service, "traced-app");
    for (key, value) in [("method", "GET"), ("route", "/login")] {
        assert!(
            request.attributes.contains(&(key.into(), value.into())),
            "{key}={value} in {request:?}"
        );
    }
}
