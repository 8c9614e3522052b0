//! Indexes for the product list's orders (`db::products::ORDERS`): a page sorted by name or by
//! price is one range read on `(column, id)`, the id breaking ties as the cursor does. The price
//! index also serves the price report's percentiles.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEXES: [(&str, Products); 2] = [
    ("idx_products_name_id", Products::Name),
    ("idx_products_price_cents_id", Products::PriceCents),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Products::Table)
                        .col(column)
                        .col(Products::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Products::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Products {
    Table,
    Id,
    Name,
    PriceCents,
}
