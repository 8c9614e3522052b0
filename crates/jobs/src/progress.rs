//! A running job's progress: stored on its row (what a page shows after a reload) and published
//! on the hub under [`topic`] (what a live page shows at once, from any replica).

use db::{Hub, Writer};
use sea_orm::Value;

use crate::{Result, sql::stmt};

/// `done` of `total` steps (rows, bytes...), as a job last reported it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
    /// 0 to 100, rounded down (100 only when done).
    pub percent: u8,
}

impl Progress {
    pub fn new(done: i64, total: i64) -> Self {
        let done = done.clamp(0, total.max(0));
        let percent = if total <= 0 {
            100
        } else {
            // At most 100, since done <= total.
            u8::try_from(done.saturating_mul(100) / total).unwrap_or(100)
        };
        Self {
            done,
            total,
            percent,
        }
    }
}

/// The hub topic of job `id`'s progress.
pub fn topic(id: i64) -> String {
    format!("job:{id}")
}

/// Records and publishes that job `id` has done `done` of `total`. A failed publish is only
/// logged: the row is the record, live pages re-read it.
pub async fn report(db: &impl Writer, hub: &Hub, id: i64, done: i64, total: i64) -> Result<()> {
    let progress = Progress::new(done, total);
    {
        let _turn = db.write_turn().await?;
        let sql = "UPDATE jobs SET progress_done = $1, progress_total = $2 WHERE id = $3";
        let values = [
            Value::from(progress.done),
            Value::from(progress.total),
            Value::from(id),
        ];
        db.execute_raw(stmt(db, sql, values)).await?;
    }
    let payload = serde_json::to_string(&progress).unwrap_or_default();
    if let Err(err) = hub.publish(&topic(id), &payload).await {
        tracing::warn!(error = %err, job = id, "could not publish progress");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Progress;

    #[test]
    fn percent_is_rounded_down_and_bounded() {
        assert_eq!(Progress::new(1, 3).percent, 33);
        assert_eq!(Progress::new(3, 3).percent, 100);
        assert_eq!(Progress::new(7, 3).percent, 100);
        assert_eq!(Progress::new(0, 0).percent, 100);
        assert_eq!(Progress::new(-1, 10).done, 0);
    }
}
