//! Products: validated input types and every query the app runs on the `products` table.
//!
//! Writes run in a transaction that also writes their `audit_log` row: both commit or neither does.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::json;

use crate::{
    Actor, Error, FieldErrors, Read, Result, Writer, audit,
    entities::product::{self, Entity as Products},
    list::{self, Order, Position, Slice},
};

mod admin;
mod seed;
mod stats;

pub use crate::entities::product::{Column, Model as Product};
pub use admin::Admin;
pub use seed::{SeedReport, seed_demo};
pub use stats::{Bucket, HISTOGRAM_BUCKETS, PriceStats, price_stats};

/// The table, as recorded in `audit_log`.
const TABLE: &str = "products";
/// The word used in error messages.
const ENTITY: &str = "product";

/// The longest name accepted, in characters after trimming.
pub const NAME_MAX_CHARS: usize = 200;

/// A product name: trimmed, 1 to [`NAME_MAX_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        crate::validation::line(raw, NAME_MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A price in cents: zero or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceCents(i64);

impl PriceCents {
    pub fn parse(cents: i64) -> Result<Self, String> {
        if cents < 0 {
            return Err(format!("must be zero or more (got {cents})"));
        }
        Ok(Self(cents))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A product to create, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub name: ProductName,
    pub price_cents: PriceCents,
}

impl NewProduct {
    pub fn parse(name: &str, price_cents: i64) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = ProductName::parse(name).map_err(|m| errors.add("name", m));
        let price = PriceCents::parse(price_cents).map_err(|m| errors.add("price_cents", m));
        match (name, price) {
            (Ok(name), Ok(price_cents)) => Ok(Self { name, price_cents }),
            _ => Err(errors),
        }
    }
}

/// The fields an update changes; at least one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductChanges {
    pub name: Option<ProductName>,
    pub price_cents: Option<PriceCents>,
}

impl ProductChanges {
    pub fn parse(name: Option<&str>, price_cents: Option<i64>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        if name.is_none() && price_cents.is_none() {
            errors.add(
                "name",
                "give at least one of `name` and `price_cents` to change",
            );
            return Err(errors);
        }
        let name = name.map(ProductName::parse).transpose();
        let name = name.map_err(|m| errors.add("name", m)).ok().flatten();
        let price = price_cents.map(PriceCents::parse).transpose();
        let price_cents = price
            .map_err(|m| errors.add("price_cents", m))
            .ok()
            .flatten();
        errors.into_result(Self { name, price_cents })
    }
}

impl From<NewProduct> for ProductChanges {
    fn from(p: NewProduct) -> Self {
        Self {
            name: Some(p.name),
            price_cents: Some(p.price_cents),
        }
    }
}

/// The orders the product lists offer, the default first. Each but the id orders has an index
/// on `(column, id)` (migration `m20261129_000007_add_list_indexes`).
pub const ORDERS: [Order<Column>; 6] = [
    Order {
        name: "-id",
        key: None,
        descending: true,
    },
    Order {
        name: "id",
        key: None,
        descending: false,
    },
    Order {
        name: "name",
        key: Some(Column::Name),
        descending: false,
    },
    Order {
        name: "-name",
        key: Some(Column::Name),
        descending: true,
    },
    Order {
        name: "price_cents",
        key: Some(Column::PriceCents),
        descending: false,
    },
    Order {
        name: "-price_cents",
        key: Some(Column::PriceCents),
        descending: true,
    },
];

/// A page of products: `limit` of them in `order`, at `position` (see [`crate::list`]).
pub async fn list(
    db: &impl Read,
    order: Order<Column>,
    limit: u64,
    position: &Position,
) -> Result<Slice<Product>> {
    list::page(db, Products::find(), order, Column::Id, limit, position).await
}

/// Every product, ordered by id (for exports: read once, then work without the database).
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Product>> {
    Ok(Products::find().order_by_asc(Column::Id).all(conn).await?)
}

