//! What `app generate resource` writes in `migrations/` and `crates/db/`.

use std::fmt::Write;

use super::{Field, Kind, Resource, field, names};

/// `migrations/src/m…_create_NAME.rs`.
pub(super) fn migration(r: &Resource) -> String {
    let table = names::camel(&r.name);
    let mut columns = String::new();
    let mut keys = String::new();
    let mut others: Vec<String> = vec!["users".into()];
    let mut indexes = vec![format!(
        "(\"idx_{}_created_by\", {table}::CreatedBy, false)",
        r.name
    )];
    for f in &r.fields {
        let null = if f.optional { "_null" } else { "" };
        let column = match &f.kind {
            Kind::String => format!(
                "string_len{null}({table}::{}, {})",
                f.variant(),
                field::STRING_MAX
            ),
            Kind::Text => format!("text{null}({table}::{})", f.variant()),
            Kind::Int => format!("integer{null}({table}::{})", f.variant()),
            Kind::BigInt | Kind::Ref(_) => format!("big_integer{null}({table}::{})", f.variant()),
            Kind::Bool => format!("boolean{null}({table}::{})", f.variant()),
            Kind::Float => format!("double{null}({table}::{})", f.variant()),
            Kind::Date => format!("date{null}({table}::{})", f.variant()),
            Kind::DateTime => format!("timestamp_with_time_zone{null}({table}::{})", f.variant()),
            Kind::Uuid => format!("uuid{null}({table}::{})", f.variant()),
        };
        let _ = write!(columns, "\n                    .col({column})");
        if let Kind::Ref(other) = &f.kind {
            let target = names::camel(other);
            // A required reference keeps its row (deleting what it refers to is refused); an
            // optional one is cleared.
            let action = if f.optional { "SetNull" } else { "Restrict" };
            let _ = write!(
                keys,
                "\n                    .foreign_key(\n                        ForeignKey::create()\n                            .from({table}::Table, {table}::{v})\n                            .to({target}::Table, {target}::Id)\n                            .on_delete(ForeignKeyAction::{action}),\n                    )",
                v = f.variant()
            );
            if other != &r.name && !others.contains(other) {
                others.push(other.clone());
            }
        }
        if f.unique || matches!(f.kind, Kind::Ref(_)) {
            indexes.push(format!(
                "(\"idx_{}_{}\", {table}::{}, {})",
                r.name,
                f.name,
                f.variant(),
                f.unique
            ));
        }
    }
    let variants: String = r
        .fields
        .iter()
        .map(|f| format!("    {},\n", f.variant()))
        .collect();
    let other_idens: String = others
        .iter()
        .map(|other| {
            format!(
                "\n#[derive(DeriveIden)]\nenum {} {{\n    Table,\n    Id,\n}}\n",
                names::camel(other)
            )
        })
        .collect();
    let count = indexes.len();
    let indexes: String = indexes.iter().map(|i| format!("    {i},\n")).collect();
    r.fill(MIGRATION)
        .replace("__Table__", &table)
        .replace("__COLUMNS__", &columns)
        .replace("__FOREIGN_KEYS__", &keys)
        .replace("__VARIANTS__", &variants)
        .replace("__OTHER_IDENS__", &other_idens)
        .replace("__INDEX_COUNT__", &count.to_string())
        .replace("__INDEXES__", &indexes)
}

