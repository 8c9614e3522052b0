//! Export every product as CSV, in batches of `export_batch` rows: each batch is read by id
//! range, turned into CSV on the blocking pool (through the offload bridge) and appended to the
//! file, then the job reports its progress (the job page's live bar). Memory stays one batch
//! whatever the table's size. The file is named after the job, so its page offers the download;
//! it is written to a local scratch file, then put in the store (a local folder or S3).

use db::products::Product;
use tokio::io::AsyncWriteExt;

use super::{EXPORTS, export_table::Scratch};
use crate::{BoxError, Job, JobContext, Runner, Services};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExportProducts {}

/// Exports on demand (`purge_exports`, the engine's, deletes old files).
pub(super) fn register(runner: Runner<Services>) -> crate::Result<Runner<Services>> {
    Ok(runner.register::<ExportProducts>())
}

/// The key the export of job `id` is (or will be) stored under.
pub fn export_key(id: i64) -> String {
    format!("{EXPORTS}/products-{id}.csv")
}

impl Job for ExportProducts {
    const NAME: &'static str = "export_products";
    const MAX_ATTEMPTS: i32 = 3;
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
    type Context = Services;

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let app = &ctx.app;
        let total = i64::try_from(db::products::count(&app.db).await?).unwrap_or(i64::MAX);
        // Written to a local file first, then stored whole: a download never sees half a file,
        // a rerun replaces it whole, and S3 gets it in parts of bounded size.
        tokio::fs::create_dir_all(&app.scratch_dir).await?;
        let partial = Scratch(
            app.scratch_dir
                .join(format!("export-{}.csv.partial", ctx.id)),
        );
        let mut file = tokio::fs::File::create(&partial.0).await?;
        let (mut done, mut after, mut header) = (0_i64, 0_i64, true);
        crate::progress::report(&app.db, &app.hub, ctx.id, 0, total).await?;
        loop {
            let batch = db::products::batch_after(&app.db, after, app.export_batch.max(1)).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            done += i64::try_from(batch.len()).unwrap_or(i64::MAX);
            let with_header = std::mem::take(&mut header);
            let csv = app
                .offload
                .run("export_products_csv", move || to_csv(&batch, with_header))
                .await??;
            file.write_all(&csv).await?;
            // Rows added during the export make `done` pass the count taken at the start.
            crate::progress::report(&app.db, &app.hub, ctx.id, done, total.max(done)).await?;
        }
        if header {
            let csv = to_csv(&[], true)?;
            file.write_all(&csv).await?;
        }
        file.sync_all().await?;
        drop(file);
        let key = export_key(ctx.id);
        app.storage.put_file(&key, &partial.0).await?;
        tracing::info!(
            count = done,
            key,
            storage = app.storage.kind(),
            "products exported"
        );
        Ok(())
    }
}

/// The CSV lines of `products`, after the header line if `header`.
fn to_csv(products: &[Product], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(products.len() * 64));
    if header {
        writer.write_record(["id", "name", "price", "version", "created_at", "updated_at"])?;
    }
    for p in products {
        let price = format!("{}.{:02}", p.price_cents / 100, p.price_cents % 100);
        writer.write_record([
            p.id.to_string().as_str(),
            p.name.as_str(),
            price.as_str(),
            p.version.to_string().as_str(),
            p.created_at.to_rfc3339().as_str(),
            p.updated_at.to_rfc3339().as_str(),
        ])?;
    }
    writer.into_inner().map_err(|err| err.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_commas_and_quotes_are_quoted() {
        let now = chrono::Utc::now();
        let product = Product {
            id: 7,
            name: "Tea, \"green\"".into(),
            price_cents: 1205,
            version: 2,
            created_at: now,
            updated_at: now,
            created_by: None,
        };
        let csv = to_csv(&[product], true).map(String::from_utf8);
        let csv = csv.ok().and_then(Result::ok).unwrap_or_default();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("id,name,price,version,created_at,updated_at")
        );
        assert!(
            lines
                .next()
                .unwrap_or_default()
                .starts_with("7,\"Tea, \"\"green\"\"\",12.05,2,")
        );
    }
}
