//! The app's job types, one file each. To add one: write the file, implement [`crate::Job`]
//! with `Context = Services`, and register it in [`runner`] with one line.

mod account_email;
mod export_products; // [demo:export]
mod export_table;
mod make_thumbnail; // [demo:images]
mod product_created_email; // [demo:products]
mod purge_chat_presence; // [demo:chat]
mod purge_exports;
mod purge_finished;
mod purge_sessions;
mod warm_todos; // [demo:todos]
// [generate:job-mod]

pub use account_email::{AccountEmail, AccountNotice};
pub use export_products::{ExportProducts, export_key}; // [demo:export]
pub use export_table::{DEFAULT_EXPORT_BATCH, EXPORTS, ExportTable, table_export_key};
pub use make_thumbnail::{MakeThumbnail, THUMBNAIL_SIZE, thumbnail_name}; // [demo:images]
pub use product_created_email::ProductCreatedEmail; // [demo:products]
pub use purge_chat_presence::PurgeChatPresence; // [demo:chat]
pub use purge_exports::PurgeExports;
pub use purge_finished::PurgeFinished;
pub use purge_sessions::PurgeSessions;
pub use warm_todos::WarmTodos; // [demo:todos]
// [generate:job-use]

use crate::{Queue, Result, Runner, Services, WorkerConfig};

/// A worker that knows every job type of the app, with the app's schedules.
pub fn runner(queue: Queue, services: Services, config: WorkerConfig) -> Result<Runner<Services>> {
    // The engine's own: account mail and the housekeeping.
    let runner = Runner::new(queue, services, config)
        .register::<AccountEmail>()
        // Every night at 03:17 UTC, drop finished jobs older than a week.
        .schedule("purge_finished", "17 3 * * *", &PurgeFinished::default())?
        // Every hour, drop expired sessions and old rate-limit counters.
        .schedule("purge_sessions", "41 * * * *", &PurgeSessions::default())?
        // The admin's CSV exports; every night at 03:23 UTC, export files older than a week go.
        .register::<ExportTable>()
        .schedule("purge_exports", "23 3 * * *", &PurgeExports::default())?;
    // Yours: one line each.
    let runner = runner.register::<ProductCreatedEmail>(); // [demo:products]
    let runner = runner.register::<MakeThumbnail>(); // [demo:images]
    let runner = export_products::register(runner)?; // [demo:export]
    let runner = warm_todos::register(runner)?; // [demo:todos]
    let runner = purge_chat_presence::register(runner)?; // [demo:chat]
    // [generate:job-register]
    Ok(runner)
}
