//! A driver's row read straight into a model: the row is handed to the model's `Deserialize` as
//! a map of column name to value. Nothing is built in between (no JSON object per row); only what
//! the model keeps is allocated. Each driver says how to read one column ([`Row::column`]).

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor,
    value::{Error, StrDeserializer},
};

/// A row as the readers see it: named columns, each a [`Value`] of its own.
pub(super) trait Row {
    type Value<'a>: Value
    where
        Self: 'a;

    fn len(&self) -> usize;
    fn name(&self, i: usize) -> Result<&str, Error>;
    fn column(&self, i: usize) -> Result<Self::Value<'_>, Error>;
}

/// One column's value as a driver reads it; [`Column`] hands it to a field.
pub(super) trait Value {
    fn is_null(&self) -> bool;
    /// A binary column's bytes (a `Vec<u8>` field asks for them as a sequence).
    fn bytes(&self) -> Option<&[u8]>;
    /// A text column's text (a unit enum stored as text asks for it).
    fn text(&self) -> Option<Result<&str, Error>>;
    /// The value as what it is: a number, text, bytes, JSON, ...
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error>;
}

/// Deserializes `row` into `T`.
pub(super) fn read<T: de::DeserializeOwned, R: Row>(row: &R) -> Result<T, Error> {
    T::deserialize(RowDeserializer(row))
}

struct RowDeserializer<'a, R>(&'a R);

impl<'de, R: Row> Deserializer<'de> for RowDeserializer<'_, R> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Columns {
            row: self.0,
            next: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// The row's columns, in order, as map entries.
struct Columns<'a, R> {
    row: &'a R,
    next: usize,
}

impl<'de, R: Row> MapAccess<'de> for Columns<'_, R> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.next >= self.row.len() {
            return Ok(None);
        }
        let name = self.row.name(self.next)?;
        seed.deserialize(StrDeserializer::new(name)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let i = self.next;
        self.next += 1;
        seed.deserialize(Column(self.row.column(i)?))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.len().saturating_sub(self.next))
    }
}

/// One column, handed to a field's `Deserialize`.
struct Column<T>(T);

impl<'de, T: Value> Deserializer<'de> for Column<T> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.visit(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.bytes() {
            Some(bytes) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(bytes.iter().copied()))
            }
            None => self.0.visit(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0.text() {
            Some(text) => IntoDeserializer::<Error>::into_deserializer(text?)
                .deserialize_enum(name, variants, visitor),
            None => self.0.visit(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct tuple tuple_struct map struct identifier ignored_any
    }
}
