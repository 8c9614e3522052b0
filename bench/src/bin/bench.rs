//! `just bench`: seeds a fresh database, starts the mock upstream, the app (release build, full
//! middleware stack, request log at `warn`) and the bare baseline, drives each endpoint with wrk,
//! and reports requests/s, latency, errors and memory against the budgets; the jobs row measures
//! the job queue in-process (`bench::jobs`) before any server starts. Markdown goes to
//! stdout, JSON to `bench/results/`. With `BENCH_DATABASE_URL=postgres://...` a second round runs
//! on a fresh database on that server.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::bail;
use bench::{
    app_env::{AppEnv, parse_env_pair, run_ok},
    loads::{self, SCALE_ROWS},
    pg::create_database,
    proc_stats::{RssSampler, kb_to_mb, rss_mb, status_kb},
    report::{Round, Row, machine},
    scale::ScaleReport,
    servers::{Server, free_addr, get_status_within},
    wrk,
};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Load-test the app against a bare axum + raw sqlx baseline")]
struct Args {
    /// A few seconds per endpoint, for use while developing.
    #[arg(long)]
    quick: bool,
    /// Seconds measured per endpoint (default 10, or 3 with --quick).
    #[arg(long)]
    duration: Option<u64>,
    /// Warm-up seconds before each measured run (default 2, or 1 with --quick).
    #[arg(long)]
    warmup: Option<u64>,
    /// Products to seed.
    #[arg(long, default_value_t = 10_000)]
    products: u64,
    /// How long the mock upstream takes to answer.
    #[arg(long, default_value_t = 50)]
    upstream_delay_ms: u64,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Measured runs per server for the rows compared with the bare baseline, alternating app and
    /// bare so drift on a shared machine hits both; the median run is reported (default 3, or 1
    /// with --quick).
    #[arg(long)]
    repeats: Option<u32>,
    /// Cold-start samples.
    #[arg(long, default_value_t = 5)]
    cold_starts: u32,
    /// A PostgreSQL server for a second round (a database is created and dropped on it).
    #[arg(long, env = "BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// The product, list, page and report rows at 10,000 products and again at 1,000,000 (on
    /// each database), side by side; nothing else.
    #[arg(long)]
    scale: bool,
    /// Only run the endpoints whose name contains this (e.g. `health`).
    #[arg(long)]
    only: Option<String>,
    /// Extra environment for the app, e.g. `--app-env APP_JOBS_IN_PROCESS=false` (repeatable).
    #[arg(long, value_parser = parse_env_pair)]
    app_env: Vec<(String, String)>,
    /// Runners (workers) in the jobs row.
    #[arg(long, default_value_t = 2)]
    job_workers: usize,
    /// Idle WebSockets the memory row holds open.
    #[arg(long, default_value_t = 5_000)]
    sockets: usize,
    /// Of those, how many share a chat room (1: a room each, the most a client can cost).
    #[arg(long, default_value_t = 10)]
    sockets_per_room: usize,
    /// Where the release binaries are.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Where JSON results are written.
    #[arg(long, default_value = "bench/results")]
    out_dir: PathBuf,
}

/// The name `--only` matches for the background-jobs row.
const JOBS_ROW: &str = "jobs: no-op, enqueue to done";
/// The name `--only` matches for the upload row.
const UPLOAD_ROW: &str = "upload: 200 MB image, server memory";
/// The name `--only` matches for the sign-in memory row.
const LOGIN_ROW: &str = "memory: 200 sign-ins, 32 at once";
/// The name `--only` matches for the idle WebSocket row.
const SOCKETS_ROW: &str = "memory: idle WebSockets";

