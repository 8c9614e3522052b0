//! Test fixtures (feature `fixtures`, which only the tests' build turns on): a small table of the
//! engine's usual shape (validated input, owner, version, audit row) for the engine's own tests to
//! aim at, so they pass whatever resources and demos the app has. Not in any release build.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder,
    QuerySelect, Schema,
};

use crate::{Actor, Error, FieldErrors, Read, Result, Writer};

/// The `test_notes` table.
pub mod note {
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "test_notes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub body: String,
        pub version: i32,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use note::Model as Note;

const ENTITY: &str = "note";
/// What audit rows name.
pub const TABLE: &str = "test_notes";
/// The longest body a note may have.
pub const MAX_BODY: usize = 200;

/// Creates `test_notes` (the test harness does, after the migrations).
pub async fn create_table(db: &impl ConnectionTrait) -> Result<()> {
    let schema = Schema::new(db.get_database_backend());
    let statement = schema.create_table_from_entity(note::Entity);
    db.execute(&statement).await?;
    Ok(())
}

/// A body that is not blank and at most [`MAX_BODY`] characters.
pub fn parse_body(body: &str) -> std::result::Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let body = body.trim();
    if body.is_empty() {
        errors.add("body", "must not be empty");
    } else if body.chars().count() > MAX_BODY {
        errors.add("body", format!("must be at most {MAX_BODY} characters"));
    }
    errors.into_result(body.to_owned())
}

/// Inserts a note owned by `actor` and its audit row, in one transaction.
pub async fn create(db: &impl Writer, actor: Actor, body: &str) -> Result<Note> {
    let body = parse_body(body).map_err(Error::Invalid)?;
    let txn = crate::begin_write(db).await?;
    let row = note::ActiveModel {
        body: Set(body),
        version: Set(1),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(crate::now()),
        ..Default::default()
    };
    let note = row.insert(&txn).await?;
    let snapshot = serde_json::json!({ "body": note.body });
    crate::audit::record(&txn, actor, TABLE, note.id, "created", &snapshot).await?;
    txn.commit().await?;
    Ok(note)
}

pub async fn get(db: &impl Read, id: i64) -> Result<Note> {
    db.one(note::Entity::find_by_id(id))
        .await?
        .ok_or(Error::NotFound { entity: ENTITY, id })
}

/// The note, if `actor` may change it ([`Error::Forbidden`] otherwise).
pub async fn get_for_change(db: &impl Read, actor: Actor, id: i64) -> Result<Note> {
    let note = get(db, id).await?;
    if actor.may_change(note.created_by) {
        Ok(note)
    } else {
        Err(Error::Forbidden { entity: ENTITY, id })
    }
}

/// The newest `limit` notes.
pub async fn list(db: &impl Read, limit: u64) -> Result<Vec<Note>> {
    let newest = note::Entity::find().order_by_desc(note::Column::Id);
    db.all(newest.limit(limit)).await
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(note::Entity::find().count(db).await?)
}

/// Replaces the body if `actor` may change the note and it is still at `version`; the audit row
/// commits with it.
pub async fn update(
    db: &impl Writer,
    actor: Actor,
    id: i64,
    version: i32,
    body: &str,
) -> Result<Note> {
    let body = parse_body(body).map_err(Error::Invalid)?;
    let txn = crate::begin_write(db).await?;
    let before = get_for_change(&txn, actor, id).await?;
    if before.version != version {
        return Err(Error::StaleVersion {
            entity: ENTITY,
            id,
            expected: version,
            current: before.version,
        });
    }
    let mut row: note::ActiveModel = before.clone().into();
    row.body = Set(body);
    row.version = Set(before.version + 1);
    let after = row.update(&txn).await?;
    let changes = serde_json::json!({ "body": [before.body, after.body] });
    crate::audit::record(&txn, actor, TABLE, id, "updated", &changes).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a note if `actor` may and (with `version`) it is still at that version; the audit row
/// commits with it.
pub async fn delete(db: &impl Writer, actor: Actor, id: i64, version: Option<i32>) -> Result<()> {
    let txn = crate::begin_write(db).await?;
    let before = get_for_change(&txn, actor, id).await?;
    if let Some(expected) = version.filter(|v| *v != before.version) {
        return Err(Error::StaleVersion {
            entity: ENTITY,
            id,
            expected,
            current: before.version,
        });
    }
    note::Entity::delete_by_id(id).exec(&txn).await?;
    let snapshot = serde_json::json!({ "body": before.body });
    crate::audit::record(&txn, actor, TABLE, id, "deleted", &snapshot).await?;
    txn.commit().await?;
    Ok(())
}

/// Notes in the admin (`/admin/test_notes`): the engine's admin tests aim here.
#[derive(Debug)]
pub struct Admin;

const ORDERS: [crate::list::Order<note::Column>; 4] = [
    crate::list::Order {
        name: "-id",
        key: None,
        descending: true,
    },
    crate::list::Order {
        name: "id",
        key: None,
        descending: false,
    },
    crate::list::Order {
        name: "body",
        key: Some(note::Column::Body),
        descending: false,
    },
    crate::list::Order {
        name: "-body",
        key: Some(note::Column::Body),
        descending: true,
    },
];

impl crate::admin::Resource for Admin {
    type Entity = note::Entity;
    const NAME: &'static str = TABLE;
    const LABEL: &'static str = ENTITY;
    const PLURAL: &'static str = "notes";

    fn orders() -> &'static [crate::list::Order<note::Column>] {
        &ORDERS
    }

    async fn create(
        db: &sea_orm::DatabaseConnection,
        actor: Actor,
        values: crate::admin::Values,
    ) -> Result<i64> {
        let body: String = crate::admin::value(&values, "body")?;
        Ok(create(db, actor, &body).await?.id)
    }

    async fn update(
        db: &sea_orm::DatabaseConnection,
        actor: Actor,
        id: i64,
        version: i32,
        values: crate::admin::Values,
    ) -> Result<()> {
        let body: String = crate::admin::value(&values, "body")?;
        update(db, actor, id, version, &body).await.map(drop)
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
