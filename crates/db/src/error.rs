//! The data layer's one error type: each variant says what kind of failure it is.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

use crate::FieldErrors;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: i64 },

    /// Optimistic locking: the row changed since the caller read it.
    #[error(
        "{entity} {id} was changed by someone else: you sent version {expected}, the current version is {current}"
    )]
    StaleVersion {
        entity: &'static str,
        id: i64,
        expected: i32,
        current: i32,
    },

    /// A unique constraint (or another integrity rule) refused the write.
    #[error("the change conflicts with existing data: {0}")]
    Conflict(String),

    #[error("invalid input")]
    Invalid(FieldErrors),

    /// The database could not be reached: pool exhausted or closed, connection refused or lost.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),

    #[error("database error")]
    Database(#[source] DbErr),
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(msg)) = err.sql_err() {
            return Self::Conflict(msg);
        }
        if is_unavailable(&err) {
            Self::Unavailable(err)
        } else {
            Self::Database(err)
        }
    }
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            Sqlx::Io(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
                | Sqlx::Tls(_)
        ),
        _ => false,
    }
}
