//! Products in the admin (`/admin/products`): every write through this module's queries.

use sea_orm::DatabaseConnection;

use super::{Column, NewProduct, ProductChanges};
use crate::{
    Actor, Result, WriteTransaction,
    admin::{self, Resource, Values},
    list::Order,
};

/// `products` in the admin.
#[derive(Debug)]
pub struct Admin;

impl Resource for Admin {
    type Entity = super::Products;
    const NAME: &'static str = super::TABLE;
    const LABEL: &'static str = super::ENTITY;
    const PLURAL: &'static str = "products";

    fn orders() -> &'static [Order<Column>] {
        &super::ORDERS
    }

    async fn create(db: &DatabaseConnection, actor: Actor, values: Values) -> Result<i64> {
        let new = parse(&values)?;
        Ok(super::create(db, actor, new).await?.id)
    }

    async fn update(
        db: &DatabaseConnection,
        actor: Actor,
        id: i64,
        version: i32,
        values: Values,
    ) -> Result<()> {
        let changes = ProductChanges::from(parse(&values)?);
        super::update(db, actor, id, version, changes).await?;
        Ok(())
    }

    async fn delete(
        txn: &WriteTransaction,
        actor: Actor,
        id: i64,
        version: Option<i32>,
    ) -> Result<Vec<String>> {
        let mut files = Vec::new();
        // [demo:images begin]
        if let Some(image) = crate::product_images::get(txn, id).await? {
            files.extend(image.thumbnail);
            files.push(image.file);
        }
        // [demo:images end]
        super::delete(txn, actor, id, version).await?;
        Ok(files)
    }
}

/// The form's values as the API's checks see them.
fn parse(values: &Values) -> Result<NewProduct> {
    let name: String = admin::value(values, "name")?;
    let price_cents: i64 = admin::value(values, "price_cents")?;
    NewProduct::parse(&name, price_cents).map_err(crate::Error::Invalid)
}
