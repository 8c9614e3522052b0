//! A PostgreSQL database of the bench's own for a round, created and dropped on the given server.

use sea_orm::{ConnectionTrait, Database};

/// Creates `bench_<pid>` on the server and returns its URL and a function that drops it.
pub fn create_database(
    server_url: &str,
) -> anyhow::Result<(String, impl FnOnce() -> anyhow::Result<()>)> {
    let name = format!("bench_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let admin_url = server_url.to_owned();
    runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let admin = Database::connect(&admin_url).await?;
        admin
            .execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}""#))
            .await?;
        admin
            .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
            .await?;
        anyhow::Ok(())
    })?;
    let url = db::with_database_name(server_url, &name);
    let drop_it = move || {
        runtime.block_on(async {
            let admin = Database::connect(&admin_url).await?;
            admin
                .execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                .await?;
            anyhow::Ok(())
        })
    };
    Ok((url, drop_it))
}
