//! Server-side session records. The HTTP layer's session store calls these; the periodic
//! clean-up job calls [`delete_expired`].

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::{
    Result, Writer,
    entities::session::{self, Column, Entity as Sessions},
};

/// One session as stored: the `sessions` row.
pub use crate::entities::session::Model as SessionRow;

fn active(row: &SessionRow) -> session::ActiveModel {
    // Every column set: the row is written whole.
    session::ActiveModel::from(row.clone()).reset_all()
}

/// Inserts a new session; `false` if the id is taken (the caller picks another).
pub async fn create(db: &impl Writer, row: &SessionRow) -> Result<bool> {
    let _turn = db.write_turn().await?;
    let inserted = Sessions::insert(active(row))
        .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Inserts or overwrites a session.
pub async fn save(db: &impl Writer, row: &SessionRow) -> Result<()> {
    let _turn = db.write_turn().await?;
    Sessions::insert(active(row))
        .on_conflict(
            OnConflict::column(Column::Id)
                .update_columns([Column::UserId, Column::Data, Column::ExpiresAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The session with this id, unless it has expired.
pub async fn load(db: &impl ConnectionTrait, id: &str) -> Result<Option<SessionRow>> {
    Ok(Sessions::find_by_id(id.to_owned())
        .filter(Column::ExpiresAt.gt(crate::now()))
        .one(db)
        .await?)
}

pub async fn delete(db: &impl Writer, id: &str) -> Result<()> {
    let _turn = db.write_turn().await?;
    Sessions::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// Ends every session of `user_id` except `keep` (the one that asked): after a password change,
/// other browsers are signed out. Returns how many ended.
pub async fn delete_for_user(db: &impl Writer, user_id: i64, keep: Option<&str>) -> Result<u64> {
    let _turn = db.write_turn().await?;
    let mut delete = Sessions::delete_many().filter(Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        delete = delete.filter(Column::Id.ne(keep));
    }
    Ok(delete.exec(db).await?.rows_affected)
}

/// Deletes sessions that expired before `now`; returns how many.
pub async fn delete_expired(db: &impl Writer, now: DateTime<Utc>) -> Result<u64> {
    let _turn = db.write_turn().await?;
    Ok(Sessions::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
