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

    /// The actor may not change this row: only its owner or an administrator may (see
    /// [`crate::Actor::may_change`]).
    #[error("only its owner or an administrator may change {entity} {id}")]
    Forbidden { entity: &'static str, id: i64 },

    /// A unique constraint, a foreign key or another integrity rule refused the write.
    #[error("the change conflicts with existing data: {0}")]
    Conflict(String),

    #[error("invalid input")]
    Invalid(FieldErrors),

    /// The database could not serve the statement now, but may in a moment: pool exhausted or
    /// closed, connection refused or lost, the server shutting down or starting up, SQLite's
    /// write lock held by another process.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),

    #[error("database error")]
    Database(#[source] DbErr),
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => return Self::Conflict(msg),
            // The driver's text names tables and constraints: not for clients.
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::Conflict(
                    "it refers to a row that no longer exists (deleted meanwhile?), or a row still refers to it"
                        .into(),
                );
            }
            _ => {}
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
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
                Sqlx::Tls(_) => true,
                Sqlx::Database(db) => {
                    let sqlite = db
                        .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                        .is_some();
                    db.code().is_some_and(|code| {
                        if sqlite {
                            sqlite_transient(&code)
                        } else {
                            postgres_transient(&code)
                        }
                    })
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// SQLite's busy and locked (another process holds the write lock past the busy timeout): "not
/// now" rather than "never". Extended codes keep the primary code in their low byte.
fn sqlite_transient(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
}

/// PostgreSQL's connection exceptions (class 08), shutdown and start-up (57P01–57P03) and too
/// many connections (53300).
fn postgres_transient(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

#[cfg(test)]
mod tests {
    use super::{postgres_transient, sqlite_transient};

    #[test]
    fn busy_locked_and_a_server_going_away_are_transient_constraint_errors_are_not() {
        for code in ["5", "6", "261", "517", "773", "262"] {
            assert!(sqlite_transient(code), "{code}");
        }
        for code in ["19", "2067", "787", "1"] {
            assert!(!sqlite_transient(code), "{code}");
        }
        for code in ["57P01", "57P03", "08006", "08P01", "53300"] {
            assert!(postgres_transient(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "40001"] {
            assert!(!postgres_transient(code), "{code}");
        }
    }
}
