//! `product_images`: a product's uploaded image and its thumbnail, one per product.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductImages::Table)
                    .if_not_exists()
                    .col(big_integer(ProductImages::ProductId).primary_key())
                    .col(string_len(ProductImages::File, 64))
                    .col(string_len(ProductImages::ContentType, 32))
                    .col(big_integer(ProductImages::Bytes))
                    .col(string_len_null(ProductImages::Thumbnail, 64))
                    .col(timestamp_with_time_zone(ProductImages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProductImages::Table, ProductImages::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProductImages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ProductImages {
    Table,
    ProductId,
    File,
    ContentType,
    Bytes,
    Thumbnail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}
