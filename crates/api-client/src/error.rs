//! What can go wrong calling an upstream, classified by what the caller should do about it.

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The upstream says the thing asked for does not exist (404).
    #[error("{upstream}: {what} was not found")]
    NotFound {
        upstream: &'static str,
        what: String,
    },

    /// 429 after the retries the policy allows; `retry_after` is the upstream's own hint.
    #[error("{upstream} is rate limiting us")]
    RateLimited {
        upstream: &'static str,
        retry_after: Option<Duration>,
    },

    /// The call's deadline passed (connecting, waiting for a slot, or reading the answer).
    #[error("{upstream} did not answer in time")]
    Timeout { upstream: &'static str },

    /// Connection refused or reset, a 5xx, or the circuit breaker is open.
    #[error("{upstream} is unavailable: {reason}")]
    Unavailable {
        upstream: &'static str,
        reason: String,
    },

    /// The answer could not be decoded into the expected type.
    #[error("{upstream} sent a response we could not read: {reason}")]
    InvalidResponse {
        upstream: &'static str,
        reason: String,
    },

    #[error("could not build the HTTP client")]
    Build(#[source] reqwest::Error),
}

impl Error {
    /// Classifies a transport or decoding error from reqwest.
    pub(crate) fn from_reqwest(upstream: &'static str, err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout { upstream }
        } else if err.is_decode() {
            Self::InvalidResponse {
                upstream,
                reason: err.to_string(),
            }
        } else {
            Self::Unavailable {
                upstream,
                reason: err.to_string(),
            }
        }
    }
}
