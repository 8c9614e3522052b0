//! `audit_log`: who changed what, written in the same transaction as the change itself.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(string_len(AuditLog::Entity, 64))
                    .col(big_integer(AuditLog::EntityId))
                    .col(string_len(AuditLog::Action, 32))
                    .col(text(AuditLog::Changes))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    // Who made the change. No foreign key: the audit trail keeps the id of a user
                    // who has since been deleted.
                    .col(big_integer_null(AuditLog::ActorId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_entity")
                    .table(AuditLog::Table)
                    .col(AuditLog::Entity)
                    .col(AuditLog::EntityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Entity,
    EntityId,
    Action,
    Changes,
    CreatedAt,
    ActorId,
}
