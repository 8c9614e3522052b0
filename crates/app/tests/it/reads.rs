//! `db::Reads`: on SQLite, reads on reader threads of their own; they must answer exactly as the
//! pool does.

use db::{DbConfig, Reads, fixtures};

use crate::helpers::{TestApp, spawn_app};

const TEST_READS: &str = "test-reads";

/// Readers of the test's own, apart from the app's (on PostgreSQL, their connections go by the
/// name [`TEST_READS`]).
fn reads(app: &TestApp) -> Reads {
    let url = app.database_url();
    let url = if app.on_postgres() {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}application_name={TEST_READS}")
    } else {
        url.to_owned()
    };
    let mut config = DbConfig::new(url);
    config.readers = 2;
    Reads::open(&app.db, &config).unwrap()
}

#[tokio::test]
async fn reads_abandoned_mid_flight_leave_the_readers_serving() {
    let app = spawn_app().await;
    for n in 0..50 {
        app.create_note(&format!("note {n}")).await;
    }
    let reads = reads(&app);

    // Start many reads and drop them before they are answered (a client hanging up).
    for id in 1..=200 {
        let read = fixtures::get(&reads, id % 50 + 1);
        let mut read = Box::pin(read);
        let _ = futures_util::poll!(&mut read);
        drop(read);
    }

    for id in 1..=50 {
        assert_eq!(fixtures::get(&reads, id).await.unwrap().id, id);
    }
}

#[tokio::test]
async fn a_write_is_seen_by_the_next_read() {
    let app = spawn_app().await;
    let reads = reads(&app);

    for n in 0..20 {
        let created = app.create_note(&format!("note {n}")).await;
        let id = created["id"].as_i64().unwrap();
        assert_eq!(
            fixtures::get(&reads, id).await.unwrap().body,
            format!("note {n}")
        );
    }
}

/// A table with a column of every type the readers decode, and the entity for it.
mod every_type {
    use sea_orm::entity::prelude::*;
    use serde::Deserialize;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Deserialize)]
    #[sea_orm(table_name = "every_type")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub small: i16,
        pub int: i32,
        pub flag: bool,
        pub real: f32,
        pub double: f64,
        pub name: String,
        pub code: String,
        pub bytes: Vec<u8>,
        pub at: DateTimeUtc,
        pub naive: DateTime,
        pub day: Date,
        pub time: Time,
        pub meta: Json,
        pub metab: Json,
        pub note: Option<String>,
        pub absent: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    pub const POSTGRES: &str = "CREATE TABLE every_type (id BIGINT PRIMARY KEY, small SMALLINT NOT NULL, \
        int INTEGER NOT NULL, flag BOOLEAN NOT NULL, real REAL NOT NULL, double DOUBLE PRECISION NOT NULL, \
        name TEXT NOT NULL, code VARCHAR(8) NOT NULL, bytes BYTEA NOT NULL, at TIMESTAMPTZ NOT NULL, \
        naive TIMESTAMP NOT NULL, day DATE NOT NULL, time TIME NOT NULL, meta JSON NOT NULL, \
        metab JSONB NOT NULL, note TEXT, absent BIGINT)";
    pub const SQLITE: &str = "CREATE TABLE every_type (id INTEGER PRIMARY KEY, small INTEGER NOT NULL, \
        int INTEGER NOT NULL, flag BOOLEAN NOT NULL, real REAL NOT NULL, double REAL NOT NULL, \
        name TEXT NOT NULL, code TEXT NOT NULL, bytes BLOB NOT NULL, at TEXT NOT NULL, \
        naive TEXT NOT NULL, day TEXT NOT NULL, time TEXT NOT NULL, meta TEXT NOT NULL, \
        metab TEXT NOT NULL, note TEXT, absent INTEGER)";
}

