//! What an admin list keeps: a search over the text fields (and the id), yes/no per boolean
//! field, a date range per date field. The same filter pages the list and feeds its export.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, Select,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use serde::{Deserialize, Serialize};

use super::{Field, Kind};
use crate::{Error, FieldErrors, Result};

/// The longest search accepted, in characters.
pub const SEARCH_MAX_CHARS: usize = 200;

/// A list's filter, as its query string gives it (`q=`, `FIELD=true`, `FIELD_from=`,
/// `FIELD_to=`) and an export job stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Rows with this text in any text field (case-insensitive), or with this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Boolean fields and the value kept.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flags: BTreeMap<String, bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRange>,
}

/// Rows whose date (or time, by its UTC day) field is within `from..=to` (either end open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    pub field: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Filter {
    /// Whether it keeps every row.
    pub fn is_empty(&self) -> bool {
        self.search.is_none() && self.flags.is_empty() && self.dates.is_empty()
    }

    /// `select` narrowed to the rows the filter keeps. A field the table does not have (or not
    /// of that kind) is a field error naming it.
    pub(super) fn apply<E: EntityTrait>(
        &self,
        mut select: Select<E>,
        fields: &[Field],
        columns: &[(&'static str, E::Column)],
        id: E::Column,
    ) -> Result<Select<E>> {
        let mut errors = FieldErrors::new();
        let column = |name: &str, kinds: &[Kind]| {
            let field = fields.iter().find(|f| f.name == name)?;
            if !kinds.contains(&field.kind) {
                return None;
            }
            columns.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
        };
        if let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if search.chars().count() > SEARCH_MAX_CHARS {
                errors.add(
                    "q",
                    format!("must be at most {SEARCH_MAX_CHARS} characters"),
                );
            }
            let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
            let mut any = Condition::any();
            for field in fields.iter().filter(|f| f.searchable()) {
                if let Some((_, c)) = columns.iter().find(|(n, _)| *n == field.name) {
                    let lowered = Expr::expr(Func::lower(Expr::col(*c)));
                    any = any.add(lowered.like(LikeExpr::new(pattern.clone()).escape('\\')));
                }
            }
            if let Ok(wanted) = search.parse::<i64>() {
                any = any.add(id.eq(wanted));
            }
            select = select.filter(any);
        }
        for (name, value) in &self.flags {
            match column(name, &[Kind::Bool]) {
                Some(c) => select = select.filter(c.eq(*value)),
                None => errors.add("filter", format!("`{name}` is not a yes/no field here")),
            }
        }
        for range in &self.dates {
            let Some(c) = column(&range.field, &[Kind::Date, Kind::DateTime]) else {
                let name = &range.field;
                errors.add("filter", format!("`{name}` is not a date field here"));
                continue;
            };
            let is_date = fields
                .iter()
                .any(|f| f.name == range.field && f.kind == Kind::Date);
            if let Some(from) = range.from {
                select = select.filter(if is_date {
                    c.gte(from)
                } else {
                    c.gte(from.and_time(chrono::NaiveTime::MIN).and_utc())
                });
            }
            if let Some(to) = range.to {
                select = select.filter(if is_date {
                    c.lte(to)
                } else {
                    // Up to the end of that day: before the next one starts.
                    let next = to.checked_add_days(Days::new(1)).unwrap_or(to);
                    c.lt(next.and_time(chrono::NaiveTime::MIN).and_utc())
                });
            }
        }
        errors.into_result(select).map_err(Error::Invalid)
    }
}

/// `50%_off` → `50\%\_off`: the user's text matched as it is.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_matched_literally() {
        assert_eq!(super::escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