/// Up to `limit` products with ids above `after`, ordered by id: a batch of a long walk through
/// the table (each batch is one indexed range read, however far the walk has got).
pub async fn batch_after(
    conn: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<Product>> {
    Ok(Products::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// How many products there are.
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64> {
    Ok(Products::find().count(conn).await?)
}

/// One product. Pass [`crate::Reads`] where nothing is written (on SQLite it reads on the reader
/// threads), or the transaction that will write.
pub async fn get(db: &impl Read, id: i64) -> Result<Product> {
    db.one(Products::find_by_id(id))
        .await?
        .ok_or(Error::NotFound { entity: ENTITY, id })
}

/// The product, if `actor` may change it ([`Error::Forbidden`] otherwise): what an edit form,
/// a delete confirmation or an image upload checks before it starts.
pub async fn get_for_change(db: &impl Read, actor: Actor, id: i64) -> Result<Product> {
    let product = get(db, id).await?;
    if actor.may_change(product.created_by) {
        Ok(product)
    } else {
        Err(Error::Forbidden { entity: ENTITY, id })
    }
}

/// Creates a product owned by `actor`.
pub async fn create(db: &impl Writer, actor: Actor, new: NewProduct) -> Result<Product> {
    let txn = crate::begin_write(db).await?;
    let now = crate::now();
    let row = product::ActiveModel {
        name: Set(new.name.0),
        price_cents: Set(new.price_cents.0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(Some(actor.user_id)),
        ..Default::default()
    };
    let created = Products::insert(row).exec_with_returning(&txn).await?;
    let snapshot = snapshot(&created);
    audit::record(&txn, actor, TABLE, created.id, "created", &snapshot).await?;
    txn.commit().await?;
    Ok(created)
}

/// Applies `changes` if `actor` may change the row and it is still at `expected_version`,
/// bumping the version and writing an audit row with the old and new values, in one transaction.
pub async fn update(
    db: &impl Writer,
    actor: Actor,
    id: i64,
    expected_version: i32,
    changes: ProductChanges,
) -> Result<Product> {
    let txn = crate::begin_write(db).await?;
    let before = get_for_change(&txn, actor, id).await?;
    let stale = |current| Error::StaleVersion {
        entity: ENTITY,
        id,
        expected: expected_version,
        current,
    };
    if before.version != expected_version {
        return Err(stale(before.version));
    }

    let mut after = before.clone();
    if let Some(name) = changes.name {
        after.name = name.0;
    }
    if let Some(price) = changes.price_cents {
        after.price_cents = price.0;
    }
    after.version = before.version + 1;
    after.updated_at = crate::now();

    // The version guard in the WHERE clause makes a concurrent update lose cleanly on PostgreSQL,
    // where the read above does not lock the row.
    let result = Products::update_many()
        .col_expr(Column::Name, Expr::value(after.name.clone()))
        .col_expr(Column::PriceCents, Expr::value(after.price_cents))
        .col_expr(Column::Version, Expr::value(after.version))
        .col_expr(Column::UpdatedAt, Expr::value(after.updated_at))
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        let current = get(&txn, id).await?.version;
        return Err(stale(current));
    }

    audit::record(&txn, actor, TABLE, id, "updated", &diff(&before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a product if `actor` may; with `expected_version`, only if it is still at that
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
    Products::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(before.version))
        .exec(&txn)
        .await?;
    audit::record(&txn, actor, TABLE, id, "deleted", &snapshot(&before)).await?;
    txn.commit().await?;
    Ok(())
}

fn snapshot(p: &Product) -> serde_json::Value {
    json!({ "name": p.name, "price_cents": p.price_cents, "version": p.version })
}

fn diff(before: &Product, after: &Product) -> serde_json::Value {
    let mut changes = serde_json::Map::new();
    if before.name != after.name {
        changes.insert("name".into(), json!([before.name, after.name]));
    }
    if before.price_cents != after.price_cents {
        changes.insert(
            "price_cents".into(),
            json!([before.price_cents, after.price_cents]),
        );
    }
    changes.insert("version".into(), json!([before.version, after.version]));
    serde_json::Value::Object(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ProductName::parse("  Tea  ").map(|n| n.0), Ok("Tea".into()));
        assert!(ProductName::parse("   ").is_err());
        ProductName::parse(&"x".repeat(200)).unwrap();
        assert!(ProductName::parse(&"é".repeat(201)).is_err());
        assert!(ProductName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn a_new_product_reports_every_invalid_field() {
        let errors = NewProduct::parse("", -1).err().unwrap_or_default();
        assert_eq!(errors.get("name"), Some("must not be empty"));
        assert_eq!(
            errors.get("price_cents"),
            Some("must be zero or more (got -1)")
        );
    }

    #[test]
    fn changes_need_at_least_one_field() {
        assert!(ProductChanges::parse(None, None).is_err());
        let only_price = ProductChanges::parse(None, Some(5)).unwrap();
        assert_eq!(only_price.price_cents, Some(PriceCents(5)));
    }
}
