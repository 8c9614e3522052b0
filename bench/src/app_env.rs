//! How the bench starts the app: the environment it runs with and one-off commands.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

/// The environment the app runs with in the bench: production settings, logs at `warn`.
#[derive(Debug, Clone)]
pub struct AppEnv {
    pub root: PathBuf,
    pub database_url: String,
    pub upstream: String,
    /// From `--app-env`, applied last.
    pub extra: Vec<(String, String)>,
}

impl AppEnv {
    pub fn command(&self, bin: &Path) -> Command {
        let mut command = Command::new(bin);
        command
            .env_clear()
            .env("APP_ENV", "production")
            .env("APP_SECRET_KEY", "bench-only-secret-key-0123456789abcdef")
            .env("APP_ALLOWED_HOSTS", "127.0.0.1,localhost")
            .env("DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "warn")
            .env("APP_TEMPLATES_DIR", self.root.join("templates"))
            .env("APP_STATIC_DIR", self.root.join("static"));
        if !self.upstream.is_empty() {
            // The fan-out row measures real upstream calls: no cache, and a cap above the load.
            command
                .env("APP_TODOS_API_URL", &self.upstream)
                .env("APP_TODOS_CACHE_TTL_SECS", "0")
                .env("APP_TODOS_MAX_IN_FLIGHT", "1024");
        }
        command.envs(self.extra.iter().map(|(k, v)| (k, v)));
        command
    }

    pub fn serve(&self, bin: &Path, addr: std::net::SocketAddr) -> Command {
        let mut command = self.command(bin);
        command.env("APP_ADDR", addr.to_string()).arg("serve");
        command
    }
}

pub fn run_ok(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// An administrator and an API token for it, made with the app's own commands; returns the
/// token the write rows send.
pub fn api_token(env: &AppEnv, bin: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    let email = "bench@example.com";
    let mut child = env
        .command(bin)
        .args(["createsuperuser", "--email", email])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running app createsuperuser")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(b"bench-password-0123456789\n")?;
    }
    let created = child.wait_with_output()?;
    if !created.status.success() {
        bail!(
            "app createsuperuser failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    let output = env
        .command(bin)
        .args(["token", "create", "--email", email, "--name", "bench"])
        .output()
        .context("running app token create")?;
    if !output.status.success() {
        bail!(
            "app token create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `--app-env KEY=VALUE`.
pub fn parse_env_pair(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{raw}` is not KEY=VALUE"))
}
