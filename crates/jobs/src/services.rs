//! What the app's job types run with: the `Context` of every job in [`crate::kinds`].

use std::path::PathBuf;

use api_client::ApiClients;
use offload::Offload;
use sea_orm::DatabaseConnection;

use crate::{Mailer, Queue};

/// Built once by `app` and cloned into every job (every field is a cheap handle).
#[derive(Debug, Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub mailer: Mailer,
    pub api: ApiClients,
    pub offload: Offload,
    /// Where files are kept (uploads, exports): a local folder or an S3 bucket (`APP_STORAGE`).
    pub storage: storage::Storage,
    /// A local folder for files being written before they go to `storage` (`APP_DATA_DIR/tmp`).
    pub scratch_dir: PathBuf,
    /// Rows an export writes between two progress reports.
    pub export_batch: u64,
    /// Who hears about what happens in the app (`APP_NOTIFY_EMAIL`): the team's address.
    pub notify_email: String,
    /// Publish/subscribe across replicas (job progress).
    pub hub: db::Hub,
    /// The most pixels an image may have to be decoded (`APP_UPLOAD_MAX_PIXELS`).
    pub image_max_pixels: u64,
}
