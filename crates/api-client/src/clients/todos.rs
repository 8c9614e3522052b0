//! The todos upstream: a JSONPlaceholder-compatible API (`GET {base}/todos/{id}`). A thin typed
//! layer over [`Upstream`], which brings the retries, breaker, cap and deadline.

use serde::{Deserialize, Serialize};

use std::time::Duration;

use crate::{Result, Upstream, UpstreamSpec};

/// `APP_TODOS_API_URL` and the rest. Todos change rarely: a short cache spares the upstream
/// without serving stale data for long.
pub const SPEC: UpstreamSpec = crate::upstream_spec!(
    "todos",
    "TODOS",
    "https://jsonplaceholder.typicode.com",
    Some(Duration::from_secs(30))
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Todo {
    pub id: u64,
    pub user_id: u64,
    pub title: String,
    pub completed: bool,
}

/// Cheap to clone (it is cloned with the app state for every request).
#[derive(Debug, Clone)]
pub struct TodosClient {
    upstream: Upstream,
}

impl TodosClient {
    pub fn new(upstream: Upstream) -> Self {
        Self { upstream }
    }

    pub async fn get_todo(&self, id: u64) -> Result<Todo> {
        self.upstream
            .get_json(&format!("/todos/{id}"), &format!("todo {id}"))
            .await
    }
}
