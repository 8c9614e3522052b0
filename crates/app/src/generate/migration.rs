//! `app generate migration NAME`: `migrations/src/mYYYYMMDD_NNNNNN_NAME.rs` with today's date and
//! the next number, registered at the end of the migrator's list.

use std::path::Path;

use anyhow::bail;
use chrono::NaiveDate;

use super::{Plan, names};

pub(super) fn plan(root: &Path, name: &str, today: NaiveDate) -> anyhow::Result<Plan> {
    names::check("migration", name).map_err(anyhow::Error::msg)?;
    if exists(root, name)? {
        bail!("a migration named `{name}` exists already: choose another name");
    }
    let module = next_module(root, name, today)?;
    let mut plan = Plan::default();
    plan.file(format!("migrations/src/{module}.rs"), migration(name));
    register(&mut plan, &module);
    Ok(plan)
}

/// The migrations' modules, as `(number, what)`: `m20261121_000004_create_products` is
/// `(4, "create_products")`.
fn existing(root: &Path) -> anyhow::Result<Vec<(u32, String)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root.join("migrations/src"))? {
        let file = entry?.file_name().to_string_lossy().into_owned();
        let Some(stem) = file.strip_suffix(".rs") else {
            continue;
        };
        // `mYYYYMMDD_NNNNNN_what`
        let mut parts = stem.splitn(3, '_');
        let (Some(_), Some(number), Some(what)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        found.push((number.parse().unwrap_or(0), what.to_owned()));
    }
    Ok(found)
}

/// Whether a migration named `name` exists.
pub(super) fn exists(root: &Path, name: &str) -> anyhow::Result<bool> {
    Ok(existing(root)?.iter().any(|(_, what)| what == name))
}

/// `mYYYYMMDD_NNNNNN_NAME` with today's date and the number after the last.
pub(super) fn next_module(root: &Path, name: &str, today: NaiveDate) -> anyhow::Result<String> {
    let last = existing(root)?.iter().map(|(n, _)| *n).max().unwrap_or(0);
    Ok(format!(
        "m{}_{:06}_{name}",
        today.format("%Y%m%d"),
        last + 1
    ))
}

/// Adds `module` to the migrator: its `mod` line and the end of its list.
pub(super) fn register(plan: &mut Plan, module: &str) {
    let lib = "migrations/src/lib.rs";
    plan.register(lib, "// [generate:migration-mod]", format!("mod {module};"));
    plan.register(
        lib,
        "// [generate:migration]",
        format!("Box::new({module}::Migration),"),
    );
}

fn migration(name: &str) -> String {
    format!(
        r#"//! `{name}`. Build statements with sea-query (`Table::create()`, `Table::alter()`,
//! `Index::create()`, as the other migrations do), so they run on SQLite and PostgreSQL alike;
//! `down` undoes `up`. Check with `just migrate`, `just migrate down`, `just migrate`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {{
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        // The schema change, e.g. `manager.create_table(Table::create()...).await`.
        let _ = manager;
        Ok(())
    }}

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        // What undoes `up`, e.g. `manager.drop_table(Table::drop()...).await`.
        let _ = manager;
        Ok(())
    }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_number_and_todays_date_name_the_file() {
        let root = tempfile::tempdir().unwrap();
        let src = root.path().join("migrations/src");
        std::fs::create_dir_all(&src).unwrap();
        for file in [
            "lib.rs",
            "m20261121_000001_create_users.rs",
            "m20261121_000007_x.rs",
        ] {
            std::fs::write(src.join(file), "").unwrap();
        }
        let today = NaiveDate::from_ymd_opt(2027, 1, 2).unwrap();

        let plan = plan(root.path(), "add_totals", today).unwrap();
        let file = plan.files[0].0.to_string_lossy().into_owned();
        assert_eq!(file, "migrations/src/m20270102_000008_add_totals.rs");
        let taken = super::plan(root.path(), "create_users", today).unwrap_err();
        assert!(taken.to_string().contains("exists already"), "{taken}");
    }
}
