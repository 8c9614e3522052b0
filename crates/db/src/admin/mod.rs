//! The admin's view of the tables: what `/admin` lists, shows, edits, deletes and exports.
//!
//! A resource joins the admin by implementing [`Resource`] (a handful of lines: its entity, its
//! list orders and how a form's values reach its own create/update/delete queries) and adding
//! one line to [`tables`]. Everything else comes from the entity: the fields and their kinds (so
//! the search box covers the text fields, and booleans and dates get filters), the rows as JSON.
//! Writes go through the resource's own queries, so an admin change is validated, audited,
//! version-checked and ownership-checked exactly as an API change is.
//!
//! The web layer sees every table through the object-safe [`Table`], so one set of routes
//! serves them all, and the export job finds a table by name.

use std::{
    pin::Pin,
    sync::{Arc, LazyLock},
};

use sea_orm::{
    ColumnTrait, ColumnType, DatabaseConnection, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    Actor, Error, FieldErrors, Reads, Result, WriteTransaction,
    list::{self, Order, Position, Slice},
};

mod fields;
mod filter;
mod users;

pub use fields::{Field, Kind, text};
pub use filter::{DateRange, Filter, SEARCH_MAX_CHARS};
pub use users::Users;

/// A form's values, typed by field kind ([`Field::read`]): what [`Resource::create`] and
/// [`Resource::update`] receive.
pub type Values = Map<String, Value>;

/// A future the admin can hold without knowing its type.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Every table in the admin, in the order its index lists them (read from the entities once).
pub fn tables() -> &'static [Arc<dyn Table>] {
    &TABLES
}

static TABLES: LazyLock<Vec<Arc<dyn Table>>> = LazyLock::new(|| {
    [
        entry::<Users>(),
        #[cfg(feature = "fixtures")]
        entry::<crate::fixtures::Admin>(),
        entry::<crate::products::Admin>(), // [demo:products]
                                           // [generate:admin]
    ]
    .into_iter()
    .flatten()
    .collect()
});

/// The table named `name` (its URL segment), if it is in the admin.
pub fn find(name: &str) -> Option<Arc<dyn Table>> {
    tables().iter().find(|table| table.name() == name).cloned()
}

/// How a resource joins the admin.
pub trait Resource: Send + Sync + 'static {
    type Entity: EntityTrait<Model: Serialize + DeserializeOwned + FromQueryResult + Send + Sync>;
    /// The table's name: its URL segment (`/admin/NAME`) and its `audit_log.entity`.
    const NAME: &'static str;
    /// One row, in lower case (`product`).
    const LABEL: &'static str;
    /// More than one (`products`).
    const PLURAL: &'static str;
    /// Fields never shown, searched or exported.
    const HIDDEN: &'static [&'static str] = &[];
    /// Fields shown but not on the forms (besides `id`, `version`, the timestamps and the owner,
    /// which no form edits).
    const READ_ONLY: &'static [&'static str] = &[];
    const CAN_CREATE: bool = true;
    const CAN_EDIT: bool = true;
    const CAN_DELETE: bool = true;

    /// The orders the list offers, the default first (each over an indexed column: see
    /// [`crate::list`]).
    fn orders() -> &'static [Order<<Self::Entity as EntityTrait>::Column>];

    /// Creates a row from a form's values through the resource's own query; its id.
    fn create(
        db: &DatabaseConnection,
        actor: Actor,
        values: Values,
    ) -> impl Future<Output = Result<i64>> + Send;

    /// Replaces the editable fields of row `id`, if it is still at `version`.
    fn update(
        db: &DatabaseConnection,
        actor: Actor,
        id: i64,
        version: i32,
        values: Values,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Deletes row `id` inside `txn` (a bulk delete is one transaction); the keys of stored
    /// files to remove once it commits.
    fn delete(
        txn: &WriteTransaction,
        actor: Actor,
        id: i64,
        version: Option<i32>,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// The actions a row offers besides edit and delete (a button each on its page).
    fn actions() -> &'static [Action] {
        &[]
    }

    /// Runs `action` on row `id`; what to tell the administrator.
    fn act(
        db: &DatabaseConnection,
        actor: Actor,
        id: i64,
        action: &str,
    ) -> impl Future<Output = Result<String>> + Send {
        let _ = (db, actor, id);
        let unknown = unknown_action(action);
        async move { Err(unknown) }
    }
}

/// An action on one row: its name in the URL, its button's label, and whether it applies to a
/// row (`when`: the row's value of a boolean field it needs, e.g. `("is_admin", false)`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Action {
    pub name: &'static str,
    pub label: &'static str,
    pub when: Option<(&'static str, bool)>,
    /// Shown as a dangerous button.
    pub danger: bool,
}

/// What a table allows.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Abilities {
    pub create: bool,
    pub edit: bool,
    pub delete: bool,
}

