//! `products`: the demo resource that runs through every layer.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Products::Id))
                    .col(string_len(Products::Name, 200))
                    .col(
                        big_integer(Products::PriceCents)
                            .check(Expr::col(Products::PriceCents).gte(0)),
                    )
                    .col(integer(Products::Version).default(1))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Name,
    PriceCents,
    Version,
    CreatedAt,
    UpdatedAt,
}
