//! tower-sessions' store on the app's own database (through `db::sessions`), so sessions work on
//! SQLite and PostgreSQL alike and survive restarts; replicas share them.

use db::{DatabaseConnection, sessions::SessionRow};
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error as StoreError, Result as StoreResult},
};

use super::session::USER_ID;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[allow(clippy::needless_pass_by_value, reason = "used as map_err(backend)")]
fn backend(err: db::Error) -> StoreError {
    StoreError::Backend(err.to_string())
}

fn to_row(record: &Record) -> StoreResult<SessionRow> {
    let data =
        serde_json::to_string(&record.data).map_err(|e| StoreError::Encode(e.to_string()))?;
    let nanos = record.expiry_date.unix_timestamp_nanos();
    let expires_at =
        chrono::DateTime::from_timestamp_nanos(i64::try_from(nanos).unwrap_or(i64::MAX));
    Ok(SessionRow {
        id: record.id.to_string(),
        user_id: record.data.get(USER_ID).and_then(serde_json::Value::as_i64),
        data,
        expires_at,
    })
}

fn from_row(id: Id, row: &SessionRow) -> StoreResult<Record> {
    let data = serde_json::from_str(&row.data).map_err(|e| StoreError::Decode(e.to_string()))?;
    let nanos = i128::from(row.expires_at.timestamp_nanos_opt().unwrap_or(i64::MAX));
    let expiry_date = OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|e| StoreError::Decode(e.to_string()))?;
    Ok(Record {
        id,
        data,
        expiry_date,
    })
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        // 128 random bits collide practically never; a few tries make "never" certain.
        for _ in 0..4 {
            if db::sessions::create(&self.db, &to_row(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(StoreError::Backend(
            "could not find a free session id".into(),
        ))
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        db::sessions::save(&self.db, &to_row(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        match db::sessions::load(&self.db, &id.to_string())
            .await
            .map_err(backend)?
        {
            Some(row) => from_row(*id, &row).map(Some),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        db::sessions::delete(&self.db, &id.to_string())
            .await
            .map_err(backend)
    }
}
