//! A SQLite row read into a model (see [`super::super::row`]): each value read by the type the
//! entity declares for its column (booleans from integers, JSON from text).

use rusqlite::types::ValueRef;
use sea_orm::ColumnType;
use serde::de::{self, Deserializer, Visitor, value::Error};

use crate::reads::row::{self, Row, Value};

/// Deserializes `row` into `T`; `kinds[i]` is the declared type of column `i`, if the entity has
/// that column.
pub(super) fn read<T: de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    kinds: &[Option<ColumnType>],
) -> Result<T, Error> {
    row::read(&SqliteRow { row, kinds })
}

struct SqliteRow<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    kinds: &'a [Option<ColumnType>],
}

impl Row for SqliteRow<'_, '_> {
    type Value<'a>
        = Column<'a>
    where
        Self: 'a;

    fn len(&self) -> usize {
        self.kinds.len()
    }

    fn name(&self, i: usize) -> Result<&str, Error> {
        self.row.as_ref().column_name(i).map_err(de::Error::custom)
    }

    fn column(&self, i: usize) -> Result<Column<'_>, Error> {
        Ok(Column {
            value: self.row.get_ref(i).map_err(de::Error::custom)?,
            kind: self.kinds.get(i).and_then(Option::as_ref),
        })
    }
}

/// One column's value.
struct Column<'a> {
    value: ValueRef<'a>,
    kind: Option<&'a ColumnType>,
}

impl Value for Column<'_> {
    fn is_null(&self) -> bool {
        matches!(self.value, ValueRef::Null)
    }

    fn bytes(&self) -> Option<&[u8]> {
        match self.value {
            ValueRef::Blob(bytes) => Some(bytes),
            _ => None,
        }
    }

    fn text(&self) -> Option<Result<&str, Error>> {
        match self.value {
            ValueRef::Text(text) => Some(std::str::from_utf8(text).map_err(de::Error::custom)),
            _ => None,
        }
    }

    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match (self.value, self.kind) {
            (ValueRef::Null, _) => visitor.visit_none(),
            (ValueRef::Integer(v), Some(ColumnType::Boolean)) => visitor.visit_bool(v != 0),
            (ValueRef::Integer(v), _) => visitor.visit_i64(v),
            (ValueRef::Real(v), _) => visitor.visit_f64(v),
            (ValueRef::Text(text), Some(ColumnType::Json | ColumnType::JsonBinary)) => {
                // Parsed first: the model outlives the row's buffer.
                let json: serde_json::Value =
                    serde_json::from_slice(text).map_err(de::Error::custom)?;
                json.deserialize_any(visitor).map_err(de::Error::custom)
            }
            (ValueRef::Text(text), kind) => {
                let text = std::str::from_utf8(text)
                    .map_err(|e| de::Error::custom(format!("text that is not UTF-8: {e}")))?;
                match kind {
                    // sqlx writes a date-time without a zone as `2026-11-29 04:05:06.000789`;
                    // chrono reads it back only with the `T`.
                    Some(ColumnType::DateTime | ColumnType::Timestamp)
                        if text.as_bytes().get(10) == Some(&b' ') =>
                    {
                        visitor.visit_string(text.replacen(' ', "T", 1))
                    }
                    _ => visitor.visit_str(text),
                }
            }
            (ValueRef::Blob(bytes), _) => visitor.visit_bytes(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use sea_orm::ColumnType;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mood {
        Busy,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Everything {
        id: i32,
        flag: bool,
        meta: serde_json::Value,
        note: Option<String>,
        name: String,
        ratio: f64,
        at: DateTime<Utc>,
        mood: Mood,
        absent: Option<i64>,
        bytes: Vec<u8>,
    }

    const SELECT: &str = "SELECT 7 AS id, 1 AS flag, '{\"a\":[1,2]}' AS meta, NULL AS note, \
        'x' AS name, 2.5 AS ratio, '2026-11-29T01:02:03Z' AS at, 'busy' AS mood, \
        NULL AS absent, X'00FF10' AS bytes, 'ignored' AS extra";

    fn kinds() -> Vec<Option<ColumnType>> {
        vec![
            Some(ColumnType::Integer),
            Some(ColumnType::Boolean),
            Some(ColumnType::Json),
            Some(ColumnType::Text),
            Some(ColumnType::Text),
            Some(ColumnType::Double),
            Some(ColumnType::TimestampWithTimeZone),
            Some(ColumnType::Text),
            Some(ColumnType::BigInteger),
            Some(ColumnType::VarBinary(sea_orm::sea_query::StringLen::None)),
            None,
        ]
    }

    fn read_one<T: serde::de::DeserializeOwned>(sql: &str) -> Result<T, String> {
        let conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
        let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
        let mut rows = statement.query([]).map_err(|e| e.to_string())?;
        let row = rows.next().map_err(|e| e.to_string())?.ok_or("no row")?;
        super::read(row, &kinds()).map_err(|e| e.to_string())
    }

    #[test]
    fn every_column_kind_reads_into_its_field() {
        let read: Everything = read_one(SELECT).unwrap();
        assert_eq!(
            read,
            Everything {
                id: 7,
                flag: true,
                meta: serde_json::json!({ "a": [1, 2] }),
                note: None,
                name: "x".into(),
                ratio: 2.5,
                at: "2026-11-29T01:02:03Z".parse().unwrap(),
                mood: Mood::Busy,
                absent: None,
                bytes: vec![0, 255, 16],
            }
        );
    }

    #[test]
    fn a_value_that_does_not_fit_is_an_error_naming_it() {
        #[derive(Debug, Deserialize)]
        struct Wrong {
            #[allow(dead_code)]
            id: i32,
        }
        let err = read_one::<Wrong>("SELECT 'seven' AS id").unwrap_err();
        assert!(err.contains("seven"), "{err}");
        let err = read_one::<Wrong>("SELECT 9999999999 AS id").unwrap_err();
        assert!(err.contains("9999999999"), "{err}");
    }
}
