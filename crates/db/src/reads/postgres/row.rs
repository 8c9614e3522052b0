//! A PostgreSQL row read into a model (see [`super::super::row`]): each value decoded from the
//! binary wire format by the column's type. Timestamps reach the model as RFC 3339 text, the form
//! chrono's `Deserialize` reads; everything else goes across as the number, text or bytes it is.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer, Visitor, value::Error};
use tokio_postgres::types::{FromSql, Type};

use crate::reads::row::{self, Row, Value};

/// The column types [`read`] decodes; a statement with any other goes to the sea-orm pool.
const READABLE: [Type; 17] = [
    Type::BOOL,
    Type::INT2,
    Type::INT4,
    Type::INT8,
    Type::FLOAT4,
    Type::FLOAT8,
    Type::TEXT,
    Type::VARCHAR,
    Type::BPCHAR,
    Type::NAME,
    Type::BYTEA,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMP,
    Type::DATE,
    Type::TIME,
    Type::JSON,
    Type::JSONB,
];

pub(super) fn readable(ty: &Type) -> bool {
    READABLE.contains(ty)
}

/// Deserializes `row` into `T`.
pub(super) fn read<T: de::DeserializeOwned>(row: &tokio_postgres::Row) -> Result<T, Error> {
    row::read(&PgRow(row))
}

struct PgRow<'a>(&'a tokio_postgres::Row);

impl Row for PgRow<'_> {
    type Value<'a>
        = Column<'a>
    where
        Self: 'a;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn name(&self, i: usize) -> Result<&str, Error> {
        self.0
            .columns()
            .get(i)
            .map(tokio_postgres::Column::name)
            .ok_or_else(|| de::Error::custom("a column past the row's last"))
    }

    fn column(&self, i: usize) -> Result<Column<'_>, Error> {
        let ty = self
            .0
            .columns()
            .get(i)
            .map(tokio_postgres::Column::type_)
            .ok_or_else(|| de::Error::custom("a column past the row's last"))?;
        let raw = self
            .0
            .try_get::<_, Option<Raw<'_>>>(i)
            .map_err(de::Error::custom)?
            .map(|raw| raw.0);
        Ok(Column { raw, ty })
    }
}

/// A column's bytes as they came over the wire, whatever its type (`None` for NULL).
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// One column's value.
struct Column<'a> {
    raw: Option<&'a [u8]>,
    ty: &'a Type,
}

fn decode<'a, T: FromSql<'a>>(ty: &Type, raw: &'a [u8]) -> Result<T, Error> {
    T::from_sql(ty, raw).map_err(de::Error::custom)
}

impl Value for Column<'_> {
    fn is_null(&self) -> bool {
        self.raw.is_none()
    }

    fn bytes(&self) -> Option<&[u8]> {
        self.raw.filter(|_| *self.ty == Type::BYTEA)
    }

    fn text(&self) -> Option<Result<&str, Error>> {
        let raw = self.raw.filter(|_| readable_as_text(self.ty))?;
        Some(decode(self.ty, raw))
    }

    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let Some(raw) = self.raw else {
            return visitor.visit_none();
        };
        let ty = self.ty;
        match *ty {
            Type::BOOL => visitor.visit_bool(decode(ty, raw)?),
            Type::INT2 => visitor.visit_i64(decode::<i16>(ty, raw)?.into()),
            Type::INT4 => visitor.visit_i64(decode::<i32>(ty, raw)?.into()),
            Type::INT8 => visitor.visit_i64(decode(ty, raw)?),
            Type::FLOAT4 => visitor.visit_f64(decode::<f32>(ty, raw)?.into()),
            Type::FLOAT8 => visitor.visit_f64(decode(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                visitor.visit_str(decode(ty, raw)?)
            }
            Type::BYTEA => visitor.visit_bytes(raw),
            Type::TIMESTAMPTZ => visitor.visit_string(
                decode::<DateTime<Utc>>(ty, raw)?.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ),
            Type::TIMESTAMP => visitor.visit_string(
                decode::<NaiveDateTime>(ty, raw)?
                    .format("%Y-%m-%dT%H:%M:%S%.f")
                    .to_string(),
            ),
            Type::DATE => visitor.visit_string(decode::<NaiveDate>(ty, raw)?.to_string()),
            Type::TIME => visitor.visit_string(decode::<NaiveTime>(ty, raw)?.to_string()),
            Type::JSON | Type::JSONB => {
                // jsonb's binary form is a version byte (1) before the text.
                let text = match (*ty == Type::JSONB, raw.split_first()) {
                    (true, Some((1, text))) => text,
                    (true, _) => return Err(de::Error::custom("an unknown jsonb version")),
                    (false, _) => raw,
                };
                // Parsed first: the model outlives the row's buffer.
                let json: serde_json::Value =
                    serde_json::from_slice(text).map_err(de::Error::custom)?;
                json.deserialize_any(visitor).map_err(de::Error::custom)
            }
            _ => Err(de::Error::custom(format!(
                "the readers do not decode {ty} columns"
            ))),
        }
    }
}

fn readable_as_text(ty: &Type) -> bool {
    [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty)
}
