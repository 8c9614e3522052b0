//! Chat rooms over WebSockets, shared by every replica through the [`db::Hub`].
//!
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
pub mod protocol;
pub(crate) mod room;
pub(crate) mod socket;

pub(crate) use announce::Announcements;

pub use protocol::{ClientFrame, ServerFrame};
