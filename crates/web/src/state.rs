//! What every handler can reach.
//!
//! axum clones the state for every request, so it is one `Arc`: a clone is one atomic increment,
//! whatever the state grows to hold. Handlers take `State<AppState>` and read fields through
//! `Deref`, or take a single part (`State<DatabaseConnection>`, `State<Templates>`) via `FromRef`.

use std::{ops::Deref, sync::Arc};

use api_client::ApiClients;
use axum::extract::FromRef;
use db::DatabaseConnection;

use crate::{Shutdown, Templates, WebConfig, auth::token_cache::TokenCache};

#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    parts: Parts,
    /// Recently checked API tokens (see [`TokenCache`]).
    tokens: TokenCache,
    /// Begun when the server stops: long-lived streams end on it (see [`Shutdown`]).
    shutdown: Shutdown,
    // [demo:chat begin]
    /// Chat presence announcements, coalesced per room.
    presence: crate::chat::Announcements,
    // [demo:chat end]
}

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Parts {
    pub db: DatabaseConnection,
    /// Where reads that write nothing go: on SQLite, reader threads beside the pool (see
    /// `db::Reads`); on PostgreSQL, the pool.
    pub reads: db::Reads,
    pub templates: Templates,
    pub api: ApiClients,
    /// The blocking-code bridge: CPU-heavy work goes through it, never on the runtime.
    pub offload: offload::Offload,
    /// Password hashing's own bridge: a few threads that keep their Argon2 memory (see
    /// `auth::password`).
    pub passwords: offload::Offload,
    /// The job queue: handlers enqueue, in their own transaction when they have one.
    pub jobs: jobs::Queue,
    /// Where files are kept (uploads, exports): a local folder or an S3 bucket.
    pub storage: storage::Storage,
    /// Publish/subscribe across replicas (job progress, wake-ups of workers, live features).
    pub hub: db::Hub,
    pub config: WebConfig,
}

impl AppState {
    pub fn new(parts: Parts) -> Self {
        Self(Arc::new(Shared {
            parts,
            tokens: TokenCache::default(),
            shutdown: Shutdown::new(),
            presence: crate::chat::Announcements::default(), // [demo:chat]
        }))
    }

    /// The server's shutdown: pass it to [`crate::serve`]; streams and sockets watch it.
    pub fn shutdown(&self) -> &Shutdown {
        &self.0.shutdown
    }

    pub(crate) fn tokens(&self) -> &TokenCache {
        &self.0.tokens
    }

    // [demo:chat begin]
    pub(crate) fn presence(&self) -> &crate::chat::Announcements {
        &self.0.presence
    }
    // [demo:chat end]
}

impl Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0.parts
    }
}

impl FromRef<AppState> for DatabaseConnection {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl FromRef<AppState> for db::Reads {
    fn from_ref(state: &AppState) -> Self {
        state.reads.clone()
    }
}

impl FromRef<AppState> for Templates {
    fn from_ref(state: &AppState) -> Self {
        state.templates.clone()
    }
}

impl FromRef<AppState> for ApiClients {
    fn from_ref(state: &AppState) -> Self {
        state.api.clone()
    }
}
