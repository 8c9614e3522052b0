//! Export every product as CSV: a CPU-heavy step, so it runs on the blocking pool through the
//! offload bridge. The file is named after the job, so the job's page can offer the download.

use std::path::{Path, PathBuf};

use db::products::Product;

use crate::{BoxError, Job, JobContext, Services};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExportProducts {}

/// Where the export of job `id` is (or will be) written.
pub fn export_path(exports_dir: &Path, id: i64) -> PathBuf {
    exports_dir.join(format!("products-{id}.csv"))
}

impl Job for ExportProducts {
    const NAME: &'static str = "export_products";
    const MAX_ATTEMPTS: i32 = 3;
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
    type Context = Services;

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let products = db::products::all(&ctx.app.db).await?;
        let count = products.len();
        let csv = ctx
            .app
            .offload
            .run("export_products_csv", move || to_csv(&products))
            .await??;
        let dir = &ctx.app.exports_dir;
        tokio::fs::create_dir_all(dir).await?;
        // Write then rename: a download never sees half a file, a rerun replaces it whole.
        let path = export_path(dir, ctx.id);
        let partial = path.with_extension("csv.partial");
        tokio::fs::write(&partial, csv).await?;
        tokio::fs::rename(&partial, &path).await?;
        tracing::info!(count, path = %path.display(), "products exported");
        Ok(())
    }
}

fn to_csv(products: &[Product]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(products.len() * 64));
    writer.write_record(["id", "name", "price", "version", "created_at", "updated_at"])?;
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
        };
        let csv = to_csv(&[product]).map(String::from_utf8);
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
