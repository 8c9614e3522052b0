//! Chat rooms: validated room names and message bodies, the history, and who is present.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};

use crate::{
    Result, Writer,
    entities::{
        chat_message::{self, Column, Entity as Messages},
        chat_presence::{self, Entity as Presence},
    },
};

pub use crate::entities::chat_message::Model as ChatMessage;

/// The longest room name.
pub const ROOM_MAX_CHARS: usize = 40;

/// A room name: 1 to 40 of `a-z`, `0-9`, `-` and `_` (it is part of a URL and a channel name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.chars().count() > ROOM_MAX_CHARS {
            return Err(format!("must be at most {ROOM_MAX_CHARS} characters"));
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if !raw.chars().all(allowed) {
            return Err("may use only lower-case letters, digits, `-` and `_`".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RoomName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message's text: trimmed, not empty, at most `max_bytes` bytes of UTF-8, and no control
/// characters but line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str, max_bytes: usize) -> Result<Self, String> {
        let body = raw.trim();
        if body.is_empty() {
            return Err("A message must not be empty.".into());
        }
        if body.len() > max_bytes {
            return Err(format!(
                "A message may be at most {max_bytes} bytes (this one is {}).",
                body.len()
            ));
        }
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err("A message must not contain control characters.".into());
        }
        Ok(Self(body.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who posts: the user's id and the name shown with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub user_id: i64,
    pub name: String,
}

/// Stores a message and returns it with its id.
pub async fn post(
    db: &impl Writer,
    room: &RoomName,
    author: &Author,
    body: &MessageBody,
    now: DateTime<Utc>,
) -> Result<ChatMessage> {
    let row = chat_message::ActiveModel {
        room: Set(room.as_str().to_owned()),
        user_id: Set(Some(author.user_id)),
        author: Set(author.name.chars().take(64).collect()),
        body: Set(body.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    let _turn = db.write_turn().await?;
    Ok(Messages::insert(row).exec_with_returning(db).await?)
}

/// One message by id, if it exists.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<ChatMessage>> {
    Ok(Messages::find_by_id(id).one(db).await?)
}

/// The room's last `limit` messages, oldest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    room: &RoomName,
    limit: u64,
) -> Result<Vec<ChatMessage>> {
    let mut messages = Messages::find()
        .filter(Column::Room.eq(room.as_str()))
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    messages.reverse();
    Ok(messages)
}

/// Rooms with messages, the most recently active first.
pub async fn active_rooms(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<String>> {
    let rows: Vec<(String, i64)> = Messages::find()
        .select_only()
        .column(Column::Room)
        .column_as(Column::Id.max(), "last")
        .group_by(Column::Room)
        .order_by_desc(Expr::col("last"))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(room, _)| room).collect())
}

/// Who is in a room: the signed-in users' names (each once, sorted) and how many guests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Present {
    pub users: Vec<String>,
    pub guests: u64,
}

/// Records an open connection in `room`.
pub async fn join(
    db: &impl Writer,
    connection: &str,
    room: &RoomName,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = chat_presence::ActiveModel {
        id: Set(connection.to_owned()),
        room: Set(room.as_str().to_owned()),
        name: Set(name.map(|n| n.chars().take(64).collect())),
        seen_at: Set(now),
    };
    let _turn = db.write_turn().await?;
    Presence::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// Marks a connection as still open.
pub async fn touch(db: &impl Writer, connection: &str, now: DateTime<Utc>) -> Result<()> {
    let _turn = db.write_turn().await?;
    Presence::update_many()
        .col_expr(chat_presence::Column::SeenAt, Expr::value(now))
        .filter(chat_presence::Column::Id.eq(connection))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a closed connection.
pub async fn leave(db: &impl Writer, connection: &str) -> Result<()> {
    let _turn = db.write_turn().await?;
    Presence::delete_by_id(connection.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Who is in `room`, counting connections seen since `since` (older rows are replicas that died
/// without saying goodbye).
pub async fn present(
    db: &impl ConnectionTrait,
    room: &RoomName,
    since: DateTime<Utc>,
) -> Result<Present> {
    let names: Vec<Option<String>> = Presence::find()
        .select_only()
        .column(chat_presence::Column::Name)
        .filter(chat_presence::Column::Room.eq(room.as_str()))
        .filter(chat_presence::Column::SeenAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    let mut present = Present::default();
    for name in names {
        match name {
            Some(name) => present.users.push(name),
            None => present.guests += 1,
        }
    }
    present.users.sort_unstable();
    present.users.dedup();
    Ok(present)
}

/// Forgets presence rows not seen since `older_than`.
pub async fn delete_stale_presence(db: &impl Writer, older_than: DateTime<Utc>) -> Result<u64> {
    let _turn = db.write_turn().await?;
    Ok(Presence::delete_many()
        .filter(chat_presence::Column::SeenAt.lt(older_than))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_url_and_channel_safe() {
        for ok in ["lobby", "a", "rust-lang_2", &"x".repeat(40)] {
            assert!(RoomName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Lobby", "a b", "../etc", "a/b", "é", &"x".repeat(41)] {
            assert!(RoomName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            MessageBody::parse("  hi\nthere ", 10).map(|b| b.0),
            Ok("hi\nthere".to_owned())
        );
        assert!(MessageBody::parse("   ", 10).is_err());
        assert!(MessageBody::parse("12345678901", 10).is_err());
        assert!(MessageBody::parse("a\u{0}b", 10).is_err());
        assert!(MessageBody::parse("a\u{1b}[2Jb", 10).is_err());
    }
}
