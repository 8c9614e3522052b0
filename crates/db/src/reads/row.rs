//! A driver's row read straight into a model: the row is handed to the model's `Deserialize` as
//! a map of column name to value. Nothing is built in between (no JSON object per row); only what
//! the model keeps is allocated. Each driver says how to read one column ([`Row::column`]).

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor,
    value::{Error, StrDeserializer},
};

/// A row as the readers see it: named columns, each a deserializer of its own value.
pub(super) trait Row {
    /// One column's value, ready to be read into a field.
    type Column<'a>: for<'de> Deserializer<'de, Error = Error>
    where
        Self: 'a;

    fn len(&self) -> usize;
    fn name(&self, i: usize) -> Result<&str, Error>;
    fn column(&self, i: usize) -> Result<Self::Column<'_>, Error>;
}

/// Deserializes `row` into `T`.
pub(super) fn read<T: de::DeserializeOwned, R: Row>(row: &R) -> Result<T, Error> {
    T::deserialize(RowDeserializer(row))
}

/// A unit enum stored as text (`DeriveActiveEnum` with string values).
pub(super) fn text_enum<'de, V: Visitor<'de>>(
    text: &str,
    name: &'static str,
    variants: &'static [&'static str],
    visitor: V,
) -> Result<V::Value, Error> {
    IntoDeserializer::<Error>::into_deserializer(text).deserialize_enum(name, variants, visitor)
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
        seed.deserialize(self.row.column(i)?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.len().saturating_sub(self.next))
    }
}
