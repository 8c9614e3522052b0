//! axum's extractors, wrapped so that their rejections become our [`Error`] and every bad input
//! gets the same problem body (axum's own rejections are plain text).

use axum::{
    extract::{
        FromRequest, FromRequestParts,
        rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::Error;

#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub(crate) struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(Debug, FromRequest)]
#[from_request(via(axum::Form), rejection(Error))]
pub(crate) struct Form<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub(crate) struct Path<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub(crate) struct Query<T>(pub T);

/// Maps a rejection by its status, keeping axum's explanation (which names the offending field)
/// for API clients; a page says `page` instead.
fn from_rejection(status: StatusCode, text: String, page: &'static str) -> Error {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            Error::PayloadTooLarge("The request body is larger than the server accepts.".into())
        }
        s if s.is_server_error() => Error::internal(text),
        status => Error::Rejected {
            status,
            detail: text,
            page,
        },
    }
}

/// A path segment that does not parse (`/products/abc`): no such page.
const BAD_PATH: &str = "There is no page at this address. It may have been mistyped: follow a \
    link from the site instead.";
/// A form whose fields do not parse (hand-made, or from an old version of the page).
const BAD_FORM: &str = "The form sent something the site cannot read. Go back, reload the page \
    and try again.";

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        let text = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "Send the body as JSON with `Content-Type: application/json`.".to_owned()
            }
            other => other.body_text(),
        };
        from_rejection(rejection.status(), text, BAD_FORM)
    }
}

impl From<FormRejection> for Error {
    fn from(rejection: FormRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text(), BAD_FORM)
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text(), BAD_PATH)
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        from_rejection(
            rejection.status(),
            rejection.body_text(),
            crate::error::BAD_ADDRESS,
        )
    }
}
