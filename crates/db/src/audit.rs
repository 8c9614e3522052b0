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
