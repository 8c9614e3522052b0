//! RFC 9457 problem details, and giving every error response its body (called by the `finish`
//! layer, which sees every response).
//!
//! Errors arrive from three places: our [`Error`](crate::Error) (a [`Problem`] in
//! the response's extensions), axum and tower-http layers that answer with a bare status (405,
//! timeouts), and the panic handler. Under `/api` the body is `application/problem+json`;
//! elsewhere it is the styled HTML error page.

use std::any::Any;

use axum::{
    body::{Body, HttpBody},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use db::FieldErrors;
use serde::Serialize;

use crate::Templates;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Problem {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<FieldErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    /// What the HTML page says instead of `detail`, when `detail` is written for programmers.
    #[serde(skip)]
    page: Option<&'static str>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
            request_id: None,
            page: None,
        }
    }

    pub(crate) fn for_page(mut self, text: &'static str) -> Self {
        self.page = Some(text);
        self
    }

    /// A problem for a status that came without an explanation of its own.
    pub(crate) fn for_status(status: StatusCode) -> Self {
        let detail = match status {
            StatusCode::NOT_FOUND => "Nothing lives at this address.",
            StatusCode::METHOD_NOT_ALLOWED => {
                "This address does not accept that method; see the `Allow` header."
            }
            StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than the server accepts.",
            StatusCode::SERVICE_UNAVAILABLE => {
                "The server could not answer in time or a service it needs is down. Try again shortly."
            }
            s if s.is_server_error() => {
                "Something went wrong on our side. It has been logged; quote the request id when reporting it."
            }
            _ => "The request could not be handled.",
        };
        let problem = Self::new(status, slug(status), detail);
        match status {
            StatusCode::METHOD_NOT_ALLOWED => problem.for_page(
                "This page cannot be opened that way. Go back and use the page's own links and buttons.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => {
                problem.for_page("What you sent is larger than this site accepts.")
            }
            _ => problem,
        }
    }

    pub(crate) fn with_errors(mut self, errors: FieldErrors) -> Self {
        self.errors = Some(errors);
        self
    }
}

/// Where a path's errors are JSON rather than HTML.
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Gives an error response its body, unless it already has one; see the module docs.
pub(crate) fn with_body(
    mut response: Response,
    api: bool,
    request_id: &HeaderValue,
    templates: &Templates,
) -> Response {
    let status = response.status();
    let mut problem = match response.extensions_mut().remove::<Problem>() {
        Some(problem) => problem,
        None if response.body().size_hint().exact() == Some(0) => Problem::for_status(status),
        // The handler wrote its own error body (a form re-rendered with field errors, say).
        None => return response,
    };
    problem.request_id = request_id.to_str().ok().map(str::to_owned);

    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let (content_type, body) = if api {
        ("application/problem+json", problem_json(&problem))
    } else {
        ("text/html; charset=utf-8", error_page(templates, &problem))
    };
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Response::from_parts(parts, Body::from(body))
}

fn problem_json(problem: &Problem) -> String {
    serde_json::to_string(problem).unwrap_or_else(|_| {
        format!(
            r#"{{"type":"/problems/internal","status":{}}}"#,
            problem.status
        )
    })
}

fn error_page(templates: &Templates, problem: &Problem) -> String {
    let mut context = tera::Context::from_serialize(problem).unwrap_or_default();
    if let Some(text) = problem.page {
        context.insert("detail", text);
    }
    templates
        .render("errors/error.html", &context)
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "the error page itself failed to render");
            format!(
                "<!doctype html><title>{0}</title><h1>{0} {1}</h1>",
                problem.status, problem.title
            )
        })
}

/// What a panicking handler answers: a plain 500, logged, with nothing of the panic sent.
#[expect(
    clippy::needless_pass_by_value,
    reason = "it consumes what catch_unwind returns"
)]
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(a panic payload that is not a string)");
    tracing::error!(panic = message, "handler panicked");
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    let mut response = status.into_response();
    response
        .extensions_mut()
        .insert(Problem::for_status(status));
    response
}

/// The problem `type` for a status: a stable, kebab-case name clients can match on.
pub(crate) fn slug(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable-content",
        StatusCode::TOO_MANY_REQUESTS => "too-many-requests",
        StatusCode::SERVICE_UNAVAILABLE => "service-unavailable",
        StatusCode::BAD_GATEWAY => "bad-gateway",
        StatusCode::GATEWAY_TIMEOUT => "gateway-timeout",
        s if s.is_server_error() => "internal",
        _ => "client-error",
    }
}
