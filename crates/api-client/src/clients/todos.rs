//! The todos upstream: a JSONPlaceholder-compatible API (`GET {base}/todos/{id}`). A thin typed
//! layer over [`Upstream`], which brings the retries, breaker, cap and deadline.

use serde::{Deserialize, Serialize};

use crate::{Result, upstream::Upstream};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub const UPSTREAM: &str = "todos";

    pub fn new(upstream: Upstream) -> Self {
        Self { upstream }
    }

    pub async fn get_todo(&self, id: u64) -> Result<Todo> {
        self.upstream
            .get_json(&format!("/todos/{id}"), &format!("todo {id}"))
            .await
    }
}
