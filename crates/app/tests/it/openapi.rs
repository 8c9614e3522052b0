//! The OpenAPI document: served, valid OpenAPI 3.1, and complete — every `/api` route the router
//! has is in it, with the method it answers.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, test_config};

/// The routes only the tests' fixtures add (feature `fixtures`): not part of the app's API.
const FIXTURES: &str = "/api/test/";

/// Every `(METHOD, /api/path)` the router answers, read from the router itself: axum's `Debug`
/// of a router lists each route's path and the methods it allows.
fn api_routes(router: &axum::Router) -> BTreeSet<(String, String)> {
    let text = format!("{router:?}");
    // `RouteId(7): MethodRouter(... allow_header: Bytes(b"GET,HEAD,POST") ...)` and, in the
    // path table, `RouteId(7): "/api/products"`.
    let mut methods = std::collections::HashMap::new();
    for part in text.split("RouteId(").skip(1) {
        let Some((id, rest)) = part.split_once(')') else {
            continue;
        };
        if let Some(allow) = rest
            .split_once("allow_header: Bytes(b\"")
            .filter(|(before, _)| !before.contains("RouteId("))
            .map(|(_, after)| after.split('"').next().unwrap_or_default())
        {
            methods.insert(id.to_owned(), allow.to_owned());
        }
    }
    let mut routes = BTreeSet::new();
    for part in text.split("RouteId(").skip(1) {
        let Some((id, rest)) = part.split_once("): \"") else {
            continue;
        };
        let path = rest.split('"').next().unwrap_or_default();
        let about_the_api =
            path == web::openapi::SPEC_PATH || path.starts_with(web::openapi::DOCS_PATH);
        if !path.starts_with("/api/") || path.starts_with(FIXTURES) || about_the_api {
            continue;
        }
        let allowed = methods.get(id).map_or("", String::as_str);
        for method in allowed.split(',').filter(|m| !m.is_empty() && *m != "HEAD") {
            routes.insert((method.to_owned(), path.to_owned()));
        }
    }
    routes
}

/// The operations of a document: `(METHOD, path)`.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

async fn served(app: &crate::helpers::TestApp) -> (String, Value) {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let doc = serde_json::from_str(&text).unwrap();
    (text, doc)
}

#[tokio::test]
async fn every_api_route_of_the_router_is_in_the_document() {
    let app = spawn_app().await;
    let (_, doc) = served(&app).await;
    let database = crate::helpers::TestDatabase::create().await;
    let application = app::Application::build(&test_config(&database.url, &[]))
        .await
        .unwrap();

    let routes = api_routes(application.router());
    let operations = documented(&doc);

    // The walk sees the router: the engine's own routes are there (it did not come back empty).
    for engine in ["/api/auth/login", "/api/auth/tokens/{id}", "/api/jobs/{id}"] {
        assert!(
            routes.iter().any(|(_, path)| path == engine),
            "{engine} in {routes:#?}"
        );
    }
    let missing: Vec<_> = routes.difference(&operations).collect();
    assert!(
        missing.is_empty(),
        "routes not in the document: {missing:#?}"
    );
    let stale: Vec<_> = operations.difference(&routes).collect();
    assert!(stale.is_empty(), "documented but not routed: {stale:#?}");
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let app = spawn_app().await;
    let (text, doc) = served(&app).await;

    let spec = oas3::from_json(&text).expect("an OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    let mut checked = 0;
    for (path, method, operation) in spec.operations() {
        let name = format!("{method} {path}");
        for parameter in &operation.parameters {
            parameter
                .resolve(&spec)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if let Some(body) = &operation.request_body {
            body.resolve(&spec)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for (status, response) in operation.responses(&spec) {
            for (kind, media) in &response.content {
                if let Some(schema) = &media.schema {
                    schema
                        .resolve(&spec)
                        .unwrap_or_else(|e| panic!("{name} {status} {kind}: {e}"));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} responses checked");
    // Errors are problem documents; the two ways in are described.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["token"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    let refused = &doc["paths"]["/api/auth/signup"]["post"]["responses"]["422"]["content"];
    assert_eq!(
        refused["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    assert!(
        problem["errors"].is_object() && problem["type"].is_object(),
        "{problem}"
    );
}

#[tokio::test]
async fn the_docs_page_works_offline() {
    let app = spawn_app().await;
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        assert!(html.contains(asset), "{asset} in {html}");
        let served = app.get(&format!("/api/docs/{asset}")).await;
        assert_eq!(
            served.status(),
            StatusCode::OK,
            "{asset} is served by the app"
        );
    }
    assert!(
        !html.contains("https://"),
        "nothing from another site: {html}"
    );
    // Swagger UI styles inline; scripts still come from this origin only.
    let policy = page_policy(&app, "/api/docs/").await;
    assert!(
        policy.contains("style-src 'self' 'unsafe-inline'"),
        "{policy}"
    );
    assert!(
        !policy.contains("script-src"),
        "scripts fall back to default-src 'self'"
    );
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    let init = app.get("/api/docs/swagger-initializer.js").await;
    assert!(init.text().await.unwrap().contains("/api/openapi.json"));
}

async fn page_policy(app: &crate::helpers::TestApp, path: &str) -> String {
    let response = app.get(path).await;
    response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}
