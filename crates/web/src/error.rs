//! The one place errors become responses.
//!
//! Handlers return [`Error`]; its `IntoResponse` picks the status, logs server faults once (with
//! their cause chain), and attaches a [`Problem`] to an empty response. The `finish` layer then
//! writes that problem as `application/problem+json` under `/api` and as an HTML page elsewhere,
//! so handlers never care which kind of client they serve.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use db::FieldErrors;

use crate::problem::{Problem, slug};

pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a 503 for an unavailable dependency tells the client to wait before trying again.
const UNAVAILABLE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    /// Input refused before a handler could read it (a path segment, query or body that does
    /// not parse): `detail`, which names the field the way a programmer would, goes to API
    /// clients and the log; a page shows `page`, written for a person.
    #[error("{detail}")]
    Rejected {
        status: StatusCode,
        detail: String,
        page: &'static str,
    },
    #[error("{0}")]
    NotFound(String),
    /// Not signed in (or a bad API token).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in but not allowed, or a request that failed the CSRF check.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts: the client may try again after `retry_after`.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after: std::time::Duration,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A well-formed body the server cannot use: wrong types, missing or unknown fields.
    #[error("{0}")]
    Unprocessable(String),
    /// Input that parsed but broke a rule, field by field.
    #[error("validation failed: {0}")]
    Validation(FieldErrors),
    /// An external API failed; its error says which upstream and how (404, 429, 504, 503, 502).
    #[error(transparent)]
    Upstream(#[from] api_client::Error),
    /// A dependency (the database) is down; the client may retry.
    #[error("service unavailable")]
    Unavailable(#[source] BoxError),
    /// A bug or an unexpected failure. Its cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// What a page says about an address it cannot read (a link edited by hand, a cursor or sort
/// that is not ours).
pub(crate) const BAD_ADDRESS: &str = "This page's address has something in it the site cannot \
    read. It may have been mistyped or edited: follow a link from the site instead.";

impl Error {
    /// A 400 for a bad query string (see [`BAD_ADDRESS`]).
    pub fn bad_address(detail: impl Into<String>) -> Self {
        Self::Rejected {
            status: StatusCode::BAD_REQUEST,
            detail: detail.into(),
            page: BAD_ADDRESS,
        }
    }

    /// What a page shows for this error next to a form field: a rejection's words for people,
    /// else the message itself.
    pub fn for_people(&self) -> String {
        match self {
            Self::Rejected { page, .. } => (*page).to_owned(),
            other => other.to_string(),
        }
    }

    pub fn internal(err: impl Into<BoxError>) -> Self {
        Self::Internal(err.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Rejected { status, .. } => *status,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) | Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream(e) => upstream_status(e),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn to_problem(&self) -> Problem {
        let status = self.status();
        match self {
            Self::Validation(errors) => Problem::new(
                status,
                "validation",
                "Some fields are invalid; see `errors`.",
            )
            .with_errors(errors.clone()),
            // Server faults get the generic text: their causes are logged, never sent.
            Self::Unavailable(_)
            | Self::Internal(_)
            | Self::Upstream(api_client::Error::Build(_)) => Problem::for_status(status),
            Self::Rejected { detail, page, .. } => {
                Problem::new(status, slug(status), detail.as_str()).for_page(page)
            }
            other => Problem::new(status, slug(status), other.to_string()),
        }
    }

    fn log(&self) {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %chain(cause.as_ref()), "request failed");
            }
            Self::Unavailable(cause) => {
                tracing::warn!(error = %chain(cause.as_ref()), "dependency unavailable");
            }
            Self::Upstream(api_client::Error::Build(cause)) => {
                tracing::error!(error = %chain(cause), "request failed");
            }
            Self::Upstream(e) if self.status().is_server_error() => {
                tracing::warn!(error = %e, "upstream failed");
            }
            client => tracing::debug!(status = %client.status(), error = %client, "client error"),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let mut response = self.status().into_response();
        let wait = match &self {
            Self::Upstream(api_client::Error::RateLimited {
                retry_after: Some(wait),
                ..
            })
            | Self::TooManyRequests {
                retry_after: wait, ..
            } => Some(*wait),
            // The database (or another dependency) is down, busy or restarting: try again soon.
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        };
        if let Some(wait) = wait {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response.extensions_mut().insert(self.to_problem());
        response
    }
}

impl From<db::Error> for Error {
    fn from(err: db::Error) -> Self {
        match err {
            db::Error::NotFound { .. } => Self::NotFound(err.to_string()),
            db::Error::Forbidden { .. } => Self::Forbidden(format!("{}.", capitalize(&err))),
            db::Error::StaleVersion { .. } | db::Error::Conflict(_) => {
                Self::Conflict(err.to_string())
            }
            db::Error::Invalid(errors) => Self::Validation(errors),
            db::Error::Unavailable(_) => Self::Unavailable(err.into()),
            db::Error::Database(_) => Self::Internal(err.into()),
        }
    }
}

impl From<offload::Error> for Error {
    fn from(err: offload::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<jobs::Error> for Error {
    fn from(err: jobs::Error) -> Self {
        match err {
            jobs::Error::Db(err) => err.into(),
            jobs::Error::NotFound(_) => Self::NotFound(err.to_string()),
            jobs::Error::WrongState { .. } => Self::Conflict(err.to_string()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<storage::Error> for Error {
    fn from(err: storage::Error) -> Self {
        match err {
            // The key is ours (a generated name), not worth showing: say what is missing.
            storage::Error::NotFound(_) => Self::NotFound("That file is not stored here.".into()),
            storage::Error::Unavailable(_) => Self::Unavailable(err.into()),
            storage::Error::Other(_) => Self::Internal(err.into()),
        }
    }
}

impl From<tera::Error> for Error {
    fn from(err: tera::Error) -> Self {
        Self::Internal(err.into())
    }
}

/// What an upstream failure means for our client: the thing is missing (404), slow down (429),
/// it took too long (504), it is down (503), or it answered nonsense (502).
fn upstream_status(error: &api_client::Error) -> StatusCode {
    use api_client::Error as E;
    match error {
        E::NotFound { .. } => StatusCode::NOT_FOUND,
        E::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        E::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        E::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        E::InvalidResponse { .. } => StatusCode::BAD_GATEWAY,
        E::Build(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A sentence for a person: the error's text with a capital letter.
fn capitalize(err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `outer: inner: innermost`, so one log line carries the whole story.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use api_client::Error as Upstream;
    use axum::{http::StatusCode, response::IntoResponse};

    use super::Error;

    #[test]
    fn upstream_failures_map_to_the_status_a_client_can_act_on() {
        let cases = [
            (
                Upstream::NotFound {
                    upstream: "example",
                    what: "item 9".into(),
                },
                404,
            ),
            (
                Upstream::RateLimited {
                    upstream: "example",
                    retry_after: None,
                },
                429,
            ),
            (
                Upstream::Timeout {
                    upstream: "example",
                },
                504,
            ),
            (
                Upstream::Unavailable {
                    upstream: "example",
                    reason: "answered 503".into(),
                },
                503,
            ),
            (
                Upstream::InvalidResponse {
                    upstream: "example",
                    reason: "bad json".into(),
                },
                502,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(Error::from(error).status().as_u16(), status);
        }
    }

    #[test]
    fn a_rate_limited_answer_passes_the_upstreams_retry_after_on() {
        let error = Error::from(Upstream::RateLimited {
            upstream: "example",
            retry_after: Some(Duration::from_millis(2500)),
        });

        let response = error.into_response();

        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response.headers()["retry-after"],
            "3",
            "rounded up to whole seconds"
        );
    }
}
