//! Field-level validation errors, collected so a form or an API client sees every problem at once,
//! and the checks a resource's input type runs on its fields (what `app generate resource` uses).

use serde::Serialize;

/// One refused field: which, and why (in a sentence for the person who filled it in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The first message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The value of a checked field, or (recording the message under `field`) its default, so
    /// that every field is checked before the errors are returned.
    pub fn check<T: Default>(&mut self, field: &'static str, checked: Result<T, String>) -> T {
        checked.unwrap_or_else(|message| {
            self.add(field, message);
            T::default()
        })
    }

    /// Adds `other`'s errors for fields that have none yet (the first problem with a field is
    /// the one worth showing).
    pub fn merge(&mut self, other: FieldErrors) {
        for error in other.0 {
            if self.get(error.field).is_none() {
                self.0.push(error);
            }
        }
    }

    /// `Ok(value)` when nothing was recorded, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

/// A one-line string: trimmed, 1 to `max` characters, no control characters.
pub fn line(raw: &str, max: usize) -> Result<String, String> {
    let value = bounded(raw.trim(), max)?;
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value)
}

/// [`line`], where a missing or blank value is `None`.
pub fn optional_line(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    optional(raw, |raw| line(raw, max))
}

/// A text of one or more lines: trimmed, line breaks as `\n` (a browser sends `\r\n`), 1 to `max`
/// characters, no control characters but line breaks and tabs.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let value = bounded(&raw.trim().replace("\r\n", "\n"), max)?;
    let allowed = |c: char| matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err("must not contain control characters other than line breaks and tabs".into());
    }
    Ok(value)
}

/// [`text`], where a missing or blank value is `None`.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    optional(raw, |raw| text(raw, max))
}

/// A number that is neither infinite nor NaN (JSON has no such numbers, but a form may).
pub fn finite(value: f64) -> Result<f64, String> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("must be a finite number (got {value})"))
    }
}

fn bounded(value: &str, max: usize) -> Result<String, String> {
    let chars = value.chars().count();
    if chars == 0 {
        return Err("must not be empty".into());
    }
    if chars > max {
        return Err(format!("must be at most {max} characters (got {chars})"));
    }
    Ok(value.to_owned())
}

fn optional(
    raw: Option<&str>,
    check: impl FnOnce(&str) -> Result<String, String>,
) -> Result<Option<String>, String> {
    match raw {
        Some(raw) if !raw.trim().is_empty() => check(raw).map(Some),
        _ => Ok(None),
    }
}

/// For an optional field of a partial update (`Option<Option<T>>` with `#[serde(default,
/// deserialize_with = "db::validation::present")]`): absent is `None` (leave it), `null` is
/// `Some(None)` (clear it), a value is `Some(Some(value))`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Whether `table` has a row with this `id`: what a reference to another table checks, in the
/// writing transaction, so that a missing row is a field error instead of a constraint failure.
pub async fn row_exists(
    conn: &impl sea_orm::ConnectionTrait,
    table: &str,
    id: i64,
) -> crate::Result<bool> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let query = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .limit(1)
        .to_owned();
    Ok(conn.query_one(&query).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_bounded_and_single() {
        assert_eq!(line("  Tea  ", 3), Ok("Tea".into()));
        assert_eq!(line("   ", 3), Err("must not be empty".into()));
        assert!(line("Teas", 3).unwrap_err().contains("at most 3"));
        assert!(line("a\nb", 10).unwrap_err().contains("control"));
        assert_eq!(line(&"é".repeat(3), 3), Ok("ééé".into()));
        assert_eq!(optional_line(Some("  "), 3), Ok(None));
        assert_eq!(optional_line(None, 3), Ok(None));
        assert_eq!(optional_line(Some(" a "), 3), Ok(Some("a".into())));
    }

    #[test]
    fn texts_keep_their_line_breaks_but_no_other_control_character() {
        assert_eq!(text(" a\nb\tc ", 10), Ok("a\nb\tc".into()));
        assert_eq!(text("a\r\nb", 10), Ok("a\nb".into()));
        assert!(text("a\u{0}b", 10).is_err());
        assert_eq!(optional_text(Some(""), 10), Ok(None));
    }

    #[test]
    fn every_field_is_checked_and_the_first_error_per_field_kept() {
        let mut errors = FieldErrors::new();
        let name: String = errors.check("name", line("", 5));
        let size: f64 = errors.check("size", finite(f64::NAN));
        assert_eq!((name.as_str(), size), ("", 0.0));
        let mut more = FieldErrors::new();
        more.add("name", "second");
        more.add("other", "kept");
        errors.merge(more);
        assert_eq!(errors.get("name"), Some("must not be empty"));
        assert_eq!(errors.get("other"), Some("kept"));
        assert_eq!(errors.iter().count(), 3);
    }

    #[derive(Debug, serde::Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "present")]
        note: Option<Option<String>>,
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let parse = |json| serde_json::from_str::<Patch>(json).unwrap().note;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"note":null}"#), Some(None));
        assert_eq!(parse(r#"{"note":"x"}"#), Some(Some("x".into())));
    }
}
