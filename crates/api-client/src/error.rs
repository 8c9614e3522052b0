//! What can go wrong calling an upstream, classified by what the caller should do about it.

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{upstream}: {what} was not found")]
    NotFound {
        upstream: &'static str,
        what: String,
    },

    #[error("{upstream} is rate limiting us")]
    RateLimited {
        upstream: &'static str,
        retry_after: Option<Duration>,
    },

    #[error("{upstream} did not answer in time")]
    Timeout {
        upstream: &'static str,
        #[source]
        source: reqwest::Error,
    },

    #[error("{upstream} is unavailable: {reason}")]
    Unavailable {
        upstream: &'static str,
        reason: String,
    },

    #[error("{upstream} sent a response we could not read")]
    InvalidResponse {
        upstream: &'static str,
        #[source]
        source: reqwest::Error,
    },

    #[error("could not build the HTTP client")]
    Build(#[source] reqwest::Error),
}

impl Error {
    /// Classifies a transport or decoding error from reqwest.
    pub(crate) fn from_reqwest(upstream: &'static str, err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout {
                upstream,
                source: err,
            }
        } else if err.is_decode() {
            Self::InvalidResponse {
                upstream,
                source: err,
            }
        } else {
            Self::Unavailable {
                upstream,
                reason: err.to_string(),
            }
        }
    }

    /// Classifies a non-success status.
    pub(crate) fn from_status(
        upstream: &'static str,
        what: String,
        status: reqwest::StatusCode,
    ) -> Self {
        match status.as_u16() {
            404 => Self::NotFound { upstream, what },
            429 => Self::RateLimited {
                upstream,
                retry_after: None,
            },
            _ => Self::Unavailable {
                upstream,
                reason: format!("answered {status}"),
            },
        }
    }
}
