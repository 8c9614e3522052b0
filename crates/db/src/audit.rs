//! Writing audit rows. Always called on the transaction of the change it records, so the change
//! and its audit row commit or roll back together.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{
    Actor, Result,
    entities::{audit_log, user},
};

/// One entry of a row's audit trail: who did what, when.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Entry {
    /// `created`, `updated` or `deleted`.
    pub action: String,
    /// What [`record`] stored: the row, or `{field: [before, after]}`.
    pub changes: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// `None` for the app's own writes (a seed).
    pub actor_id: Option<i64>,
    /// The actor's address, if the account still exists.
    pub actor_email: Option<String>,
}

/// The newest `limit` entries of row `entity_id` of `entity`, newest first (the index on
/// `(entity, entity_id)` finds them), with the actors' addresses.
pub async fn trail(
    conn: &impl ConnectionTrait,
    entity: &str,
    entity_id: i64,
    limit: u64,
) -> Result<Vec<Entry>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq(entity))
        .filter(audit_log::Column::EntityId.eq(entity_id))
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let mut actors: Vec<i64> = rows.iter().filter_map(|row| row.actor_id).collect();
    actors.sort_unstable();
    actors.dedup();
    let emails: std::collections::HashMap<i64, String> = if actors.is_empty() {
        Default::default()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(actors))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| Entry {
            changes: serde_json::from_str(&row.changes).unwrap_or(serde_json::Value::Null),
            actor_email: row.actor_id.and_then(|id| emails.get(&id).cloned()),
            action: row.action,
            created_at: row.created_at,
            actor_id: row.actor_id,
        })
        .collect())
}

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

/// A row as an audit entry records its creation or deletion: every field.
pub fn snapshot(row: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(row).unwrap_or(serde_json::Value::Null)
}

/// What an update changed, as `{ field: [before, after] }` for each field that differs (both rows
/// serialise to objects with the same fields; `updated_at` is left out, the audit row has its own
/// time).
pub fn diff(before: &impl serde::Serialize, after: &impl serde::Serialize) -> serde_json::Value {
    let (serde_json::Value::Object(before), serde_json::Value::Object(after)) =
        (snapshot(before), snapshot(after))
    else {
        return serde_json::Value::Null;
    };
    let changes = after
        .into_iter()
        .filter(|(field, value)| field != "updated_at" && before.get(field) != Some(value))
        .map(|(field, value)| {
            let old = before.get(&field).cloned().unwrap_or_default();
            (field, serde_json::json!([old, value]))
        })
        .collect();
    serde_json::Value::Object(changes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_diff_holds_the_changed_fields_only() {
        let before = json!({ "name": "Tea", "size": 1, "version": 1, "updated_at": "a" });
        let after = json!({ "name": "Tea", "size": 2, "version": 2, "updated_at": "b" });
        assert_eq!(
            super::diff(&before, &after),
            json!({ "size": [1, 2], "version": [1, 2] })
        );
    }
}
