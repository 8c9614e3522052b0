//! The `app` binary itself: `check` and `seed`, run as a user would run them.

use std::process::{Command, Output};

use crate::helpers::TestDatabase; // [demo:products]

/// Runs `app` in an empty folder (so no `.env` is picked up) with exactly these variables.
pub fn app(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_app"))
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn check_prints_the_config_with_secrets_hidden() {
    let output = app(
        &["check"],
        &[
            ("APP_ENV", "production"),
            ("APP_SECRET_KEY", "s3cret-s3cret-s3cret-s3cret-s3cret-42"),
            ("APP_ALLOWED_HOSTS", "example.com"),
            ("DATABASE_URL", "postgres://app:hunter2@db:5432/app"),
        ],
    );

    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("APP_ENV") && text.contains("production"));
    assert!(text.contains("postgres://app:***@db:5432/app"));
    assert!(
        !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );
}

#[test]
fn check_fails_with_a_clear_message_when_the_config_is_invalid() {
    let output = app(
        &["check"],
        &[("APP_ENV", "production"), ("APP_ADDR", "nowhere")],
    );

    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.contains("APP_SECRET_KEY: required in production"),
        "{text}"
    );
    assert!(text.contains("APP_ADDR"), "{text}");
}

#[test]
fn serve_refuses_to_start_in_production_with_a_weak_key() {
    let output = app(
        &["serve"],
        &[("APP_ENV", "production"), ("APP_SECRET_KEY", "short")],
    );

    assert!(!output.status.success());
    assert!(stderr(&output).contains("at least 32"));
}

#[test]
fn help_lists_every_subcommand() {
    let output = app(&["--help"], &[]);

    let text = stdout(&output);
    for command in ["serve", "migrate", "seed", "check"] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
}

// [demo:products begin]
#[tokio::test]
async fn seeding_twice_does_not_duplicate_the_demo_data() {
    let database = TestDatabase::create().await;
    let vars = [("DATABASE_URL", database.url.as_str()), ("APP_ENV", "test")];
    assert!(app(&["migrate", "up"], &vars).status.success());

    let first = app(&["seed", "--products", "1200"], &vars);
    let second = app(&["seed", "--products", "1200"], &vars);

    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("1200 inserted, 0 already present"),
        "{}",
        stdout(&first)
    );
    assert!(
        stdout(&second).contains("0 inserted, 1200 already present"),
        "{}",
        stdout(&second)
    );
    let db = sea_orm::Database::connect(&database.url).await.unwrap();
    assert_eq!(db::products::count(&db).await.unwrap(), 1200);
}
// [demo:products end]

/// `app check --health` is the container's health check: 0 while the server answers `/health`,
/// non-zero (saying why) when nothing listens. The server takes `127.0.0.1` too (the harness signs
/// in through it); the checker, told only `.example.com`, sends `Host: example.com`.
#[tokio::test]
async fn check_health_asks_the_running_server() {
    let app_under_test =
        crate::helpers::spawn_app_with(&[("APP_ALLOWED_HOSTS", "127.0.0.1,.example.com")]).await;
    let addr = app_under_test
        .address
        .trim_start_matches("http://")
        .to_owned();
    let vars = |addr: &str| {
        vec![
            ("APP_ADDR", addr.to_owned()),
            ("APP_ALLOWED_HOSTS", ".example.com".to_owned()),
            ("DATABASE_URL", "sqlite::memory:".to_owned()),
        ]
    };
    let run = |vars: Vec<(&'static str, String)>| {
        tokio::task::spawn_blocking(move || {
            let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app(&["check", "--health"], &vars)
        })
    };

    let healthy = run(vars(&addr)).await.unwrap();
    assert!(healthy.status.success(), "{}", stderr(&healthy));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap().to_string();
    drop(closed);
    let down = run(vars(&closed_addr)).await.unwrap();
    assert!(!down.status.success());
    assert!(
        stderr(&down).contains("nothing answers"),
        "{}",
        stderr(&down)
    );
}
