//! Finding a job by its unique key whatever its state, for a page that shows how the work it
//! stands for went (a product image's thumbnail: being made, or failed). The unique index of the
//! jobs migration covers pending and running jobs only. Raw SQL for the predicate, as there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_jobs_by_unique_key ON jobs (unique_key, id) \
                 WHERE unique_key IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_jobs_by_unique_key")
                    .table(Alias::new("jobs"))
                    .to_owned(),
            )
            .await
    }
}
