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

/// Maps a rejection by its status, keeping axum's explanation (which names the offending field).
fn from_rejection(status: StatusCode, text: String) -> Error {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            Error::PayloadTooLarge("The request body is larger than the server accepts.".into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType(text),
        StatusCode::UNPROCESSABLE_ENTITY => Error::Unprocessable(text),
        s if s.is_server_error() => Error::internal(text),
        _ => Error::BadRequest(text),
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        let text = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "Send the body as JSON with `Content-Type: application/json`.".to_owned()
            }
            other => other.body_text(),
        };
        from_rejection(rejection.status(), text)
    }
}

impl From<FormRejection> for Error {
    fn from(rejection: FormRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text())
    }
}
