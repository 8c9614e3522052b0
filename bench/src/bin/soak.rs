//! `just soak`: the production topology under mixed load for a long while, with the database
//! restarted in the middle.
//!
//! HAProxy (the config compose ships, through `scripts/stack.sh haproxy-config`) in front of two
//! release `app serve` replicas and one `app worker`, on a fresh PostgreSQL database; wrk sends
//! reads (the product list, product pages, `/health`) and writes (new products, each of which
//! enqueues a mail job) through the proxy. Halfway, PostgreSQL is restarted
//! (`pg_ctlcluster VERSION main restart`, or `--restart-command`). What is reported, from the
//! proxy's log of every request and samples of each replica's `/proc`:
//!
//! - 5xx answers outside the restart window (budget: 0; inside it, 503s are expected);
//! - each replica's RSS at the end against after the warm-up (budget: at most 15 % more);
//! - each replica's open file descriptors, first and last sample (flat: within a few).
//!
//! Exits non-zero when a budget is missed. Results: `bench/results/soak-<time>.json`.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use bench::{
    app_env::{AppEnv, api_token, run_ok},
    proc_stats, servers,
};
use chrono::{DateTime, Local, NaiveDateTime};
use clap::Parser;
use serde::Serialize;

#[derive(Debug, Parser)]
struct Args {
    /// Minutes of load.
    #[arg(long, default_value_t = 10)]
    minutes: u64,
    /// Of which the first are warm-up (RSS is compared against the end of it).
    #[arg(long, default_value_t = 1)]
    warmup_minutes: u64,
    /// The PostgreSQL server (a database is created on it and dropped after).
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    )]
    database_url: String,
    /// What restarts that server halfway (default: `pg_ctlcluster <newest version> main restart`).
    #[arg(long)]
    restart_command: Option<String>,
    /// wrk connections through the proxy.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Products seeded before the load.
    #[arg(long, default_value_t = 10_000)]
    products: u64,
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    #[arg(long, default_value = "bench/results")]
    out_dir: PathBuf,
}

/// After the restart command returns, answers may still fail this long (pools reconnecting).
const RECOVERY: Duration = Duration::from_secs(15);
const SAMPLE_EVERY: Duration = Duration::from_secs(5);
const RSS_DRIFT_BUDGET: f64 = 0.15;
const FD_SLACK: i64 = 8;

#[derive(Debug, Serialize)]
struct Report {
    machine: String,
    minutes: u64,
    requests: u64,
    requests_per_sec: f64,
    p99_ms: f64,
    restart_started: String,
    restart_finished: String,
    server_errors_in_restart_window: u64,
    server_errors_outside_restart_window: u64,
    replicas: Vec<ReplicaReport>,
    passed: bool,
}

#[derive(Debug, Serialize)]
struct ReplicaReport {
    name: String,
    rss_after_warmup_mb: f64,
    rss_at_end_mb: f64,
    rss_drift: f64,
    fds_first: i64,
    fds_last: i64,
}

/// The load: mostly reads, some writes.
const REQUEST: &str = r#"request = function()
  local pick = math.random(1, 100)
  if pick <= 45 then
    return wrk.format("GET", "/api/products?limit=20")
  elseif pick <= 80 then
    return wrk.format("GET", "/products/" .. math.random(1, PRODUCTS))
  elseif pick <= 90 then
    return wrk.format("GET", "/health")
  else
    return wrk.format("POST", "/api/products", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer TOKEN"}, '{"name":"Soak tea","price_cents":250}')
  end
end"#;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let root = std::env::current_dir()?;
    let scratch = tempdir()?;
    let (database_url, drop_database) = bench::pg::create_database(&args.database_url)?;
    let result = soak(&args, &root, &scratch, &database_url);
    drop_database()?;
    let _ = std::fs::remove_dir_all(&scratch);
    let report = result?;
    std::fs::create_dir_all(&args.out_dir)?;
    let path = args.out_dir.join(format!(
        "soak-{}.json",
        Local::now().format("%Y%m%d-%H%M%S")
    ));
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    print_report(&report);
    eprintln!("written to {}", path.display());
    if !report.passed {
        bail!("the soak missed a budget");
    }
    Ok(())
}

