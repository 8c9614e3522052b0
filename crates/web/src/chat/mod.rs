//! Chat rooms over WebSockets, shared by every replica through the [`db::Hub`]: a demo feature,
//! all of it in this folder (its pages in `templates/chat/`, its tables in `db::chat`).
//!
//! - `routes`: `/chat`, a room's page and its WebSocket.
//! - [`protocol`]: the JSON frames client and server exchange (public: the test client and any
//!   other client use the same types).
//! - `room`: posting (store, then publish on the room's hub topic) and presence; `announce`:
//!   presence announcements coalesced per room and taken in turns.
//! - `socket`: one connection's loop, with its limits: a bounded outbound buffer, a message size
//!   limit, a posting rate, keepalive pings and an idle timeout.
//! - [`client`] (feature `client`): a typed client over tokio-tungstenite.

mod announce;
#[cfg(feature = "client")]
pub mod client;
mod config;
pub mod protocol;
pub(crate) mod room;
mod routes;
pub(crate) mod socket;

pub(crate) use announce::Announcements;
pub use config::ChatConfig;
pub(crate) use routes::router;

pub use protocol::{ClientFrame, ServerFrame};
