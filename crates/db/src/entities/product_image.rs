//! The `product_images` table: a product's uploaded image and, once made, its thumbnail.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "product_images")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: i64,
    /// The stored file's generated name in the store's `uploads/` (never the client's name).
    pub file: String,
    pub content_type: String,
    pub bytes: i64,
    /// The thumbnail's file name, once the thumbnail job has made it.
    pub thumbnail: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