fn soak(args: &Args, root: &Path, scratch: &Path, database_url: &str) -> anyhow::Result<Report> {
    let app = args.bin_dir.join("app");
    let env = AppEnv {
        root: root.to_owned(),
        database_url: database_url.to_owned(),
        upstream: String::new(),
        extra: vec![
            ("APP_MIGRATE_ON_START".into(), "false".into()),
            (
                "APP_DATA_DIR".into(),
                scratch.join("data").display().to_string(),
            ),
            ("APP_TRUSTED_PROXIES".into(), "127.0.0.1".into()),
            ("APP_SHUTDOWN_DELAY_SECS".into(), "3".into()),
            ("APP_MAILER".into(), "memory".into()),
        ],
    };
    run_ok(env.command(&app).args(["migrate", "up"]))?;
    run_ok(
        env.command(&app)
            .args(["seed", "--products", &args.products.to_string()]),
    )?;
    let token = api_token(&env, &app)?;

    let mut replicas = Vec::new();
    for n in 1..=2 {
        let addr = servers::free_addr()?;
        let mut command = env.serve(&app, addr);
        command.env("APP_JOBS_IN_PROCESS", "false");
        let (server, _) = servers::Server::start(&format!("app{n}"), command, addr, "/health")?;
        replicas.push(server);
    }
    let mut worker = Guard(
        env.command(&app)
            .arg("worker")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let proxy_addr = servers::free_addr()?;
    let config = scratch.join("haproxy.cfg");
    let mut stack = Command::new("sh");
    stack
        .arg(root.join("scripts/stack.sh"))
        .arg("haproxy-config")
        .arg(proxy_addr.port().to_string());
    for replica in &replicas {
        stack.arg(replica.addr.to_string());
    }
    let generated = stack.output().context("scripts/stack.sh haproxy-config")?;
    std::fs::write(&config, &generated.stdout)?;
    let proxy_log = scratch.join("haproxy.log");
    let mut proxy = Guard(
        Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&config)
            .env("CHECK_HOST", "127.0.0.1")
            .stdout(std::fs::File::create(&proxy_log)?)
            .stderr(Stdio::null())
            .spawn()
            .context("starting haproxy (sh scripts/stack.sh setup installs it)")?,
    );
    wait_for(proxy_addr, Duration::from_secs(30))?;

    let script = scratch.join("soak.lua");
    std::fs::write(
        &script,
        bench::wrk::script(
            &REQUEST
                .replace("PRODUCTS", &args.products.to_string())
                .replace("TOKEN", &token),
        ),
    )?;
    let total = Duration::from_secs(args.minutes * 60);
    let base = format!("http://{proxy_addr}");
    let connections = args.connections;
    let load = std::thread::spawn(move || bench::wrk::run(&base, &script, connections, 2, total));

    let started = Instant::now();
    let warmup = Duration::from_secs(args.warmup_minutes * 60);
    let pids: Vec<(String, u32)> = replicas.iter().map(|s| (s.name.clone(), s.pid())).collect();
    let mut samples: Vec<Vec<(f64, i64)>> = vec![Vec::new(); pids.len()];
    let mut after_warmup: Option<Vec<f64>> = None;
    let (mut restart_started, mut restart_finished) = (None, None);
    while started.elapsed() < total {
        std::thread::sleep(SAMPLE_EVERY);
        for (n, (_, pid)) in pids.iter().enumerate() {
            samples[n].push((proc_stats::rss_mb(*pid).unwrap_or(0.0), open_fds(*pid)));
        }
        if after_warmup.is_none() && started.elapsed() >= warmup {
            after_warmup = Some(
                pids.iter()
                    .map(|(_, pid)| proc_stats::rss_mb(*pid).unwrap_or(0.0))
                    .collect(),
            );
        }
        if restart_started.is_none() && started.elapsed() >= total / 2 {
            eprintln!("== restarting PostgreSQL");
            restart_started = Some(Local::now());
            restart_postgres(args.restart_command.as_deref())?;
            restart_finished = Some(Local::now());
        }
    }
    let outcome = load
        .join()
        .map_err(|_| anyhow::anyhow!("the load thread panicked"))??;
    proxy.stop();
    worker.stop();
    drop(replicas);

    let (Some(from), Some(to)) = (restart_started, restart_finished) else {
        bail!("the soak ended before its restart: run it longer");
    };
    let to = to + chrono::Duration::from_std(RECOVERY)?;
    let (inside, outside) = server_errors(&std::fs::read_to_string(&proxy_log)?, from, to);
    let warm = after_warmup.unwrap_or_default();
    let mut passed = outside == 0;
    let mut reports = Vec::new();
    for (n, (name, _)) in pids.iter().enumerate() {
        let end = samples[n].last().copied().unwrap_or_default();
        let first = samples[n].first().copied().unwrap_or_default();
        let base = warm.get(n).copied().unwrap_or(end.0);
        let drift = if base > 0.0 { end.0 / base - 1.0 } else { 0.0 };
        passed &= drift <= RSS_DRIFT_BUDGET && (end.1 - first.1).abs() <= FD_SLACK;
        reports.push(ReplicaReport {
            name: name.clone(),
            rss_after_warmup_mb: base,
            rss_at_end_mb: end.0,
            rss_drift: drift,
            fds_first: first.1,
            fds_last: end.1,
        });
    }
    Ok(Report {
        machine: bench::report::machine(),
        minutes: args.minutes,
        requests: outcome.requests,
        requests_per_sec: outcome.requests_per_sec,
        p99_ms: outcome.p99_ms,
        restart_started: from.to_rfc3339(),
        restart_finished: to.to_rfc3339(),
        server_errors_in_restart_window: inside,
        server_errors_outside_restart_window: outside,
        replicas: reports,
        passed,
    })
}

