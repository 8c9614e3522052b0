//! Building raw statements that run unchanged on both databases.
//!
//! The queue's statements (claim with `SKIP LOCKED`, `ON CONFLICT ... WHERE`, `RETURNING`) are
//! beyond what sea-query builds portably, so they are written out. `$N` placeholders work on
//! both: sqlx's SQLite driver binds `$N` by number.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// A statement for whatever database `conn` is.
pub(crate) fn stmt(
    conn: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

pub(crate) fn is_postgres(conn: &impl ConnectionTrait) -> bool {
    conn.get_database_backend() == DbBackend::Postgres
}

/// `$from, $from+1, ...` for `count` values, e.g. for `id IN (...)`.
pub(crate) fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `id IN (...)` over a list of ids bound as one JSON parameter (`$n`), so the statement text
/// is the same whatever the list's length: one prepared statement per connection instead of
/// one per length in sqlx's statement cache.
pub(crate) fn ids_in(conn: &impl ConnectionTrait, n: usize) -> String {
    if is_postgres(conn) {
        format!("id IN (SELECT value::bigint FROM jsonb_array_elements_text(${n}::jsonb))")
    } else {
        format!("id IN (SELECT value FROM json_each(${n}))")
    }
}

/// The JSON parameter for [`ids_in`].
pub(crate) fn ids_json(ids: &[i64]) -> Value {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    Value::from(format!("[{}]", list.join(",")))
}

/// Pending means a worker may still pick it up; the unique index uses the same list.
pub(crate) const PENDING: &str = "('queued', 'retrying')";
pub(crate) const ACTIVE: &str = "('queued', 'retrying', 'running')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_the_given_start() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