const MIGRATION: &str = r#"//! `__name__` (written by `app generate resource`): each row has an owner (`created_by`), who
//! or an administrator may change it, and a `version` for optimistic locking.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Deleting a user clears the owner of their __labels__: without an index on `created_by` that
/// is a scan of the table. Unique fields and references have theirs.
const INDEXES: [(&str, __Table__, bool); __INDEX_COUNT__] = [
__INDEXES__];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(__Table__::Table)
                    .if_not_exists()
                    .col(big_pk_auto(__Table__::Id))__COLUMNS__
                    .col(integer(__Table__::Version).default(1))
                    .col(timestamp_with_time_zone(__Table__::CreatedAt))
                    .col(timestamp_with_time_zone(__Table__::UpdatedAt))
                    .col(big_integer_null(__Table__::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(__Table__::Table, __Table__::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )__FOREIGN_KEYS__
                    .to_owned(),
            )
            .await?;
        for (name, column, unique) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(__Table__::Table).col(column);
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(__Table__::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum __Table__ {
    Table,
    Id,
__VARIANTS__    Version,
    CreatedAt,
    UpdatedAt,
    CreatedBy,
}
__OTHER_IDENS__"#;

/// `crates/db/src/entities/SINGULAR.rs`.
pub(super) fn entity(r: &Resource) -> String {
    let eq = if r.fields.iter().any(|f| f.kind == Kind::Float) {
        ""
    } else {
        "Eq, "
    };
    let fields: String = r
        .fields
        .iter()
        .map(|f| {
            let base = match f.kind {
                Kind::Date => "Date",
                Kind::DateTime => "DateTimeUtc",
                Kind::Uuid => "Uuid",
                _ => f.base_type(),
            };
            let ty = if f.optional {
                format!("Option<{base}>")
            } else {
                base.to_owned()
            };
            let column = if f.kind == Kind::Text {
                "    #[sea_orm(column_type = \"Text\")]\n"
            } else {
                ""
            };
            let schema = f.schema_attr(f.optional);
            format!("{column}{schema}    pub {}: {ty},\n", f.name)
        })
        .collect();
    r.fill(ENTITY)
        .replace("__EQ__", eq)
        .replace("__FIELDS__", &fields)
}

const ENTITY: &str = r#"//! The `__name__` table (written by `app generate resource`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, __EQ__DeriveEntityModel, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(table_name = "__name__")]
#[schema(as = __Type__)]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
__FIELDS__    /// Bumped by every update; a client sends back the version it saw (optimistic locking).
    pub version: i32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTimeUtc,
    /// The user who created it; `None` once that user is deleted (only administrators may
    /// change it then).
    pub created_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
"#;

/// `10000` → `10_000`, as Rust source writes it.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(digit);
    }
    out
}

/// `value` of `f`, cloned only if it is not `Copy`.
fn owned(f: &Field, value: &str) -> String {
    if f.is_text() {
        format!("{value}.clone()")
    } else {
        value.to_owned()
    }
}

/// `crates/db/src/NAME.rs`.
pub(super) fn queries(r: &Resource) -> String {
    let each = |line: &dyn Fn(&Field) -> String| -> String { r.fields.iter().map(line).collect() };
    let input_fields = each(&|f| {
        let default = if f.optional {
            "    #[serde(default)]\n"
        } else {
            ""
        };
        let schema = f.schema_attr(f.optional);
        format!("{default}{schema}    pub {}: {},\n", f.name, f.rust_type())
    });
    let checks = each(&|f| {
        let n = &f.name;
        let check = match (&f.kind, f.optional) {
            (Kind::String, false) => format!("crate::validation::line(&{n}, STRING_MAX)"),
            (Kind::String, true) => {
                format!("crate::validation::optional_line({n}.as_deref(), STRING_MAX)")
            }
            (Kind::Text, false) => format!("crate::validation::text(&{n}, TEXT_MAX)"),
            (Kind::Text, true) => {
                format!("crate::validation::optional_text({n}.as_deref(), TEXT_MAX)")
            }
            (Kind::Float, false) => format!("crate::validation::finite({n})"),
            (Kind::Float, true) => format!("{n}.map(crate::validation::finite).transpose()"),
            _ => return format!("            {n},\n"),
        };
        format!("            {n}: errors.check(\"{n}\", {check}),\n")
    });
    let field_list = r
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let from_row = each(&|f| {
        format!(
            "            {}: {},\n",
            f.name,
            owned(f, &format!("row.{}", f.name))
        )
    });
    let patch_fields = each(&|f| {
        let schema = f.schema_attr(true);
        if f.optional {
            format!(
                "    #[serde(default, deserialize_with = \"crate::validation::present\")]\n{schema}    pub {}: Option<{}>,\n",
                f.name,
                f.rust_type()
            )
        } else {
            format!(
                "    #[serde(default)]\n{schema}    pub {}: Option<{}>,\n",
                f.name,
                f.rust_type()
            )
        }
    });
    let replace = each(&|f| format!("            {0}: Some(input.{0}),\n", f.name));
    let is_empty = r
        .fields
        .iter()
        .map(|f| format!("self.{}.is_none()", f.name))
        .collect::<Vec<_>>()
        .join(" && ");
    let apply = each(&|f| {
        format!(
            "        if let Some(value) = self.{0} {{\n            input.{0} = value;\n        }}\n",
            f.name
        )
    });
    let set = each(&|f| format!("        {0}: Set(input.{0}),\n", f.name));
    let from_input = each(&|f| format!("        {0}: input.{0},\n", f.name));
    let col_exprs = each(&|f| {
        format!(
            "        .col_expr(Column::{}, Expr::value({}))\n",
            f.variant(),
            owned(f, &format!("after.{}", f.name))
        )
    });
    let mut consts = String::new();
    if r.fields.iter().any(|f| f.kind == Kind::String) {
        let _ = write!(
            consts,
            "/// The longest one-line text field, in characters (the column is `VARCHAR({0})`).\npub const STRING_MAX: usize = {0};\n",
            field::STRING_MAX
        );
    }
    if r.fields.iter().any(|f| f.kind == Kind::Text) {
        let _ = write!(
            consts,
            "/// The longest text field, in characters.\npub const TEXT_MAX: usize = {};\n",
            grouped(field::TEXT_MAX)
        );
    }
    let rows = row_checks(r);
    let unique = r.fields.iter().any(|f| f.unique);
    let (check_create, check_update) = match (rows.is_empty(), unique) {
        (true, _) => (String::new(), String::new()),
        (false, true) => (
            "    check_rows(&txn, &input, None).await?;\n".to_owned(),
            "    check_rows(&txn, &input, Some(id)).await?;\n".to_owned(),
        ),
        (false, false) => (
            "    check_rows(&txn, &input).await?;\n".to_owned(),
            "    check_rows(&txn, &input).await?;\n".to_owned(),
        ),
    };
    let first = r.fields.first().map_or("", |f| f.name.as_str());
    r.fill(QUERIES)
        .replace("__CONSTS__", &consts)
        .replace("__INPUT_FIELDS__", &input_fields)
        .replace("__CHECKS__", &checks)
        .replace("__FIELD_LIST__", &field_list)
        .replace("__FROM_ROW__", &from_row)
        .replace("__PATCH_FIELDS__", &patch_fields)
        .replace("__REPLACE__", &replace)
        .replace("__IS_EMPTY__", &is_empty)
        .replace("__APPLY__", &apply)
        .replace("__SET__", &set)
        .replace("__FROM_INPUT__", &from_input)
        .replace("__COL_EXPRS__", &col_exprs)
        .replace("__CHECK_ROWS_CREATE__", &check_create)
        .replace("__CHECK_ROWS_UPDATE__", &check_update)
        .replace("__ROW_CHECKS__", &rows)
        .replace("__first__", first)
}

