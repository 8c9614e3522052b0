//! Who owns a product (`products.created_by`: its owner or an administrator may change it) and
//! who made each audited change (`audit_log.actor_id`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The reference is written inline: SQLite can add a column with a foreign key, but
        // cannot add a foreign key to an existing column (sea-query's `add_foreign_key`). Deleting
        // a user leaves their products without an owner (administrators only, then).
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(
                        ColumnDef::new(Products::CreatedBy)
                            .big_integer()
                            .null()
                            .extra("REFERENCES users (id) ON DELETE SET NULL"),
                    )
                    .to_owned(),
            )
            .await?;
        // Deleting a user sets its products' owner to NULL: without an index that is a scan of
        // every product.
        manager
            .create_index(
                Index::create()
                    .name("idx_products_created_by")
                    .table(Products::Table)
                    .col(Products::CreatedBy)
                    .to_owned(),
            )
            .await?;
        // No foreign key: the audit trail keeps the id of a user who has since been deleted.
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(ColumnDef::new(AuditLog::ActorId).big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(AuditLog::ActorId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_products_created_by")
                    .table(Products::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(Products::CreatedBy)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Products {
    Table,
    CreatedBy,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    ActorId,
}
