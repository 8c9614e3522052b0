//! Demo products for `app seed`: inserted in batches with their audit rows, recognised by name
//! so that seeding again adds nothing.

use std::collections::HashSet;

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{Column, TABLE, snapshot};
use crate::{
    Result, Writer, audit,
    entities::product::{self, Entity as Products},
};

/// What [`seed_demo`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub inserted: u64,
    pub already_present: u64,
}

const DEMO_PREFIX: &str = "Demo product ";
const SEED_BATCH: usize = 500;

/// Makes sure demo products 1..=`count` exist, inserting the missing ones (and their audit rows)
/// in batches inside one transaction. Demo products are recognised by name, so running it again
/// adds nothing.
pub async fn seed_demo(db: &impl Writer, count: u64) -> Result<SeedReport> {
    let txn = crate::begin_write(db).await?;
    let existing: HashSet<String> = Products::find()
        .select_only()
        .column(Column::Name)
        .filter(Column::Name.starts_with(DEMO_PREFIX))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();

    let now = crate::now();
    let missing: Vec<product::ActiveModel> = (1..=count)
        .map(demo_name)
        .zip(1..=count)
        .filter(|(name, _)| !existing.contains(name))
        .map(|(name, n)| product::ActiveModel {
            name: Set(name),
            price_cents: Set(demo_price(n)),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();

    let inserted = missing.len() as u64;
    let mut rows = missing.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(SEED_BATCH).collect();
        let created = Products::insert_many(batch)
            .exec_with_returning(&txn)
            .await?;
        // Seeded rows are audited like any other: no audited write without its audit row.
        let audited = created.iter().map(|p| (p.id, snapshot(p)));
        audit::record_many(&txn, TABLE, "created", audited).await?;
    }
    txn.commit().await?;
    Ok(SeedReport {
        inserted,
        already_present: count - inserted,
    })
}

fn demo_name(n: u64) -> String {
    format!("{DEMO_PREFIX}{n:05}")
}

/// A spread of prices from 0.99 to 999.99 that is the same on every run.
fn demo_price(n: u64) -> i64 {
    let cents = (n.wrapping_mul(7919) % 99_901) + 99;
    i64::try_from(cents).unwrap_or(99)
}