/// `check_rows` (and `taken`): what only the table can tell, for unique fields and references.
fn row_checks(r: &Resource) -> String {
    let unique: Vec<&Field> = r.fields.iter().filter(|f| f.unique).collect();
    let refs: Vec<(&Field, &String)> = r
        .fields
        .iter()
        .filter_map(|f| match &f.kind {
            Kind::Ref(other) => Some((f, other)),
            _ => None,
        })
        .collect();
    if unique.is_empty() && refs.is_empty() {
        return String::new();
    }
    let mut body = String::new();
    for f in &unique {
        let n = &f.name;
        let test = format!(
            "if taken(txn, Column::{}.eq(value), id).await? {{\n            errors.add(\"{n}\", \"is taken by another {}\");\n        }}",
            f.variant(),
            r.label
        );
        if f.optional {
            let _ = write!(
                body,
                "    if let Some(value) = {}\n        && taken(txn, Column::{}.eq(value), id).await?\n    {{\n        errors.add(\"{n}\", \"is taken by another {}\");\n    }}\n",
                owned(f, &format!("input.{n}")),
                f.variant(),
                r.label
            );
        } else {
            let _ = write!(
                body,
                "    let value = {};\n    {}\n",
                owned(f, &format!("input.{n}")),
                test.replace("\n        ", "\n    ")
            );
        }
    }
    for (f, other) in &refs {
        let n = &f.name;
        let test = format!(
            "if !crate::validation::row_exists(txn, \"{other}\", other).await? {{\n            errors.add(\"{n}\", format!(\"there is no {other} row with id {{other}}\"));\n        }}"
        );
        if f.optional {
            let _ = write!(
                body,
                "    if let Some(other) = input.{n}\n        && !crate::validation::row_exists(txn, \"{other}\", other).await?\n    {{\n        errors.add(\"{n}\", format!(\"there is no {other} row with id {{other}}\"));\n    }}\n"
            );
        } else {
            let _ = write!(
                body,
                "    let other = input.{n};\n    {}\n",
                test.replace("\n        ", "\n    ")
            );
        }
    }
    let (id_doc, id_param) = if unique.is_empty() {
        ("", "")
    } else {
        (
            "; `id` is the row being changed, if any",
            "\n    id: Option<i64>,",
        )
    };
    let mut out = format!(
        "\n/// What only the table can tell: a unique value another row has, a reference to a row that does\n/// not exist. Checked in the writing transaction, so the answer is a field error (422) instead of\n/// a constraint failure{id_doc}.\nasync fn check_rows(\n    txn: &impl ConnectionTrait,\n    input: &{ty}Input,{id_param}\n) -> Result<()> {{\n    let mut errors = FieldErrors::new();\n{body}    errors.into_result(()).map_err(Error::Invalid)\n}}\n",
        ty = r.ty
    );
    if !unique.is_empty() {
        out.push_str(
            "\n/// Whether a row other than `id` matches `condition`.\nasync fn taken(\n    txn: &impl ConnectionTrait,\n    condition: impl sea_orm::sea_query::IntoCondition,\n    id: Option<i64>,\n) -> Result<bool> {\n    let mut query = entity::Entity::find().filter(condition);\n    if let Some(id) = id {\n        query = query.filter(Column::Id.ne(id));\n    }\n    Ok(query.count(txn).await? > 0)\n}\n",
        );
    }
    out
}

