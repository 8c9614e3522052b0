//! A product's image: which stored file it is and whether its thumbnail is made.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};

use crate::{
    Result, Writer,
    entities::product_image::{self, Column, Entity as Images},
};

pub use crate::entities::product_image::Model as ProductImage;

/// A stored upload to attach to a product.
#[derive(Debug, Clone)]
pub struct NewImage {
    pub file: String,
    pub content_type: &'static str,
    pub bytes: i64,
}

/// Attaches `image` to the product (replacing any earlier one); returns the new row and the
/// replaced one, so the caller can remove the old files once this commits.
pub async fn attach(
    db: &impl Writer,
    product_id: i64,
    image: &NewImage,
    now: DateTime<Utc>,
) -> Result<(ProductImage, Option<ProductImage>)> {
    let previous = Images::find_by_id(product_id).one(db).await?;
    let row = product_image::ActiveModel {
        product_id: Set(product_id),
        file: Set(image.file.clone()),
        content_type: Set(image.content_type.to_owned()),
        bytes: Set(image.bytes),
        thumbnail: Set(None),
        created_at: Set(now),
    };
    let on_conflict = OnConflict::column(Column::ProductId)
        .update_columns([
            Column::File,
            Column::ContentType,
            Column::Bytes,
            Column::Thumbnail,
            Column::CreatedAt,
        ])
        .to_owned();
    let _turn = db.write_turn().await?;
    let attached = Images::insert(row)
        .on_conflict(on_conflict)
        .exec_with_returning(db)
        .await?;
    Ok((attached, previous))
}

pub async fn get(db: &impl ConnectionTrait, product_id: i64) -> Result<Option<ProductImage>> {
    Ok(Images::find_by_id(product_id).one(db).await?)
}

/// Records the thumbnail made from `file`; `false` when the product's image has changed since
/// (or is gone), in which case the thumbnail is stale and the caller removes it.
pub async fn set_thumbnail(
    db: &impl Writer,
    product_id: i64,
    file: &str,
    thumbnail: &str,
) -> Result<bool> {
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let _turn = db.write_turn().await?;
    let updated = Images::update_many()
        .col_expr(Column::Thumbnail, Expr::value(thumbnail))
        .filter(Column::ProductId.eq(product_id))
        .filter(Column::File.eq(file))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}