struct Plan {
    seconds: u64,
    warmup: u64,
    repeats: u32,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let plan = Plan {
        seconds: args.duration.unwrap_or(if args.quick { 3 } else { 10 }),
        warmup: args.warmup.unwrap_or(if args.quick { 1 } else { 2 }),
        repeats: args
            .repeats
            .unwrap_or(if args.quick { 1 } else { 3 })
            .max(1),
    };
    which_wrk()?;
    let root = workspace_root();
    std::fs::create_dir_all(&args.out_dir)?;
    let scratch = std::env::temp_dir().join(format!("app-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;

    let sizes: Vec<u64> = if args.scale {
        vec![10_000, 1_000_000]
    } else {
        vec![args.products]
    };
    let mut rounds = Vec::new();
    for &products in &sizes {
        let file = scratch.join(format!("bench-{products}.db"));
        let sqlite_url = format!("sqlite://{}?mode=rwc", file.display());
        let at = Target {
            backend: "sqlite",
            database_url: &sqlite_url,
            products,
        };
        rounds.push(run_round(&args, &plan, &root, &scratch, &at)?);
        let _ = std::fs::remove_file(&file);
    }
    if let Some(server) = &args.database_url {
        for &products in &sizes {
            let (url, cleanup) = create_database(server)?;
            let at = Target {
                backend: "postgres",
                database_url: &url,
                products,
            };
            let result = run_round(&args, &plan, &root, &scratch, &at);
            cleanup()?;
            rounds.push(result?);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    let mut out = std::io::stdout().lock();
    if args.scale {
        for pair in rounds.chunks(2) {
            if let [small, large] = pair {
                writeln!(out, "{}", ScaleReport::new(small, large).markdown())?;
            }
        }
    }
    for round in &rounds {
        writeln!(out, "{}", round.markdown())?;
        let stamp = round.started_at.replace([':', ' '], "-");
        let path = args.out_dir.join(format!(
            "{stamp}-{}-{}.json",
            round.backend, round.products_seeded
        ));
        std::fs::write(&path, serde_json::to_string_pretty(round)?)?;
        writeln!(out, "JSON: {}\n", path.display())?;
    }
    Ok(())
}

/// A round's database and size.
struct Target<'a> {
    backend: &'a str,
    database_url: &'a str,
    products: u64,
}

fn run_round(
    args: &Args,
    plan: &Plan,
    root: &Path,
    scratch: &Path,
    at: &Target<'_>,
) -> anyhow::Result<Round> {
    let (backend, database_url, n) = (at.backend, at.database_url, at.products);
    eprintln!("== {backend}: migrating and seeding {n} products");
    let app_bin = args.bin_dir.join("app");
    let env = AppEnv {
        root: root.to_owned(),
        database_url: database_url.to_owned(),
        upstream: String::new(),
        extra: args.app_env.clone(),
    };
    run_ok(env.command(&app_bin).args(["migrate", "up"]))?;
    let seeding = Instant::now();
    run_ok(
        env.command(&app_bin)
            .args(["seed", "--products", &n.to_string()]),
    )?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    let token = bench::app_env::api_token(&env, &app_bin)?;

    let wants = |name: &str| {
        args.only.as_deref().is_none_or(|only| name.contains(only))
            && (!args.scale || SCALE_ROWS.contains(&name))
    };
    let jobs = if wants(JOBS_ROW) {
        eprintln!("== {backend}: {JOBS_ROW}");
        let (count, samples) = if args.quick {
            (5_000, 50)
        } else {
            (20_000, 200)
        };
        Some(bench::jobs::run(
            database_url,
            count,
            samples,
            args.job_workers,
        )?)
    } else {
        None
    };

    let upstream_addr = free_addr()?;
    let mut mock = Command::new(args.bin_dir.join("mock-upstream"));
    mock.args([
        "--addr",
        &upstream_addr.to_string(),
        "--delay-ms",
        &args.upstream_delay_ms.to_string(),
    ]);
    let (_upstream, _) = Server::start("mock-upstream", mock, upstream_addr, "/todos/1")?;
    let env = AppEnv {
        upstream: format!("http://{upstream_addr}"),
        ..env
    };

    let cold_starts = if args.scale { 0 } else { args.cold_starts };
    eprintln!("== {backend}: cold start x{cold_starts}");
    let mut cold_start_ms = Vec::new();
    for _ in 0..cold_starts {
        let addr = free_addr()?;
        let (server, ready_after) =
            Server::start("app", env.serve(&app_bin, addr), addr, "/health")?;
        cold_start_ms.push(ready_after.as_secs_f64() * 1000.0);
        drop(server);
    }

    let app_addr = free_addr()?;
    let (app, _) = Server::start("app", env.serve(&app_bin, app_addr), app_addr, "/health")?;
    let idle_rss_mb = rss_mb(app.pid()).unwrap_or(f64::NAN);
    let (bare, _) = start_bare(&args.bin_dir, "bare-baseline", database_url, None)?;
    // The driver's own ceiling for point reads: rusqlite inline on the worker thread (SQLite),
    // tokio-postgres with prepared statements (PostgreSQL).
    let (name, flag) = if backend == "sqlite" {
        ("bare-rusqlite", "--rusqlite")
    } else {
        ("bare-tokio-postgres", "--tokio-postgres")
    };
    let (driver_ceiling, _) = start_bare(&args.bin_dir, name, database_url, Some(flag))?;

    // The first report after a start is computed while the request waits: how long that takes
    // at this size (later requests are served from memory).
    let report_cold_ms = if wants(loads::STATS) {
        let started = Instant::now();
        let status = get_status_within(app_addr, "/api/products/stats", Duration::from_secs(60));
        (status == Some(200)).then(|| started.elapsed().as_secs_f64() * 1000.0)
    } else {
        None
    };

    let started_at = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let mut rows = Vec::new();
    let selected = loads::all(n, &token)
        .into_iter()
        .filter(|load| wants(load.name));
    for load in selected {
        let (endpoint, requests, connections, with_bare) =
            (load.name, load.requests, load.connections, load.with_bare);
        let script = scratch.join("load.lua");
        std::fs::write(&script, requests.script())?;
        let mut targets: Vec<&Server> = if with_bare {
            vec![&app, &bare]
        } else {
            vec![&app]
        };
        if endpoint == loads::POINT_READ {
            targets.push(&driver_ceiling);
        }
        let repeats = if with_bare { plan.repeats } else { 1 };
        for server in &targets {
            eprintln!("== {backend}: {endpoint}: warm-up on {}", server.name);
            wrk::run(
                &server.base_url(),
                &script,
                connections,
                args.threads,
                Duration::from_secs(plan.warmup),
            )?;
        }
        let mut runs: Vec<Vec<(wrk::Outcome, f64)>> = vec![Vec::new(); targets.len()];
        for round in 1..=repeats {
            for (i, server) in targets.iter().enumerate() {
                eprintln!(
                    "== {backend}: {endpoint} on {} ({connections} connections), run {round}/{repeats}",
                    server.name
                );
                let sampler = RssSampler::start(server.pid());
                let outcome = wrk::run(
                    &server.base_url(),
                    &script,
                    connections,
                    args.threads,
                    Duration::from_secs(plan.seconds),
                )?;
                runs[i].push((outcome, sampler.finish()));
            }
        }
        for (server, mut runs) in targets.iter().zip(runs) {
            runs.sort_by(|a, b| a.0.requests_per_sec.total_cmp(&b.0.requests_per_sec));
            let peak = runs.iter().map(|(_, rss)| *rss).fold(0.0, f64::max);
            let (mut outcome, _) = runs[runs.len() / 2];
            // Errors from every run count, not only the median run's.
            outcome.status_errors = runs.iter().map(|(o, _)| o.status_errors).sum();
            outcome.socket_errors = runs.iter().map(|(o, _)| o.socket_errors).sum();
            rows.push(Row {
                endpoint: endpoint.to_owned(),
                server: match server.name.as_str() {
                    "bare-baseline" => "bare".into(),
                    name => name.to_owned(),
                },
                connections,
                runs: repeats,
                outcome,
                peak_rss_mb: peak,
            });
        }
    }
    let peak_rss_mb = status_kb(app.pid(), "VmHWM").map_or(f64::NAN, kb_to_mb);
    drop(app);
    drop(bare);
    drop(driver_ceiling);
    let upload = if wants(UPLOAD_ROW) {
        eprintln!("== {backend}: {UPLOAD_ROW}");
        Some(bench::upload::row(
            &env, &app_bin, scratch, backend, &token,
        )?)
    } else {
        None
    };
    let logins = if wants(LOGIN_ROW) {
        eprintln!("== {backend}: {LOGIN_ROW}");
        Some(bench::memory::login_row(&env, &app_bin)?)
    } else {
        None
    };
    let sockets = if wants(SOCKETS_ROW) {
        eprintln!("== {backend}: {SOCKETS_ROW}");
        Some(bench::memory::socket_row(
            &env,
            &app_bin,
            args.sockets,
            args.sockets_per_room,
        )?)
    } else {
        None
    };

    let mut round = Round {
        backend: backend.to_owned(),
        started_at,
        machine: machine(),
        seconds_per_row: plan.seconds,
        warmup_seconds: plan.warmup,
        wrk_threads: args.threads,
        products_seeded: n,
        app_env: args
            .app_env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        seed_seconds,
        cold_start_ms,
        idle_rss_mb,
        peak_rss_mb,
        rows,
        jobs,
        upload,
        logins,
        sockets,
        report_cold_ms,
        budgets: Vec::new(),
    };
    round.check_budgets();
    Ok(round)
}

/// Starts `bare-baseline` on a free port against `database_url`, with `flag` choosing the driver
/// (none: raw sqlx).
fn start_bare(
    bin_dir: &Path,
    name: &str,
    database_url: &str,
    flag: Option<&str>,
) -> anyhow::Result<(Server, Duration)> {
    let addr = free_addr()?;
    let mut command = Command::new(bin_dir.join("bare-baseline"));
    command.args(["--addr", &addr.to_string(), "--database-url", database_url]);
    command.args(flag);
    Server::start(name, command, addr, "/health")
}

fn which_wrk() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!(
            "wrk is not installed: `apt-get install wrk` (just bench installs it when it can)"
        ),
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
