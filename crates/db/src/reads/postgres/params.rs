//! sea-query's values bound as the types the prepared statement declares for its parameters.
//!
//! tokio-postgres checks each Rust type against the parameter's type (an `i64` is refused for
//! an `int4`), where sqlx lets the server cast. So each value is converted to what the statement
//! expects; one that does not convert (a type not listed here, an `i64` past `int4`) makes the
//! statement go to the sea-orm pool, which answers as it always did.

use std::error::Error;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use sea_orm::Value;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// One parameter, converted to its statement's type.
#[derive(Debug)]
pub(super) enum Bound<'a> {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Text(&'a str),
    Bytes(&'a [u8]),
    Timestamp(NaiveDateTime),
    TimestampTz(DateTime<Utc>),
    Date(NaiveDate),
    Time(NaiveTime),
}

/// Every value converted to its parameter's type, or `None` if one does not convert.
pub(super) fn bind<'a>(values: &'a [Value], types: &[Type]) -> Option<Vec<Bound<'a>>> {
    if values.len() != types.len() {
        return None;
    }
    values.iter().zip(types).map(|(v, ty)| one(v, ty)).collect()
}

fn one<'a>(value: &'a Value, ty: &Type) -> Option<Bound<'a>> {
    if !value.is_some() {
        return Some(Bound::Null);
    }
    let bound = match *ty {
        Type::BOOL => match value {
            Value::Bool(Some(v)) => Bound::Bool(*v),
            _ => return None,
        },
        Type::INT2 => Bound::I16(i16::try_from(integer(value)?).ok()?),
        Type::INT4 => Bound::I32(i32::try_from(integer(value)?).ok()?),
        Type::INT8 => Bound::I64(integer(value)?),
        Type::FLOAT4 => match value {
            Value::Float(Some(v)) => Bound::F32(*v),
            _ => return None,
        },
        Type::FLOAT8 => match value {
            Value::Float(Some(v)) => Bound::F64(f64::from(*v)),
            Value::Double(Some(v)) => Bound::F64(*v),
            _ => return None,
        },
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => match value {
            Value::String(Some(v)) => Bound::Text(v),
            _ => return None,
        },
        Type::BYTEA => match value {
            Value::Bytes(Some(v)) => Bound::Bytes(v),
            _ => return None,
        },
        Type::TIMESTAMPTZ => match value {
            Value::ChronoDateTimeUtc(Some(v)) => Bound::TimestampTz(*v),
            Value::ChronoDateTimeWithTimeZone(Some(v)) => Bound::TimestampTz(v.to_utc()),
            Value::ChronoDateTimeLocal(Some(v)) => Bound::TimestampTz(v.to_utc()),
            _ => return None,
        },
        Type::TIMESTAMP => match value {
            Value::ChronoDateTime(Some(v)) => Bound::Timestamp(*v),
            _ => return None,
        },
        Type::DATE => match value {
            Value::ChronoDate(Some(v)) => Bound::Date(*v),
            _ => return None,
        },
        Type::TIME => match value {
            Value::ChronoTime(Some(v)) => Bound::Time(*v),
            _ => return None,
        },
        _ => return None,
    };
    Some(bound)
}

/// An integer value of any width, as `i64`.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::TinyInt(Some(v)) => Some(i64::from(*v)),
        Value::SmallInt(Some(v)) => Some(i64::from(*v)),
        Value::Int(Some(v)) => Some(i64::from(*v)),
        Value::BigInt(Some(v)) => Some(*v),
        Value::TinyUnsigned(Some(v)) => Some(i64::from(*v)),
        Value::SmallUnsigned(Some(v)) => Some(i64::from(*v)),
        Value::Unsigned(Some(v)) => Some(i64::from(*v)),
        Value::BigUnsigned(Some(v)) => i64::try_from(*v).ok(),
        _ => None,
    }
}

impl ToSql for Bound<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Bool(v) => v.to_sql(ty, out),
            Self::I16(v) => v.to_sql(ty, out),
            Self::I32(v) => v.to_sql(ty, out),
            Self::I64(v) => v.to_sql(ty, out),
            Self::F32(v) => v.to_sql(ty, out),
            Self::F64(v) => v.to_sql(ty, out),
            Self::Text(v) => v.to_sql(ty, out),
            Self::Bytes(v) => v.to_sql(ty, out),
            Self::Timestamp(v) => v.to_sql(ty, out),
            Self::TimestampTz(v) => v.to_sql(ty, out),
            Self::Date(v) => v.to_sql(ty, out),
            Self::Time(v) => v.to_sql(ty, out),
        }
    }

    /// [`bind`] chose each value by its parameter's type already.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use sea_orm::Value;
    use tokio_postgres::types::Type;

    use super::{Bound, bind};

    #[test]
    fn integers_take_the_width_of_their_parameter() {
        let values = [
            Value::BigInt(Some(7)),
            Value::Int(Some(8)),
            Value::BigInt(None),
        ];
        let bound = bind(&values, &[Type::INT4, Type::INT8, Type::INT2]).unwrap();
        assert!(matches!(
            bound.as_slice(),
            [Bound::I32(7), Bound::I64(8), Bound::Null]
        ));
    }

    #[test]
    fn a_value_that_does_not_fit_its_parameter_leaves_the_statement_to_the_pool() {
        assert!(bind(&[Value::BigInt(Some(1 << 40))], &[Type::INT4]).is_none());
        assert!(bind(&[Value::String(Some("x".into()))], &[Type::INT8]).is_none());
        assert!(bind(&[Value::BigInt(Some(1))], &[Type::NUMERIC]).is_none());
        assert!(bind(&[Value::BigInt(Some(1))], &[Type::INT8, Type::INT8]).is_none());
    }
}
