//! `products`: the demo resource that runs through every layer, owned by the user who made it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The list's orders (`db::products::ORDERS`): a page sorted by name or by price is one range
/// read on `(column, id)`, the id breaking ties as the cursor does. The price index also serves
/// the price report's percentiles. Deleting a user sets its products' owner to NULL: without an
/// index on `created_by` that is a scan of every product.
const INDEXES: [(&str, Products, Option<Products>); 3] = [
    ("idx_products_name_id", Products::Name, Some(Products::Id)),
    (
        "idx_products_price_cents_id",
        Products::PriceCents,
        Some(Products::Id),
    ),
    ("idx_products_created_by", Products::CreatedBy, None),
];

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
                    // The owner: they or an administrator may change the product. Deleting the
                    // user leaves it without one (administrators only, then).
                    .col(big_integer_null(Products::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Products::Table, Products::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column, then) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(Products::Table).col(column);
            if let Some(then) = then {
                index.col(then);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Products {
    Table,
    Id,
    Name,
    PriceCents,
    Version,
    CreatedAt,
    UpdatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
