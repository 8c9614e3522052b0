//! Lists paged by cursor (keyset pagination): what every resource's list uses.
//!
//! A page is read as "the next `limit` rows after this row, in this order": one range read on an
//! index, whatever the page's position in the table, and no count. (An `OFFSET` walks and throws
//! away every row before the page, and a page count needs every row counted: both grow with the
//! table.) Rows added or deleted between two requests shift nothing: the next page starts after
//! the last row the client saw.
//!
//! A resource declares the orders it offers as [`Order`]s, each over a column with an index on
//! `(column, id)` (the id breaks ties, so every row has one place), and reads a page with
//! [`page`]. Clients get [`Cursor`]s back, opaque strings they pass as `after` or `before`.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ColumnTrait, ColumnType, EntityTrait, FromQueryResult, ModelTrait, Order as SqlOrder,
    QueryFilter, QueryOrder, QuerySelect, Select, Value,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};

use serde::de::DeserializeOwned;

use crate::{Error, FieldErrors, Read, Result};

/// The longest cursor accepted, in characters: a cursor holds one key value (a name is at most a
/// few hundred bytes), so anything longer was not made here.
pub const MAX_CURSOR_CHARS: usize = 1024;

/// An order a list offers: by `key` (then by id), or by id alone when `key` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order<C> {
    /// How clients ask for it (`sort=name`, `sort=-id`); cursors remember it.
    pub name: &'static str,
    pub key: Option<C>,
    pub descending: bool,
}

impl<C: Copy> Order<C> {
    /// The order in `orders` named `name`, or a field error listing the names there are.
    pub fn find(orders: &[Self], name: &str) -> Result<Self> {
        orders
            .iter()
            .find(|order| order.name == name)
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = orders.iter().map(|o| o.name).collect();
                invalid(
                    "sort",
                    format!("must be one of {} (got `{name}`)", names.join(", ")),
                )
            })
    }
}

/// Where in the list a page is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Position {
    #[default]
    First,
    /// The rows after this cursor's row.
    After(Cursor),
    /// The rows before this cursor's row.
    Before(Cursor),
}

/// A value a row is sorted by, as a cursor holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    Int(i64),
    Text(String),
}

/// A row's place in one order: the order's name, the row's key in it and its id. Clients see it
/// only encoded ([`Cursor::encode`]): an opaque string, safe in a URL as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    order: String,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    key: Option<Key>,
    #[serde(rename = "i")]
    id: i64,
}

impl Cursor {
    /// The cursor of row `id` in the order named `order` (`key`: the row's value in that order's
    /// column, `None` for an order by id): what a page ending on that row hands out.
    pub fn new(order: &str, key: Option<Key>, id: i64) -> Self {
        Self {
            order: order.to_owned(),
            key,
            id,
        }
    }

    /// The name of the order the cursor was made for.
    pub fn order(&self) -> &str {
        &self.order
    }

    pub fn encode(&self) -> String {
        // Serialising a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor a client sent as `field`; a field error if it is not one this module made.
    pub fn decode(field: &'static str, raw: &str) -> Result<Self> {
        let not_ours = || {
            invalid(
                field,
                "is not a cursor this list gave out: use `next_cursor` or `prev_cursor` from a response as it is",
            )
        };
        if raw.len() > MAX_CURSOR_CHARS {
            return Err(not_ours());
        }
        let json = URL_SAFE_NO_PAD.decode(raw).map_err(|_| not_ours())?;
        serde_json::from_slice(&json).map_err(|_| not_ours())
    }
}

/// One page of a list, with the cursors of its neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice<T> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<Cursor>,
    /// Pass as `before` for the previous page; `None` on the first page.
    pub prev: Option<Cursor>,
}

/// Reads `limit` rows of `select` in `order` at `position`, with `id` as the tie-breaker (an
/// integer column unique across the rows, usually the primary key).
///
/// Asks for one row more than `limit` to learn whether another page follows. A cursor made for
/// another order, or whose key does not fit the order's column, is a field error (`after` or
/// `before`), never a database error.
pub async fn page<E>(
    db: &impl Read,
    select: Select<E>,
    order: Order<E::Column>,
    id: E::Column,
    limit: u64,
    position: &Position,
) -> Result<Slice<E::Model>>
where
    E: EntityTrait,
    E::Model: DeserializeOwned + FromQueryResult + Send + 'static,
{
    let (cursor, forward) = match position {
        Position::First => (None, true),
        Position::After(cursor) => (Some(("after", cursor)), true),
        Position::Before(cursor) => (Some(("before", cursor)), false),
    };
    // Read backwards (and reverse afterwards) for the page before a cursor.
    let ascending = order.descending != forward;
    let direction = if ascending {
        SqlOrder::Asc
    } else {
        SqlOrder::Desc
    };

    let mut select = select;
    if let Some((field, cursor)) = cursor {
        let (left, right) = bound(field, cursor, order, id)?;
        select = select.filter(if ascending {
            left.gt(right)
        } else {
            left.lt(right)
        });
    }
    if let Some(key) = order.key {
        select = select.order_by(key, direction.clone());
    }
    let mut rows = db
        .all(
            select
                .order_by(id, direction)
                .limit(limit.saturating_add(1)),
        )
        .await?;

    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if !forward {
        rows.reverse();
    }
    let at = |row: Option<&E::Model>| row.map(|row| cursor_at::<E>(row, order, id)).transpose();
    let (next, prev) = match position {
        Position::First => (if more { at(rows.last())? } else { None }, None),
        Position::After(_) => (
            if more { at(rows.last())? } else { None },
            at(rows.first())?,
        ),
        Position::Before(_) => (
            at(rows.last())?,
            if more { at(rows.first())? } else { None },
        ),
    };
    Ok(Slice {
        items: rows,
        next,
        prev,
    })
}