/// One row as the admin handles it: its id, its version (if the table has one) and every
/// shown field as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub id: i64,
    pub version: Option<i32>,
    pub values: Values,
}

/// A table as the admin's pages and the export job see it.
pub trait Table: Send + Sync {
    fn name(&self) -> &'static str;
    fn label(&self) -> &'static str;
    fn plural(&self) -> &'static str;
    /// The shown fields, in the entity's order.
    fn fields(&self) -> &[Field];
    /// The names of the orders the list offers, the default first.
    fn orders(&self) -> Vec<&'static str>;
    fn abilities(&self) -> Abilities;
    fn actions(&self) -> &'static [Action];

    /// A page of the rows `filter` keeps, in the order named `sort` (the default if `None`).
    fn list<'a>(
        &'a self,
        reads: &'a Reads,
        filter: &'a Filter,
        sort: Option<&'a str>,
        limit: u64,
        position: &'a Position,
    ) -> BoxFuture<'a, Result<Slice<Row>>>;

    /// Up to `limit` rows `filter` keeps with ids above `after`, by id: a batch of an export.
    fn batch<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        filter: &'a Filter,
        after: i64,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<Row>>>;

    /// How many rows `filter` keeps (a scan: for an export's progress, not for pages).
    fn count<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        filter: &'a Filter,
    ) -> BoxFuture<'a, Result<u64>>;

    fn get<'a>(&'a self, reads: &'a Reads, id: i64) -> BoxFuture<'a, Result<Row>>;

    fn create<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        actor: Actor,
        values: Values,
    ) -> BoxFuture<'a, Result<i64>>;

    fn update<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        actor: Actor,
        id: i64,
        version: i32,
        values: Values,
    ) -> BoxFuture<'a, Result<()>>;

    fn delete<'a>(
        &'a self,
        txn: &'a WriteTransaction,
        actor: Actor,
        id: i64,
        version: Option<i32>,
    ) -> BoxFuture<'a, Result<Vec<String>>>;

    fn act<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        actor: Actor,
        id: i64,
        action: &'a str,
    ) -> BoxFuture<'a, Result<String>>;
}

type Column<R> = <<R as Resource>::Entity as EntityTrait>::Column;

/// A [`Resource`] as a [`Table`]: its fields read from the entity once.
struct Entry<R: Resource> {
    fields: Vec<Field>,
    columns: Vec<(&'static str, Column<R>)>,
    id: Column<R>,
}

/// `None` for an entity without an `id` column (every table the generator writes has one).
fn entry<R: Resource>() -> Option<Arc<dyn Table>> {
    let mut columns = Vec::new();
    let mut fields = Vec::new();
    let mut id = None;
    for column in Column::<R>::iter() {
        let name = column.as_str();
        if name == "id" {
            id = Some(column);
        }
        if R::HIDDEN.contains(&name) {
            continue;
        }
        let def = column.def();
        let kind = Kind::of(def.get_column_type());
        let fixed = fields::FIXED.contains(&name) || R::READ_ONLY.contains(&name);
        fields.push(Field {
            editable: !fixed && kind != Kind::Other,
            optional: def.is_null(),
            label: fields::label(name),
            name,
            kind,
        });
        columns.push((name, column));
    }
    Some(Arc::new(Entry::<R> {
        fields,
        columns,
        id: id?,
    }))
}

impl<R: Resource> Entry<R> {
    fn select(&self, filter: &Filter) -> Result<sea_orm::Select<R::Entity>> {
        filter.apply(R::Entity::find(), &self.fields, &self.columns, self.id)
    }

