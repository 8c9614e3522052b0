//! Export an admin list as CSV: the rows its filter keeps, from any table in [`db::admin`], in
//! batches of `export_batch` rows read by id range (memory stays one batch whatever the table's
//! size), each turned into CSV on the blocking pool, with progress reports for the job page's
//! live bar. Written to a scratch file, then stored whole (a local folder or S3) under the job's
//! id; `purge_exports` deletes it after a week.

use std::path::PathBuf;

use db::admin::{Filter, Row};
use tokio::io::AsyncWriteExt;

use crate::{BoxError, Job, JobContext, Services};

/// The folder of the store exports are kept in (`purge_exports` empties it of old ones).
pub const EXPORTS: &str = "exports";

/// Rows per batch (and per progress report) unless the worker's services say otherwise.
pub const DEFAULT_EXPORT_BATCH: u64 = 500;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExportTable {
    /// The admin table (`db::admin::find`).
    pub table: String,
    /// The rows to export: the list's filter when the export started.
    #[serde(default)]
    pub filter: Filter,
}

impl ExportTable {
    /// The key the export of job `id` is (or will be) stored under.
    pub fn key(&self, id: i64) -> String {
        table_export_key(&self.table, id)
    }
}

/// The key job `id`'s export of `table` is stored under.
pub fn table_export_key(table: &str, id: i64) -> String {
    format!("{EXPORTS}/{table}-{id}.csv")
}

impl Job for ExportTable {
    const NAME: &'static str = "export_table";
    const MAX_ATTEMPTS: i32 = 3;
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
    type Context = Services;

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let app = &ctx.app;
        let table = db::admin::find(&self.table)
            .ok_or_else(|| format!("there is no admin table `{}`", self.table))?;
        let total = i64::try_from(table.count(&app.db, &self.filter).await?).unwrap_or(i64::MAX);
        tokio::fs::create_dir_all(&app.scratch_dir).await?;
        let partial = Scratch(
            app.scratch_dir
                .join(format!("export-{}.csv.partial", ctx.id)),
        );
        let mut file = tokio::fs::File::create(&partial.0).await?;
        let names: Vec<&'static str> = table.fields().iter().map(|f| f.name).collect();
        let (mut done, mut after) = (0_i64, 0_i64);
        let header = to_csv(&names, &[], true)?;
        file.write_all(&header).await?;
        crate::progress::report(&app.db, &app.hub, ctx.id, 0, total).await?;
        loop {
            let batch = table
                .batch(&app.db, &self.filter, after, app.export_batch.max(1))
                .await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            done += i64::try_from(batch.len()).unwrap_or(i64::MAX);
            let names = names.clone();
            let csv = app
                .offload
                .run("export_table_csv", move || to_csv(&names, &batch, false))
                .await??;
            file.write_all(&csv).await?;
            crate::progress::report(&app.db, &app.hub, ctx.id, done, total.max(done)).await?;
        }
        file.sync_all().await?;
        drop(file);
        let key = self.key(ctx.id);
        app.storage.put_file(&key, &partial.0).await?;
        tracing::info!(table = self.table, count = done, key, "table exported");
        Ok(())
    }
}

/// A scratch file, removed when dropped: after it is stored, or when the job fails or is cut
/// off halfway.
pub(super) struct Scratch(pub(super) PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        // Gone already when the local store moved it into place.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The CSV lines of `rows` (their `names` fields, in that order), after a header if `header`.
fn to_csv(names: &[&str], rows: &[Row], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 64));
    if header {
        writer.write_record(names)?;
    }
    for row in rows {
        writer.write_record(names.iter().map(|name| {
            row.values
                .get(*name)
                .map(db::admin::text)
                .unwrap_or_default()
        }))?;
    }
    writer.into_inner().map_err(|err| err.into_error().into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_quoted_and_nulls_are_empty() {
        let names = ["id", "name", "note"];
        let row = Row {
            id: 7,
            version: None,
            values: json!({ "id": 7, "name": "Tea, \"green\"", "note": null })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        let csv = to_csv(&names, &[row], true).map(String::from_utf8);
        let csv = csv.ok().and_then(Result::ok).unwrap_or_default();
        assert_eq!(csv, "id,name,note\n7,\"Tea, \"\"green\"\"\",\n");
    }
}