/// 5xx answers in HAProxy's log (`option httplog`: `[29/Nov/2026:17:55:01.123] web app/app1
/// 0/0/0/1/1 200 …`) inside and outside `from..=to`.
fn server_errors(log: &str, from: DateTime<Local>, to: DateTime<Local>) -> (u64, u64) {
    let (mut inside, mut outside) = (0, 0);
    for line in log.lines() {
        let Some((_, rest)) = line.split_once('[') else {
            continue;
        };
        let Some((stamp, rest)) = rest.split_once(']') else {
            continue;
        };
        let Ok(at) = NaiveDateTime::parse_from_str(stamp, "%d/%b/%Y:%H:%M:%S%.3f") else {
            continue;
        };
        let Some(status) = rest
            .split_whitespace()
            .nth(3)
            .and_then(|s| s.parse::<u16>().ok())
        else {
            continue;
        };
        if status < 500 {
            continue;
        }
        let at = at.and_local_timezone(Local).single();
        if at.is_some_and(|at| at >= from && at <= to) {
            inside += 1;
        } else {
            outside += 1;
        }
    }
    (inside, outside)
}

fn restart_postgres(command: Option<&str>) -> anyhow::Result<()> {
    let status = match command {
        Some(command) => Command::new("sh").args(["-c", command]).status()?,
        None => {
            let versions = std::fs::read_dir("/etc/postgresql")
                .context("no /etc/postgresql: pass --restart-command")?;
            let mut versions: Vec<String> = versions
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect();
            versions.sort_by_key(|v| v.parse::<u32>().unwrap_or(0));
            let version = versions.last().context("no PostgreSQL cluster")?;
            Command::new("pg_ctlcluster")
                .args([version.as_str(), "main", "restart"])
                .status()?
        }
    };
    if !status.success() {
        bail!("restarting PostgreSQL failed ({status})");
    }
    Ok(())
}

fn open_fds(pid: u32) -> i64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(-1, |d| d.count() as i64)
}

fn wait_for(addr: std::net::SocketAddr, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while servers::get_status(addr, "/health") != Some(200) {
        if Instant::now() > deadline {
            bail!("the proxy on {addr} did not answer /health within {limit:?}");
        }
        // A harness polling for readiness, bounded by the deadline.
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn print_report(report: &Report) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "soak: {} min, {} requests ({:.0}/s, p99 {:.1} ms) on {}",
        report.minutes, report.requests, report.requests_per_sec, report.p99_ms, report.machine
    );
    let _ = writeln!(
        out,
        "5xx outside the restart window: {} (budget 0); inside it: {}",
        report.server_errors_outside_restart_window, report.server_errors_in_restart_window
    );
    for r in &report.replicas {
        let _ = writeln!(
            out,
            "{}: RSS {:.1} MB after warm-up -> {:.1} MB at the end ({:+.1} %, budget +15 %); fds {} -> {}",
            r.name,
            r.rss_after_warmup_mb,
            r.rss_at_end_mb,
            r.rss_drift * 100.0,
            r.fds_first,
            r.fds_last
        );
    }
    let _ = writeln!(out, "{}", if report.passed { "PASSED" } else { "FAILED" });
}

/// A child process killed when dropped (or stopped earlier).
struct Guard(Child);

impl Guard {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}