const QUERIES: &str = r#"//! __Labels__ (written by `app generate resource`; yours to change): the validated input and
//! every query the app runs on the `__name__` table.
//!
//! Writes run in a transaction that also writes their `audit_log` row: both commit or neither
//! does. A row's owner (`created_by`) or an administrator may change it.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::Expr,
};
use serde::Deserialize;

use crate::{
    Actor, Error, FieldErrors, Read, Result, Writer, audit,
    entities::__singular__::{self as entity, Column},
    list::{self, Position, Slice},
};

pub use crate::entities::__singular__::Model as __Type__;

/// The table, as recorded in `audit_log`.
const TABLE: &str = "__name__";
/// The word used in error messages.
const ENTITY: &str = "__label__";
__CONSTS__
/// __A_label__ as a client sends it: the body of `POST /api/__name__`, and what its form
/// becomes. [`New__Type__::parse`] checks it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct __Type__Input {
__INPUT_FIELDS__}

/// __A_label__ to create: an input whose every field passed its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct New__Type__(__Type__Input);

impl New__Type__ {
    /// Checks every field (text is trimmed), reporting each problem under the field's name.
    pub fn parse(input: __Type__Input) -> Result<Self, FieldErrors> {
        let __Type__Input { __FIELD_LIST__ } = input;
        let mut errors = FieldErrors::new();
        let checked = __Type__Input {
__CHECKS__        };
        errors.into_result(Self(checked))
    }

    pub fn into_input(self) -> __Type__Input {
        self.0
    }
}

impl From<&__Type__> for __Type__Input {
    fn from(row: &__Type__) -> Self {
        Self {
__FROM_ROW__        }
    }
}

/// A change to __a_label__: the body of `PATCH /api/__name__/{id}`. Fields left out stay as
/// they are (`null` clears an optional one); `version` is the version the client last saw.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct __Type__Patch {
    pub version: i32,
__PATCH_FIELDS__}

impl __Type__Patch {
    /// A change that sets every field to `input`'s (what an edit form sends).
    pub fn replace(input: __Type__Input, version: i32) -> Self {
        Self {
            version,
__REPLACE__        }
    }

    fn is_empty(&self) -> bool {
        __IS_EMPTY__
    }

    fn apply(self, input: &mut __Type__Input) {
__APPLY__    }
}

/// The orders the lists offer, the default (newest first) first. To sort by a column, add an
/// order with that column as `key`, and an index on `(column, id)` in a migration.
pub const SORTS: [list::Order<Column>; 2] = [
    list::Order {
        name: "-id",
        key: None,
        descending: true,
    },
    list::Order {
        name: "id",
        key: None,
        descending: false,
    },
];

/// A page of __labels__: `limit` of them in `order`, at `position` (see [`crate::list`]).
pub async fn list(
    db: &impl Read,
    order: list::Order<Column>,
    limit: u64,
    position: &Position,
) -> Result<Slice<__Type__>> {
    list::page(db, entity::Entity::find(), order, Column::Id, limit, position).await
}

/// How many __labels__ there are (it reads the whole table: not for every request).
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64> {
    Ok(entity::Entity::find().count(conn).await?)
}

/// One __label__. Pass [`crate::Reads`] where nothing is written, or the transaction that will.
pub async fn get(db: &impl Read, id: i64) -> Result<__Type__> {
    db.one(entity::Entity::find_by_id(id))
        .await?
        .ok_or(Error::NotFound { entity: ENTITY, id })
}

/// The __label__, if `actor` may change it ([`Error::Forbidden`] otherwise).
pub async fn get_for_change(db: &impl Read, actor: Actor, id: i64) -> Result<__Type__> {
    let row = get(db, id).await?;
    if actor.may_change(row.created_by) {
        Ok(row)
    } else {
        Err(Error::Forbidden { entity: ENTITY, id })
    }
}

