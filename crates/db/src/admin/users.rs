//! Accounts in the admin: listed and searched by email; made or unmade administrators,
//! deactivated or reactivated (each audited). Accounts are created by signing up or with
//! `app user create`, never from the admin, and are never deleted there (deactivating keeps what
//! they own and every audit row that names them).

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

use super::{Action, Resource, Values};
use crate::{
    Actor, Error, Result, WriteTransaction, audit,
    entities::user::{Column, Entity},
    list::Order,
};

/// `users` in the admin.
#[derive(Debug)]
pub struct Users;

const ORDERS: [Order<Column>; 4] = [
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
    // The unique index on `email` serves this order (an email is unique, so it breaks no ties).
    Order {
        name: "email",
        key: Some(Column::Email),
        descending: false,
    },
    Order {
        name: "-email",
        key: Some(Column::Email),
        descending: true,
    },
];

const ACTIONS: [Action; 4] = [
    Action {
        name: "make_admin",
        label: "Make administrator",
        when: Some(("is_admin", false)),
        danger: false,
    },
    Action {
        name: "remove_admin",
        label: "Remove administrator",
        when: Some(("is_admin", true)),
        danger: true,
    },
    Action {
        name: "deactivate",
        label: "Deactivate",
        when: Some(("is_active", true)),
        danger: true,
    },
    Action {
        name: "reactivate",
        label: "Reactivate",
        when: Some(("is_active", false)),
        danger: false,
    },
];

impl Resource for Users {
    type Entity = Entity;
    const NAME: &'static str = "users";
    const LABEL: &'static str = "user";
    const PLURAL: &'static str = "users";
    const HIDDEN: &'static [&'static str] = &["password_hash"];
    const CAN_CREATE: bool = false;
    const CAN_EDIT: bool = false;
    const CAN_DELETE: bool = false;

    fn orders() -> &'static [Order<Column>] {
        &ORDERS
    }

    async fn create(_: &DatabaseConnection, _: Actor, _: Values) -> Result<i64> {
        Err(Error::Conflict("accounts are created by signing up".into()))
    }

    async fn update(_: &DatabaseConnection, _: Actor, _: i64, _: i32, _: Values) -> Result<()> {
        Err(Error::Conflict(
            "accounts are changed by their actions".into(),
        ))
    }

    async fn delete(_: &WriteTransaction, _: Actor, _: i64, _: Option<i32>) -> Result<Vec<String>> {
        Err(Error::Conflict(
            "accounts are deactivated, not deleted".into(),
        ))
    }

    fn actions() -> &'static [Action] {
        &ACTIONS
    }

    async fn act(db: &DatabaseConnection, actor: Actor, id: i64, action: &str) -> Result<String> {
        let (column, value) = match action {
            "make_admin" => (Column::IsAdmin, true),
            "remove_admin" => (Column::IsAdmin, false),
            "deactivate" => (Column::IsActive, false),
            "reactivate" => (Column::IsActive, true),
            other => return Err(super::unknown_action(other)),
        };
        set(db, actor, id, column, value).await
    }
}

/// Sets one flag of user `id`, with its audit row; deactivating also ends the user's sessions
/// and revokes the API tokens, in the same transaction. An administrator cannot demote or
/// deactivate themselves (the admin would lock out the last one who can undo it).
async fn set(
    db: &DatabaseConnection,
    actor: Actor,
    id: i64,
    column: Column,
    value: bool,
) -> Result<String> {
    if !actor.is_admin {
        return Err(Error::Forbidden { entity: "user", id });
    }
    if id == actor.user_id && !value {
        return Err(Error::Conflict(
            "you cannot remove your own administrator rights or deactivate your own account: \
             ask another administrator"
                .into(),
        ));
    }
    let txn = crate::begin_write(db).await?;
    let user = crate::users::get(&txn, id).await?;
    let (name, before) = match column {
        Column::IsAdmin => ("is_admin", user.is_admin),
        _ => ("is_active", user.is_active),
    };
    if before == value {
        return Ok(format!("{} was already so: nothing changed.", user.email));
    }
    Entity::update_many()
        .col_expr(column, Expr::value(value))
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let mut said = match (name, value) {
        ("is_admin", true) => format!("{} is an administrator now.", user.email),
        ("is_admin", false) => format!("{} is no longer an administrator.", user.email),
        (_, true) => format!("{} is active again: they can sign in.", user.email),
        (_, false) => format!("{} is deactivated", user.email),
    };
    if name == "is_active" && !value {
        let sessions = crate::sessions::delete_for_user(&txn, id, None).await?;
        let tokens = crate::api_tokens::revoke_all_for_user(&txn, id).await?;
        said = format!("{said}: {sessions} session(s) ended, {tokens} API token(s) revoked.");
    }
    let changes = json!({ name: [before, value] });
    audit::record(&txn, actor, "users", id, "updated", &changes).await?;
    txn.commit().await?;
    Ok(said)
}
