//! One field of a generated resource: its spec (`name:type[?][:unique]`) and what each layer
//! writes for it.

use super::names;

/// A field's type, as `app generate resource` spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Text,
    Int,
    BigInt,
    Bool,
    Float,
    Date,
    DateTime,
    Uuid,
    /// A foreign key to the `id` of this table.
    Ref(String),
}

/// The longest `string`, in characters (its column is `VARCHAR(200)`).
pub(crate) const STRING_MAX: usize = 200;
/// The longest `text`, in characters.
pub(crate) const TEXT_MAX: usize = 10_000;

/// Names the engine gives every generated table, or that a form or a page uses.
const RESERVED_FIELDS: &[&str] = &[
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "csrf_token",
    // Names the generated code gives its own variables.
    "errors",
    "checked",
];

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) optional: bool,
    pub(crate) unique: bool,
}

impl Field {
    /// `total_cents:bigint`, `note:text?`, `email:string:unique`, `customer_id:references:customers`.
    pub(crate) fn parse(spec: &str) -> Result<Self, String> {
        let mut parts = spec.split(':');
        let name = parts.next().unwrap_or_default();
        let Some(ty) = parts.next() else {
            return Err(format!(
                "`{spec}` has no type: write `{name}:string` (types: string, text, int, bigint, bool, float, date, datetime, uuid, references:OTHER)"
            ));
        };
        names::check("field", name)?;
        if RESERVED_FIELDS.contains(&name) {
            return Err(format!(
                "`{name}` is a field every generated table has or a page uses: choose another field name"
            ));
        }
        let (ty, mut optional) = strip_optional(ty);
        let kind = match ty {
            "string" => Kind::String,
            "text" => Kind::Text,
            "int" => Kind::Int,
            "bigint" => Kind::BigInt,
            "bool" => Kind::Bool,
            "float" => Kind::Float,
            "date" => Kind::Date,
            "datetime" => Kind::DateTime,
            "uuid" => Kind::Uuid,
            "references" => {
                let other = parts.next().unwrap_or_default();
                let (other, other_optional) = strip_optional(other);
                optional |= other_optional;
                if other.is_empty() {
                    return Err(format!(
                        "`{spec}`: say what it references, e.g. `{name}:references:customers`"
                    ));
                }
                names::check("resource", other)?;
                Kind::Ref(other.to_owned())
            }
            other => {
                return Err(format!(
                    "`{other}` (in `{spec}`) is not a field type: use string, text, int, bigint, bool, float, date, datetime, uuid or references:OTHER"
                ));
            }
        };
        let mut unique = false;
        for modifier in parts {
            match strip_optional(modifier) {
                ("unique", also_optional) => {
                    unique = true;
                    optional |= also_optional;
                }
                _ => {
                    return Err(format!(
                        "`{modifier}` (in `{spec}`) is not a field option: the only one is `unique`"
                    ));
                }
            }
        }
        if unique && matches!(kind, Kind::Bool | Kind::Text | Kind::Float) {
            return Err(format!(
                "`{name}`: a {ty} field cannot be unique (only string, int, bigint, date, datetime, uuid and references can)"
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            kind,
            optional,
            unique,
        })
    }

    /// The Rust type of the value, without `Option`.
    pub(crate) fn base_type(&self) -> &'static str {
        match self.kind {
            Kind::String | Kind::Text => "String",
            Kind::Int => "i32",
            Kind::BigInt | Kind::Ref(_) => "i64",
            Kind::Bool => "bool",
            Kind::Float => "f64",
            Kind::Date => "chrono::NaiveDate",
            Kind::DateTime => "chrono::DateTime<chrono::Utc>",
            Kind::Uuid => "sea_orm::prelude::Uuid",
        }
    }

    /// The `#[schema(...)]` line OpenAPI needs for a type it cannot name by itself (dates,
    /// times and UUIDs are strings of a format); empty for the others. `nullable` for a field
    /// that may be `null` in JSON.
    pub(crate) fn schema_attr(&self, nullable: bool) -> String {
        let format = match self.kind {
            Kind::Date => "Date",
            Kind::DateTime => "DateTime",
            Kind::Uuid => "Uuid",
            _ => return String::new(),
        };
        let ty = if nullable { "Option<String>" } else { "String" };
        format!("    #[schema(value_type = {ty}, format = {format})]\n")
    }

    /// The Rust type of the field.
    pub(crate) fn rust_type(&self) -> String {
        if self.optional {
            format!("Option<{}>", self.base_type())
        } else {
            self.base_type().to_owned()
        }
    }

    /// `Total cents`.
    pub(crate) fn label(&self) -> String {
        super::capitalise(&self.name.replace('_', " "))
    }

    /// `TotalCents`: the column's variant in the entity and the migration.
    pub(crate) fn variant(&self) -> String {
        names::camel(&self.name)
    }

    /// Strings and numbers as JSON and forms carry them; bools aside.
    pub(crate) fn is_text(&self) -> bool {
        matches!(self.kind, Kind::String | Kind::Text)
    }
}

fn strip_optional(raw: &str) -> (&str, bool) {
    raw.strip_suffix('?').map_or((raw, false), |t| (t, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_give_type_optionality_and_uniqueness() {
        let f = Field::parse("note:text?").unwrap();
        assert_eq!((f.kind, f.optional, f.unique), (Kind::Text, true, false));
        let f = Field::parse("email:string:unique").unwrap();
        assert_eq!((f.kind, f.optional, f.unique), (Kind::String, false, true));
        let f = Field::parse("customer_id:references:customers?").unwrap();
        assert_eq!(f.kind, Kind::Ref("customers".into()));
        assert!(f.optional);
        assert_eq!(f.rust_type(), "Option<i64>");
        assert_eq!(
            Field::parse("total_cents:bigint").unwrap().label(),
            "Total cents"
        );
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, says) in [
            ("title", "has no type"),
            ("title:str", "not a field type"),
            ("Title:string", "snake_case"),
            ("order:string", "SQL reserved"),
            ("id:int", "every generated table has"),
            ("title:string:indexed", "not a field option"),
            ("done:bool:unique", "cannot be unique"),
            ("shop_id:references", "say what it references"),
        ] {
            let err = Field::parse(spec).unwrap_err();
            assert!(err.contains(says), "{spec}: {err}");
        }
    }
}