/// Creates __a_label__ owned by `actor`.
pub async fn create(db: &impl Writer, actor: Actor, new: New__Type__) -> Result<__Type__> {
    let txn = crate::begin_write(db).await?;
    let input = new.0;
__CHECK_ROWS_CREATE__    let now = crate::now();
    let row = entity::ActiveModel {
__SET__        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(Some(actor.user_id)),
        ..Default::default()
    };
    let created = entity::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    let snapshot = audit::snapshot(&created);
    audit::record(&txn, actor, TABLE, created.id, "created", &snapshot).await?;
    txn.commit().await?;
    Ok(created)
}

/// Applies `patch` if `actor` may change the row and it is still at `patch.version`, bumping
/// the version and writing an audit row with the old and new values, in one transaction.
pub async fn update(
    db: &impl Writer,
    actor: Actor,
    id: i64,
    patch: __Type__Patch,
) -> Result<__Type__> {
    let expected = patch.version;
    let txn = crate::begin_write(db).await?;
    let before = get_for_change(&txn, actor, id).await?;
    if patch.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("__first__", "give at least one field to change");
        return Err(Error::Invalid(errors));
    }
    let stale = |current| Error::StaleVersion {
        entity: ENTITY,
        id,
        expected,
        current,
    };
    if before.version != expected {
        return Err(stale(before.version));
    }
    let mut input = __Type__Input::from(&before);
    patch.apply(&mut input);
    let input = New__Type__::parse(input)?.0;
__CHECK_ROWS_UPDATE__    let after = __Type__ {
__FROM_INPUT__        version: before.version + 1,
        updated_at: crate::now(),
        ..before.clone()
    };
    // The version guard in the WHERE clause makes a concurrent update lose cleanly on
    // PostgreSQL, where the read above does not lock the row.
    let result = entity::Entity::update_many()
__COL_EXPRS__        .col_expr(Column::Version, Expr::value(after.version))
        .col_expr(Column::UpdatedAt, Expr::value(after.updated_at))
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(expected))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        let current = get(&txn, id).await?.version;
        return Err(stale(current));
    }
    audit::record(&txn, actor, TABLE, id, "updated", &audit::diff(&before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes __a_label__ if `actor` may; with `expected_version`, only if it is still at that
/// version.
pub async fn delete(
    db: &impl Writer,
    actor: Actor,
    id: i64,
    expected_version: Option<i32>,
) -> Result<()> {
    let txn = crate::begin_write(db).await?;
    let before = get_for_change(&txn, actor, id).await?;
    if let Some(expected) = expected_version.filter(|v| *v != before.version) {
        return Err(Error::StaleVersion {
            entity: ENTITY,
            id,
            expected,
            current: before.version,
        });
    }
    entity::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(before.version))
        .exec(&txn)
        .await?;
    let snapshot = audit::snapshot(&before);
    audit::record(&txn, actor, TABLE, id, "deleted", &snapshot).await?;
    txn.commit().await?;
    Ok(())
}

/// __Labels__ in the admin (`/admin/__name__`): its fields come from the entity; every write goes
/// through the queries above.
#[derive(Debug)]
pub struct Admin;

impl crate::admin::Resource for Admin {
    type Entity = entity::Entity;
    const NAME: &'static str = TABLE;
    const LABEL: &'static str = ENTITY;
    const PLURAL: &'static str = "__labels__";

    fn orders() -> &'static [list::Order<Column>] {
        &SORTS
    }

    async fn create(
        db: &sea_orm::DatabaseConnection,
        actor: Actor,
        values: crate::admin::Values,
    ) -> Result<i64> {
        let input: __Type__Input = crate::admin::from_values(values)?;
        let new = New__Type__::parse(input).map_err(Error::Invalid)?;
        Ok(create(db, actor, new).await?.id)
    }

    async fn update(
        db: &sea_orm::DatabaseConnection,
        actor: Actor,
        id: i64,
        version: i32,
        values: crate::admin::Values,
    ) -> Result<()> {
        let input: __Type__Input = crate::admin::from_values(values)?;
        let patch = __Type__Patch::replace(input, version);
        update(db, actor, id, patch).await.map(drop)
    }

    async fn delete(
        txn: &crate::WriteTransaction,
        actor: Actor,
        id: i64,
        version: Option<i32>,
    ) -> Result<Vec<String>> {
        delete(txn, actor, id, version).await.map(|()| Vec::new())
    }
}
__ROW_CHECKS__"#;
