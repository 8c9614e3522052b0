//! Writing audit rows. Always called on the transaction of the change it records, so the change
//! and its audit row commit or roll back together.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::{Actor, Result, entities::audit_log};

/// One audit row: `actor` changed `entity` `entity_id`.
pub async fn record(
    conn: &impl ConnectionTrait,
    actor: Actor,
    entity: &str,
    entity_id: i64,
    action: &str,
    changes: &serde_json::Value,
) -> Result<()> {
    let row = audit_log::ActiveModel {
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        action: Set(action.to_owned()),
        changes: Set(changes.to_string()),
        created_at: Set(crate::now()),
        actor_id: Set(Some(actor.user_id)),
        ..Default::default()
    };
    audit_log::Entity::insert(row).exec(conn).await?;
    Ok(())
}

/// One audit row per `(id, changes)` for the same action, in one statement, made by the app
/// itself (no actor): what a batch write (a seed) records.
pub async fn record_many(
    conn: &impl ConnectionTrait,
    entity: &str,
    action: &str,
    rows: impl IntoIterator<Item = (i64, serde_json::Value)>,
) -> Result<()> {
    let now = crate::now();
    let rows: Vec<audit_log::ActiveModel> = rows
        .into_iter()
        .map(|(entity_id, changes)| audit_log::ActiveModel {
            entity: Set(entity.to_owned()),
            entity_id: Set(entity_id),
            action: Set(action.to_owned()),
            changes: Set(changes.to_string()),
            created_at: Set(now),
            actor_id: Set(None),
            ..Default::default()
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    audit_log::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
