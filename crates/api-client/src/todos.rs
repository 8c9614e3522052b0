//! The todos upstream: a JSONPlaceholder-compatible API (`GET {base}/todos/{id}`).

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const UPSTREAM: &str = "todos";

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
    http: reqwest::Client,
    base_url: std::sync::Arc<str>,
}

impl TodosClient {
    pub(crate) fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').into(),
        }
    }

    #[tracing::instrument(skip(self), fields(upstream = UPSTREAM))]
    pub async fn get_todo(&self, id: u64) -> Result<Todo> {
        let url = format!("{}/todos/{id}", self.base_url);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| Error::from_reqwest(UPSTREAM, e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::from_status(UPSTREAM, format!("todo {id}"), status));
        }
        response
            .json()
            .await
            .map_err(|e| Error::from_reqwest(UPSTREAM, e))
    }
}
