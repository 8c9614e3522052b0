//! The chat's wire format: one JSON object per WebSocket text frame, tagged by `type`.
//!
//! A client sends `{"type":"say","body":"hello"}`. The server sends, on joining, `welcome`
//! then `history` (the room's last messages, oldest first) and `presence`; then every
//! `message` posted in the room by anyone on any replica, `presence` when someone comes or
//! goes, and `error` when something the client sent was refused (the socket stays open). It
//! closes the socket with 1009 when a frame is too big, 1008 when the client is too slow to
//! keep up, and 1001 when the client has been silent too long.

use db::chat::{ChatMessage, Present};
use serde::{Deserialize, Serialize};

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Post a message (signed-in users only).
    Say { body: String },
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame: the room, and the name this connection posts as (`None`: a guest, who may
    /// read but not post).
    Welcome { room: String, you: Option<String> },
    /// The room's most recent messages, oldest first.
    History { messages: Vec<ChatMessage> },
    /// A new message in the room.
    Message { message: ChatMessage },
    /// Who is in the room now.
    Presence(Present),
    /// Something this client sent was refused; the connection stays open.
    Error { message: String },
}