/// `(key, id)` and the cursor's values, to compare as row values (both databases use the
/// `(key, id)` index for the range).
fn bound<C: ColumnTrait>(
    field: &'static str,
    cursor: &Cursor,
    order: Order<C>,
    id: C,
) -> Result<(Expr, Expr)> {
    if cursor.order != order.name {
        return Err(invalid(
            field,
            format!(
                "belongs to the order `{}`, not `{}`: drop `sort` or the cursor",
                cursor.order, order.name
            ),
        ));
    }
    let mismatch = || invalid(field, "does not fit this list's order");
    match (order.key, &cursor.key) {
        (None, None) => Ok((Expr::col(id), Expr::val(cursor.id))),
        (Some(column), Some(key)) => {
            let value = match (key_kind(column), key) {
                (Some(KeyKind::Int), Key::Int(v)) => Value::from(*v),
                (Some(KeyKind::Text), Key::Text(v)) => Value::from(v.clone()),
                _ => return Err(mismatch()),
            };
            Ok((
                Expr::tuple([Expr::col(column), Expr::col(id)]),
                Expr::tuple([Expr::val(value), Expr::val(cursor.id)]),
            ))
        }
        _ => Err(mismatch()),
    }
}

fn cursor_at<E: EntityTrait>(
    row: &E::Model,
    order: Order<E::Column>,
    id: E::Column,
) -> Result<Cursor> {
    let key = order
        .key
        .map(|column| key_of(row.get(column)))
        .transpose()?;
    let id = match key_of(row.get(id))? {
        Key::Int(id) => id,
        Key::Text(_) => return Err(unsupported("the tie-breaker must be an integer column")),
    };
    Ok(Cursor {
        order: order.name.to_owned(),
        key,
        id,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Int,
    Text,
}

fn key_kind(column: impl ColumnTrait) -> Option<KeyKind> {
    match column.def().get_column_type() {
        ColumnType::TinyInteger
        | ColumnType::SmallInteger
        | ColumnType::Integer
        | ColumnType::BigInteger => Some(KeyKind::Int),
        ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => Some(KeyKind::Text),
        _ => None,
    }
}

fn key_of(value: Value) -> Result<Key> {
    match value {
        Value::TinyInt(Some(v)) => Ok(Key::Int(v.into())),
        Value::SmallInt(Some(v)) => Ok(Key::Int(v.into())),
        Value::Int(Some(v)) => Ok(Key::Int(v.into())),
        Value::BigInt(Some(v)) => Ok(Key::Int(v)),
        Value::String(Some(v)) => Ok(Key::Text(v)),
        _ => Err(unsupported(
            "lists sort by non-null integer or text columns",
        )),
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    Error::Invalid(errors)
}

/// A list declared over a column it cannot page by: a programming error, reported as a
/// database error (500) rather than a panic.
fn unsupported(what: &str) -> Error {
    Error::Database(sea_orm::DbErr::Custom(format!("keyset pagination: {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_encoding_and_is_url_safe() {
        let cursor = Cursor {
            order: "name".into(),
            key: Some(Key::Text("Tea & “cakes”/?".into())),
            id: 42,
        };
        let encoded = cursor.encode();
        assert!(
            encoded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(Cursor::decode("after", &encoded).ok(), Some(cursor));
    }

    #[test]
    fn strings_that_are_not_cursors_are_field_errors() {
        let long = "A".repeat(MAX_CURSOR_CHARS + 1);
        let not_json = URL_SAFE_NO_PAD.encode("not json");
        for raw in ["", "!!", "e30", not_json.as_str(), long.as_str()] {
            let decoded = Cursor::decode("after", raw);
            assert!(
                matches!(&decoded, Err(Error::Invalid(errors)) if errors.get("after").is_some()),
                "{raw}: {decoded:?}"
            );
        }
    }
}
