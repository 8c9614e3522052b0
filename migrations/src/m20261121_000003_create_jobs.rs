//! `jobs`: the background-job queue, and `job_schedules`: the last tick each periodic job fired.
//!
//! The three partial indexes are raw SQL because sea-query cannot express an index predicate;
//! the statements are identical on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Raw SQL (see above); the state lists must match `jobs::State`.
const INDEXES: &[&str] = &[
    // What the workers claim from: due jobs, best priority first, oldest first.
    "CREATE INDEX idx_jobs_ready ON jobs (queue, priority, run_at, id) \
     WHERE state IN ('queued', 'retrying')",
    // A unique key holds only while a job with it is pending or running. Jobs without a key
    // (most) stay out of the index.
    "CREATE UNIQUE INDEX idx_jobs_unique_key ON jobs (unique_key) \
     WHERE unique_key IS NOT NULL AND state IN ('queued', 'retrying', 'running')",
    // Lease expiry: running jobs whose worker stopped renewing.
    "CREATE INDEX idx_jobs_lease ON jobs (locked_until) WHERE state = 'running'",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Jobs::Id))
                    .col(string_len(Jobs::Kind, 128))
                    .col(string_len(Jobs::Queue, 64))
                    .col(text(Jobs::Payload))
                    .col(string_len(Jobs::State, 16))
                    .col(small_integer(Jobs::Priority))
                    .col(integer(Jobs::Attempts))
                    .col(integer(Jobs::MaxAttempts))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(string_len_null(Jobs::UniqueKey, 255))
                    .col(string_len_null(Jobs::LockedBy, 64))
                    .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    // What a running job last reported (`jobs::progress`).
                    .col(big_integer_null(Jobs::ProgressDone))
                    .col(big_integer_null(Jobs::ProgressTotal))
                    .to_owned(),
            )
            .await?;
        // The dashboard's counts and `app jobs purge`.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_state")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::FinishedAt)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(JobSchedules::Table)
                    .if_not_exists()
                    .col(string_len(JobSchedules::Name, 128).primary_key())
                    .col(timestamp_with_time_zone(JobSchedules::LastTickAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobSchedules::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Queue,
    Payload,
    State,
    Priority,
    Attempts,
    MaxAttempts,
    RunAt,
    UniqueKey,
    LockedBy,
    LockedUntil,
    LastError,
    CreatedAt,
    StartedAt,
    FinishedAt,
    ProgressDone,
    ProgressTotal,
}

#[derive(DeriveIden)]
enum JobSchedules {
    Table,
    Name,
    LastTickAt,
}