#[tokio::test]
async fn every_column_type_and_filter_reads_as_the_pool_reads_it() {
    use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
    use db::Read;
    use every_type::{Column, Entity};
    use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

    let app = spawn_app().await;
    let ddl = if app.on_postgres() {
        every_type::POSTGRES
    } else {
        every_type::SQLITE
    };
    app.db.execute_unprepared(ddl).await.unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    for id in 1..=3_i64 {
        let n = i16::try_from(id).unwrap();
        every_type::ActiveModel {
            id: Set(id),
            small: Set(n),
            int: Set(i32::from(n) * 1_000),
            flag: Set(id % 2 == 0),
            real: Set(f32::from(n) + 0.5),
            double: Set(f64::from(n) / 3.0),
            name: Set(format!("Thé “{id}” & <b>")),
            code: Set(format!("c{id}")),
            bytes: Set(vec![0, 255, u8::try_from(id).unwrap()]),
            at: Set(Utc
                .with_ymd_and_hms(2026, 11, 29, 1, 2, 3)
                .unwrap()
                .checked_add_signed(chrono::Duration::microseconds(id * 1_234_567))
                .unwrap()),
            naive: Set(day.and_hms_micro_opt(4, 5, 6, 789).unwrap()),
            day: Set(day),
            time: Set(NaiveTime::from_hms_micro_opt(7, 8, 9, 10).unwrap()),
            meta: Set(serde_json::json!({ "id": id, "list": [1, "two", null] })),
            metab: Set(serde_json::json!({ "nested": { "id": id } })),
            note: Set((id == 2).then(|| "a note".to_owned())),
            absent: Set(None),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let reads = reads(&app);

    let everything = Entity::find();
    assert_eq!(
        reads.all(everything.clone()).await.unwrap(),
        everything.all(&app.db).await.unwrap()
    );
    assert_eq!(reads.all(Entity::find()).await.unwrap().len(), 3);
    let at = Utc.with_ymd_and_hms(2026, 11, 29, 1, 2, 4).unwrap();
    let filters = [
        Column::Small.eq(2),
        Column::Int.gt(1_500_i64),
        Column::Flag.eq(true),
        Column::Real.lt(2.0_f32),
        Column::Double.gt(0.5),
        Column::Name.like("Thé%3%"),
        Column::Code.eq("c1"),
        Column::Bytes.eq(vec![0_u8, 255, 3]),
        Column::At.gt(at),
        Column::Naive.lte(day.and_hms_opt(5, 0, 0).unwrap()),
        Column::Day.eq(day),
        Column::Note.is_null(),
        Column::Absent.is_not_null(),
    ];
    for filter in filters {
        let select = Entity::find().filter(filter);
        let pool = select.clone().all(&app.db).await.unwrap();
        assert_eq!(reads.all(select).await.unwrap(), pool);
    }
    // A parameter type the PostgreSQL readers leave to the pool (jsonb) answers the same.
    if app.on_postgres() {
        let select =
            Entity::find().filter(Column::Metab.eq(serde_json::json!({ "nested": { "id": 2 } })));
        let pool = select.clone().all(&app.db).await.unwrap();
        assert_eq!(pool.len(), 1);
        assert_eq!(reads.all(select).await.unwrap(), pool);
    }
}

/// `expr` for each of the test's PostgreSQL read connections open on this test's database,
/// in `pid` order (`a` is `pg_stat_activity`, `s` is `pg_stat_ssl`).
async fn of_read_connections<T: sea_orm::TryGetable>(app: &TestApp, expr: &str) -> Vec<T> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "SELECT {expr} AS v FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
                 WHERE a.application_name = '{TEST_READS}' AND a.datname = current_database() \
                 ORDER BY a.pid"
            ),
        ))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get("", "v").unwrap()).collect()
}

#[tokio::test]
async fn postgres_reads_survive_their_connections_being_terminated() {
    let app = spawn_app().await;
    if !app.on_postgres() {
        // SQLite readers hold files, not connections a server can end.
        return;
    }
    for n in 0..5 {
        app.create_note(&format!("note {n}")).await;
    }
    let reads = reads(&app);
    assert_eq!(fixtures::get(&reads, 1).await.unwrap().id, 1);
    let before: Vec<i32> = of_read_connections(&app, "a.pid").await;
    assert_eq!(before.len(), 1, "the read ran on a read connection");

    // The server ends them (a restart, a failover, an administrator), waiting until they are gone.
    let ended: Vec<bool> = of_read_connections(&app, "pg_terminate_backend(a.pid, 5000)").await;
    assert_eq!(ended, [true]);

    for id in 1..=5 {
        assert_eq!(fixtures::get(&reads, id).await.unwrap().id, id);
    }
    let after: Vec<i32> = of_read_connections(&app, "a.pid").await;
    assert_eq!(after.len(), 1);
    assert_ne!(
        after, before,
        "a new connection replaced the terminated one"
    );
}

#[tokio::test]
async fn postgres_readers_encrypt_with_sslmode_require() {
    let app = spawn_app().await;
    if !app.on_postgres() {
        // SQLite has no connection to encrypt.
        return;
    }
    for n in 0..3 {
        app.create_note(&format!("note {n}")).await;
    }
    let (base, query) = app
        .database_url()
        .split_once('?')
        .unwrap_or((app.database_url(), ""));
    let mut options: Vec<&str> = query
        .split('&')
        .filter(|o| !o.is_empty() && !o.starts_with("sslmode="))
        .collect();
    let name = format!("application_name={TEST_READS}");
    options.push(&name);
    options.push("sslmode=require");
    let mut config = DbConfig::new(format!("{base}?{}", options.join("&")));
    config.readers = 2;
    let reads = Reads::open(&app.db, &config).unwrap();

    assert_eq!(fixtures::get(&reads, 2).await.unwrap().id, 2);
    let encrypted: Vec<bool> = of_read_connections(&app, "s.ssl").await;
    assert_eq!(encrypted, [true], "the read connection uses TLS");
}
