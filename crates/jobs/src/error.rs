//! The jobs crate's one error type.

/// What a job's `run` may fail with: any error, kept as text in the job's `last_error`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure no retry can fix (a file that does not decode, a payload naming nothing): returned
/// from a job's `run` as `Err(jobs::permanent(err))`, it makes the job dead at once instead of
/// spending its remaining attempts.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Permanent(pub BoxError);

/// Marks `err` as [`Permanent`].
pub fn permanent(err: impl Into<BoxError>) -> BoxError {
    Box::new(Permanent(err.into()))
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] db::Error),

    #[error("job {0} does not exist")]
    NotFound(i64),

    /// The job is in a state the action does not apply to (e.g. cancelling a finished job).
    #[error("job {id} is {state}: {action} applies only to {allowed} jobs")]
    WrongState {
        id: i64,
        state: String,
        action: &'static str,
        allowed: &'static str,
    },

    /// The job could not be turned into a payload.
    #[error("job {kind} does not serialize: {source}")]
    Payload {
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// A cron expression did not parse.
    #[error("schedule {name}: `{expr}` is not a valid cron expression: {reason}")]
    Schedule {
        name: String,
        expr: String,
        reason: String,
    },

    #[error("sending mail: {0}")]
    Mail(String),
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Db(err.into())
    }
}
