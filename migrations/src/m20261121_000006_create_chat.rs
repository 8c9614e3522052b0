//! What the chat keeps: `chat_messages` (room history) and `chat_presence` (who is connected
//! where, shared by every replica).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatMessages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ChatMessages::Id))
                    .col(string_len(ChatMessages::Room, 40))
                    // The author's name is copied in: history stays readable if the user goes.
                    .col(big_integer_null(ChatMessages::UserId))
                    .col(string_len(ChatMessages::Author, 64))
                    .col(text(ChatMessages::Body))
                    .col(timestamp_with_time_zone(ChatMessages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatMessages::Table, ChatMessages::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_messages_room")
                    .table(ChatMessages::Table)
                    .col(ChatMessages::Room)
                    .col(ChatMessages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatPresence::Table)
                    .if_not_exists()
                    // One row per open connection, refreshed by its keepalive.
                    .col(string_len(ChatPresence::Id, 36).primary_key())
                    .col(string_len(ChatPresence::Room, 40))
                    .col(string_len_null(ChatPresence::Name, 64))
                    .col(timestamp_with_time_zone(ChatPresence::SeenAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_presence_room")
                    .table(ChatPresence::Table)
                    .col(ChatPresence::Room)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChatPresence::Table.into_iden(),
            ChatMessages::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
    Room,
    UserId,
    Author,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatPresence {
    Table,
    Id,
    Room,
    Name,
    SeenAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
