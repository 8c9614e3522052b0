//! Migrations go up, down and up again on both databases.

use app::{cli::MigrateAction, commands};
use db::DatabaseConnection;
use sea_orm::ConnectionTrait;

use crate::helpers::{TestDatabase, test_config};

async fn table_exists(db: &DatabaseConnection, table: &str) -> bool {
    db.execute_unprepared(&format!("SELECT 1 FROM {table} LIMIT 1"))
        .await
        .is_ok()
}

async fn run(config: &app::Config, db: &DatabaseConnection, action: MigrateAction) -> String {
    let mut out = Vec::new();
    commands::migrate(config, db, action, &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let database = TestDatabase::create().await;
    let config = test_config(&database.url, &[]);
    let db = commands::connect(&config).await.unwrap();

    let before = run(&config, &db, MigrateAction::Status).await;
    assert!(before.lines().all(|l| l.starts_with("pending")), "{before}");

    run(&config, &db, MigrateAction::Up).await;
    assert!(table_exists(&db, "users").await && table_exists(&db, "jobs").await);
    let status = commands::migration_status(&db).await.unwrap();
    assert!(status.len() >= 2 && status.iter().all(|(_, applied)| *applied));

    run(&config, &db, MigrateAction::Down { steps: 100 }).await;
    assert!(!table_exists(&db, "users").await && !table_exists(&db, "jobs").await);

    run(&config, &db, MigrateAction::Up).await;
    assert!(table_exists(&db, "users").await && table_exists(&db, "jobs").await);
    crate::helpers::create_user(&db, "again@example.com", false).await;
}

#[tokio::test]
async fn down_rolls_back_one_migration_at_a_time() {
    let database = TestDatabase::create().await;
    let config = test_config(&database.url, &[]);
    let db = commands::connect(&config).await.unwrap();
    run(&config, &db, MigrateAction::Up).await;

    run(&config, &db, MigrateAction::Down { steps: 1 }).await;

    let status = commands::migration_status(&db).await.unwrap();
    let applied: Vec<bool> = status.iter().map(|(_, a)| *a).collect();
    assert_eq!(applied.last(), Some(&false));
    assert!(applied[..applied.len() - 1].iter().all(|a| *a));
}

#[tokio::test]
async fn fresh_empties_the_database_and_production_needs_yes() {
    let database = TestDatabase::create().await;
    let config = test_config(&database.url, &[]);
    let db = commands::connect(&config).await.unwrap();
    run(&config, &db, MigrateAction::Up).await;
    crate::helpers::create_user(&db, "before@example.com", false).await;

    run(&config, &db, MigrateAction::Fresh { yes: false }).await;
    let users = db::users::count(&db).await.unwrap();
    assert_eq!(users, 0, "fresh drops every table and migrates up again");

    let prod = test_config(
        &database.url,
        &[
            ("APP_ENV", "production"),
            ("APP_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("APP_ALLOWED_HOSTS", "localhost"),
        ],
    );
    let refused = commands::migrate(
        &prod,
        &db,
        MigrateAction::Fresh { yes: false },
        &mut Vec::new(),
    )
    .await;
    assert!(refused.unwrap_err().to_string().contains("--yes"));
}