    fn row(&self, model: &<R::Entity as EntityTrait>::Model) -> Result<Row> {
        let Value::Object(mut values) = serde_json::to_value(model).map_err(not_a_row)? else {
            return Err(not_a_row("not an object"));
        };
        values.retain(|name, _| self.columns.iter().any(|(shown, _)| shown == name));
        let id = values.get("id").and_then(Value::as_i64).unwrap_or_default();
        let version = values
            .get("version")
            .and_then(Value::as_i64)
            .and_then(|v| i32::try_from(v).ok());
        Ok(Row {
            id,
            version,
            values,
        })
    }
}

impl<R: Resource> Table for Entry<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn label(&self) -> &'static str {
        R::LABEL
    }

    fn plural(&self) -> &'static str {
        R::PLURAL
    }

    fn fields(&self) -> &[Field] {
        &self.fields
    }

    fn orders(&self) -> Vec<&'static str> {
        R::orders().iter().map(|order| order.name).collect()
    }

    fn abilities(&self) -> Abilities {
        Abilities {
            create: R::CAN_CREATE,
            edit: R::CAN_EDIT,
            delete: R::CAN_DELETE,
        }
    }

    fn actions(&self) -> &'static [Action] {
        R::actions()
    }

    fn list<'a>(
        &'a self,
        reads: &'a Reads,
        filter: &'a Filter,
        sort: Option<&'a str>,
        limit: u64,
        position: &'a Position,
    ) -> BoxFuture<'a, Result<Slice<Row>>> {
        Box::pin(async move {
            let orders = R::orders();
            let order = match sort {
                Some(name) => Order::find(orders, name)?,
                None => *orders
                    .first()
                    .ok_or_else(|| Error::Database(sea_orm::DbErr::Custom("no orders".into())))?,
            };
            let select = self.select(filter)?;
            let slice = list::page(reads, select, order, self.id, limit, position).await?;
            Ok(Slice {
                items: slice
                    .items
                    .iter()
                    .map(|model| self.row(model))
                    .collect::<Result<_>>()?,
                next: slice.next,
                prev: slice.prev,
            })
        })
    }

    fn batch<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        filter: &'a Filter,
        after: i64,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<Row>>> {
        Box::pin(async move {
            let models = self
                .select(filter)?
                .filter(self.id.gt(after))
                .order_by_asc(self.id)
                .limit(limit)
                .all(db)
                .await?;
            models.iter().map(|model| self.row(model)).collect()
        })
    }

    fn count<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        filter: &'a Filter,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move { Ok(self.select(filter)?.count(db).await?) })
    }

    fn get<'a>(&'a self, reads: &'a Reads, id: i64) -> BoxFuture<'a, Result<Row>> {
        Box::pin(async move {
            let select = R::Entity::find().filter(self.id.eq(id));
            let model = crate::Read::one(reads, select)
                .await?
                .ok_or(Error::NotFound {
                    entity: R::LABEL,
                    id,
                })?;
            self.row(&model)
        })
    }

    fn create<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        actor: Actor,
        values: Values,
    ) -> BoxFuture<'a, Result<i64>> {
        Box::pin(async move {
            if !R::CAN_CREATE {
                return Err(not_allowed(R::PLURAL, "created"));
            }
            R::create(db, actor, values).await
        })
    }

    fn update<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        actor: Actor,
        id: i64,
        version: i32,
        values: Values,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if !R::CAN_EDIT {
                return Err(not_allowed(R::PLURAL, "edited"));
            }
            R::update(db, actor, id, version, values).await
        })
    }

    fn delete<'a>(
        &'a self,
        txn: &'a WriteTransaction,
        actor: Actor,
        id: i64,
        version: Option<i32>,
    ) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move {
            if !R::CAN_DELETE {
                return Err(not_allowed(R::PLURAL, "deleted"));
            }
            R::delete(txn, actor, id, version).await
        })
    }

    fn act<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        actor: Actor,
        id: i64,
        action: &'a str,
    ) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            if !R::actions().iter().any(|known| known.name == action) {
                return Err(unknown_action(action));
            }
            R::act(db, actor, id, action).await
        })
    }
}

/// A form's typed values as a resource's input type (its `Deserialize`, as the API reads it).
/// The values were read by field kind, so a mismatch is a programming error; it still comes
/// back as a field error rather than a panic.
pub fn from_values<T: DeserializeOwned>(values: Values) -> Result<T> {
    serde_json::from_value(Value::Object(values)).map_err(|err| {
        let mut errors = FieldErrors::new();
        errors.add("form", format!("the form's values do not fit: {err}"));
        Error::Invalid(errors)
    })
}

/// The value of a required field a resource reads itself.
pub fn value<T: DeserializeOwned>(values: &Values, field: &'static str) -> Result<T> {
    let value = values.get(field).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value).map_err(|_| {
        let mut errors = FieldErrors::new();
        errors.add(field, "enter a value");
        Error::Invalid(errors)
    })
}

fn unknown_action(action: &str) -> Error {
    let mut errors = FieldErrors::new();
    errors.add("action", format!("there is no action `{action}` here"));
    Error::Invalid(errors)
}

fn not_allowed(plural: &str, what: &str) -> Error {
    Error::Conflict(format!("{plural} are not {what} in the admin"))
}

fn not_a_row(why: impl std::fmt::Display) -> Error {
    Error::Database(sea_orm::DbErr::Custom(format!(
        "an admin row did not serialise to an object: {why}"
    )))
}

impl Kind {
    fn of(column_type: &ColumnType) -> Self {
        match column_type {
            ColumnType::String(_) | ColumnType::Char(_) => Self::Text,
            ColumnType::Text => Self::LongText,
            ColumnType::TinyInteger
            | ColumnType::SmallInteger
            | ColumnType::Integer
            | ColumnType::BigInteger => Self::Integer,
            ColumnType::Float | ColumnType::Double | ColumnType::Decimal(_) => Self::Decimal,
            ColumnType::Boolean => Self::Bool,
            ColumnType::Date => Self::Date,
            ColumnType::DateTime | ColumnType::Timestamp | ColumnType::TimestampWithTimeZone => {
                Self::DateTime
            }
            ColumnType::Uuid => Self::Uuid,
            _ => Self::Other,
        }
    }
}
