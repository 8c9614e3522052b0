//! What every handler can reach. Cloned per request, so everything in it is cheap to clone.

use std::sync::Arc;

use api_client::ApiClients;
use axum::extract::FromRef;
use db::DatabaseConnection;

use crate::{Templates, WebConfig};

#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub templates: Templates,
    pub api: ApiClients,
    pub config: Arc<WebConfig>,
}
