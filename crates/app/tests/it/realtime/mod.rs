//! Real time and streaming: chat rooms over WebSockets (across replicas on PostgreSQL), job
//! progress over Server-Sent Events, and streamed image uploads.

mod chat; // [demo:chat]
mod chat_limits; // [demo:chat]
pub(crate) mod events;
mod product_images; // [demo:images]
mod uploads;
