//! Posting to a room and saying who is in it: the database is the record, the hub carries the
//! news to every connection on every replica.

use db::{
    Hub,
    chat::{Author, ChatMessage, MessageBody, Present, RoomName},
};
use serde::{Deserialize, Serialize};

use super::ServerFrame;
use crate::{AppState, Result, auth::CurrentUser};

/// The hub topic of a room.
pub(crate) fn topic(room: &RoomName) -> String {
    format!("chat:{room}")
}

/// The name a user posts under: their email's local part (the address itself stays private).
pub(crate) fn display_name(user: &CurrentUser) -> String {
    user.email
        .split_once('@')
        .map_or(user.email.as_str(), |(local, _)| local)
        .to_owned()
}

/// What travels on a room's topic. A message too big for a notification goes by id, and each
/// receiving replica reads it back.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Event {
    Message(ChatMessage),
    MessageId { id: i64 },
    Presence(Present),
}

async fn publish(hub: &Hub, room: &RoomName, event: &Event) {
    let payload = serde_json::to_string(event).unwrap_or_default();
    let payload = if payload.len() > db::HUB_MAX_PAYLOAD {
        match event {
            Event::Message(m) => serde_json::to_string(&Event::MessageId { id: m.id }),
            _ => return,
        }
        .unwrap_or_default()
    } else {
        payload
    };
    if let Err(err) = hub.publish(&topic(room), &payload).await {
        // The message is stored: it shows in the history of whoever joins or reloads next.
        tracing::warn!(error = %err, %room, "could not publish to the room");
    }
}

/// Stores a message from `user` and sends it to everyone in the room.
pub(crate) async fn post(
    state: &AppState,
    room: &RoomName,
    user: &CurrentUser,
    body: &MessageBody,
) -> Result<ChatMessage> {
    let author = Author {
        user_id: user.id,
        name: display_name(user),
    };
    let message = db::chat::post(&state.db, room, &author, body, db::now()).await?;
    publish(&state.hub, room, &Event::Message(message.clone())).await;
    Ok(message)
}

/// Connections not seen for this many keepalive intervals are not counted as present.
const STALE_AFTER_PINGS: u32 = 3;

/// Who is in the room now.
pub(crate) async fn present(state: &AppState, room: &RoomName) -> Result<Present> {
    let window = state.config.chat.ping_interval * STALE_AFTER_PINGS;
    let since = db::now() - chrono::TimeDelta::from_std(window).unwrap_or(chrono::TimeDelta::MAX);
    Ok(db::chat::present(&state.db, room, since).await?)
}

/// Tells the room who is in it (after someone came or went), unless an announcement for the
/// room is already waiting for its turn (see `chat::announce`).
async fn announce_presence(state: &AppState, room: &RoomName) {
    state
        .presence()
        .run(room.as_str(), || async {
            match present(state, room).await {
                Ok(present) => publish(&state.hub, room, &Event::Presence(present)).await,
                Err(err) => tracing::warn!(error = %err, "chat presence not announced"),
            }
        })
        .await;
}

/// Records connection `connection` (of `name`, or a guest) as present and tells the room.
/// Presence is best effort: a failure is logged, the connection goes on.
pub(crate) async fn enter(state: &AppState, room: &RoomName, connection: &str, name: Option<&str>) {
    if let Err(err) = db::chat::join(&state.db, connection, room, name, db::now()).await {
        tracing::warn!(error = %err, "chat presence not recorded");
    }
    announce_presence(state, room).await;
}

/// Removes the connection from the room's presence and tells the room.
pub(crate) async fn leave(state: &AppState, room: &RoomName, connection: &str) {
    if let Err(err) = db::chat::leave(&state.db, connection).await {
        tracing::warn!(error = %err, "chat presence not removed");
    }
    announce_presence(state, room).await;
}

/// Turns a payload from the room's topic into the frame to send; `None` for what cannot be read
/// (a message deleted since, or a payload from a newer version).
pub(crate) async fn frame_of(state: &AppState, payload: &str) -> Option<ServerFrame> {
    match serde_json::from_str(payload) {
        Ok(Event::Message(message)) => Some(ServerFrame::Message { message }),
        Ok(Event::MessageId { id }) => match db::chat::get(&state.db, id).await {
            Ok(Some(message)) => Some(ServerFrame::Message { message }),
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(error = %err, id, "could not read a chat message");
                None
            }
        },
        Ok(Event::Presence(present)) => Some(ServerFrame::Presence(present)),
        Err(err) => {
            tracing::warn!(error = %err, "unreadable chat event");
            None
        }
    }
}
