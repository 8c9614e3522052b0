//! Tell the team about a new product. Enqueued in the same transaction as the insert, so a
//! rolled-back product sends nothing.

use crate::{BoxError, Email, Job, JobContext, Services};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProductCreatedEmail {
    pub product_id: i64,
}

impl Job for ProductCreatedEmail {
    const NAME: &'static str = "product_created_email";
    const QUEUE: &'static str = "mail";
    type Context = Services;

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        let product = match db::products::get(&ctx.app.db, self.product_id).await {
            Ok(product) => product,
            // Deleted before the mail went out: nothing to announce.
            Err(db::Error::NotFound { .. }) => return Ok(()),
            Err(err) => return Err(err.into()),
        };
        let price = format!(
            "{}.{:02}",
            product.price_cents / 100,
            product.price_cents % 100
        );
        let email = Email {
            to: ctx.app.notify_email.clone(),
            subject: format!("New product: {}", product.name),
            body: format!(
                "{} was added at {price} (product #{}).\n",
                product.name, product.id
            ),
        };
        ctx.app.mailer.send(&email).await?;
        Ok(())
    }
}
