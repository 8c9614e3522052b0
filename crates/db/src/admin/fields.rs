//! A table's fields as the admin sees them: their kind (read from the entity's column types),
//! how a form's text becomes a typed value, and how a value reads as text.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

/// Fields no admin form edits: the key, the version, the timestamps and the owner are the
/// queries' to set.
pub(super) const FIXED: [&str; 5] = ["id", "version", "created_at", "updated_at", "created_by"];

/// What a field holds, as its column type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One line (`VARCHAR`).
    Text,
    /// Several lines (`TEXT`).
    LongText,
    Integer,
    Decimal,
    Bool,
    Date,
    DateTime,
    Uuid,
    /// Anything else: shown, never edited.
    Other,
}

/// One field of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    /// `price_cents` → `Price cents`.
    pub label: String,
    pub kind: Kind,
    /// The column takes `NULL`.
    pub optional: bool,
    /// On the create and edit forms.
    pub editable: bool,
}

/// `price_cents` → `Price cents`.
pub(super) fn label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl Field {
    /// Whether the search box looks in this field.
    pub fn searchable(&self) -> bool {
        matches!(self.kind, Kind::Text | Kind::LongText)
    }

    /// What a form sent for this field (`None`: nothing, as an unticked checkbox sends), as the
    /// typed value the resource's input reads; the message for a field error otherwise.
    pub fn read(&self, raw: Option<&str>) -> Result<Value, String> {
        if self.kind == Kind::Bool {
            return Ok(Value::Bool(matches!(
                raw.map(str::trim),
                Some("on" | "true" | "1" | "yes")
            )));
        }
        let raw = raw.unwrap_or_default();
        let trimmed = raw.trim();
        if trimmed.is_empty() && self.kind != Kind::Text && self.kind != Kind::LongText {
            return if self.optional {
                Ok(Value::Null)
            } else {
                Err("enter a value".into())
            };
        }
        match self.kind {
            Kind::Text | Kind::LongText if self.optional && trimmed.is_empty() => Ok(Value::Null),
            // As typed: the resource's own checks trim and bound it.
            Kind::Text | Kind::LongText => Ok(Value::String(raw.to_owned())),
            Kind::Integer => trimmed
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("\"{trimmed}\" is not a whole number")),
            Kind::Decimal => trimmed
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("\"{trimmed}\" is not a number")),
            Kind::Date => NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| format!("\"{trimmed}\" is not a date: write it as 2026-11-30")),
            Kind::DateTime => parse_time(trimmed)
                .map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
                .ok_or_else(|| {
                    format!("\"{trimmed}\" is not a time: write it as 2026-11-30T14:05 (UTC)")
                }),
            Kind::Uuid => sea_orm::prelude::Uuid::parse_str(trimmed)
                .map(|u| Value::String(u.to_string()))
                .map_err(|_| format!("\"{trimmed}\" is not a UUID")),
            Kind::Bool | Kind::Other => Err("cannot be changed here".into()),
        }
    }

    /// A value as a form's input shows it (a time as a `datetime-local` input reads it, in UTC).
    pub fn input(&self, value: &Value) -> String {
        match (self.kind, value) {
            (Kind::DateTime, Value::String(s)) => parse_time(s)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
                .unwrap_or_else(|| s.clone()),
            _ => text(value),
        }
    }
}

/// A value as one line of text (a list's cell, a CSV field): `NULL` is empty.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// RFC 3339, or a `datetime-local` input's `2026-11-30T14:05[:09]` read as UTC.
fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Some(time.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(kind: Kind, optional: bool) -> Field {
        Field {
            name: "f",
            label: "F".into(),
            kind,
            optional,
            editable: true,
        }
    }

    #[test]
    fn form_text_becomes_typed_values() {
        assert_eq!(
            field(Kind::Integer, false).read(Some(" 12 ")),
            Ok(json!(12))
        );
        assert_eq!(field(Kind::Bool, false).read(Some("on")), Ok(json!(true)));
        assert_eq!(field(Kind::Bool, false).read(None), Ok(json!(false)));
        assert_eq!(field(Kind::Date, true).read(Some("")), Ok(Value::Null));
        assert_eq!(
            field(Kind::DateTime, false).read(Some("2026-11-30T14:05")),
            Ok(json!("2026-11-30T14:05:00Z"))
        );
        assert_eq!(field(Kind::Text, false).read(Some(" a ")), Ok(json!(" a ")));
    }

    #[test]
    fn text_that_does_not_fit_is_a_message() {
        assert!(field(Kind::Integer, false).read(Some("1.5")).is_err());
        assert!(field(Kind::Integer, false).read(Some("")).is_err());
        assert!(field(Kind::Decimal, false).read(Some("NaN")).is_err());
        assert!(field(Kind::Date, false).read(Some("30/11/2026")).is_err());
        assert!(field(Kind::Uuid, false).read(Some("nope")).is_err());
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(label("price_cents"), "Price cents");
        assert_eq!(label(""), "");
    }
}
