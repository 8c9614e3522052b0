//! The API's OpenAPI document, made from the code: each `/api` handler carries a
//! `#[utoipa::path]` (method, path, parameters, bodies, answers), each body type a `ToSchema`, and
//! each route module an `openapi()` listing its handlers; [`document`] merges them. Served at
//! `/api/openapi.json`, and read by people at `/api/docs` (Swagger UI, its assets in the binary).
//!
//! A test walks the router and fails when an `/api` route is missing here (tests/it/openapi.rs).

use axum::{
    Router,
    http::{HeaderValue, header},
};
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        self,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::{AppState, routes};

/// Where the document and its reader are served.
pub const SPEC_PATH: &str = "/api/openapi.json";
pub const DOCS_PATH: &str = "/api/docs";

/// What every error answer of the API is: an RFC 9457 problem (`application/problem+json`).
#[derive(Debug, ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code, reason = "a schema: the body is made by `problem::Problem`")]
pub(crate) struct ProblemDoc {
    /// `/problems/<kind>`, e.g. `/problems/validation`.
    #[schema(rename = "type", example = "/problems/validation")]
    kind: String,
    /// The status's reason phrase.
    #[schema(example = "Unprocessable Entity")]
    title: String,
    #[schema(example = 422)]
    status: u16,
    /// What went wrong, in a sentence.
    detail: String,
    /// One entry per field that was refused (validation problems only).
    errors: Option<Vec<db::FieldError>>,
    /// The request's `x-request-id`, to find its log lines (server errors only).
    request_id: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Async Rust starter API",
        description = "JSON under `/api`. Errors are problem documents (RFC 9457). Lists are \
            paged by cursor: pass a page's `next_cursor` as `after` (or `prev_cursor` as \
            `before`); the `Link` header carries the same. Authenticate with an API token as \
            `Authorization: Bearer app_…` (make one at `/account` or `POST /api/auth/tokens`), or \
            with the session cookie of `POST /api/auth/login` plus its CSRF token as \
            `x-csrf-token` on unsafe requests."
    ),
    components(schemas(ProblemDoc, db::FieldError)),
    modifiers(&Security),
)]
struct Root;

/// The bearer-token and session-cookie schemes.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("app_ followed by 43 characters")
                    .description(Some("An API token: no CSRF token needed."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::SESSION_COOKIE,
                "The session cookie (`__Host-` prefixed over HTTPS); unsafe requests also send \
                 the session's CSRF token as `x-csrf-token`.",
            ))),
        );
    }
}

/// The whole document: the root and every route module's paths.
pub fn document() -> openapi::OpenApi {
    let mut doc = Root::openapi();
    doc.merge(routes::accounts::openapi());
    doc.merge(routes::jobs::openapi());
    doc.merge(routes::products::openapi()); // [demo:products]
    doc.merge(routes::todos::openapi()); // [demo:todos]
    // [generate:openapi]
    doc
}

/// `/api/openapi.json` and the Swagger UI at `/api/docs`.
pub(crate) fn router() -> Router<AppState> {
    let ui: Router<AppState> = utoipa_swagger_ui::SwaggerUi::new(DOCS_PATH)
        .url(SPEC_PATH, document())
        .into();
    // Swagger UI styles its elements inline: its pages get a policy that allows that (scripts
    // still only from this origin).
    ui.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ),
    ))
}
