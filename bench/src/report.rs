//! What a run found: rows per endpoint and server, process figures, budgets; as markdown and JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::{
    jobs::JobsResult,
    memory::{LoginMemory, SocketMemory},
    upload::UploadResult,
    wrk::Outcome,
};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub endpoint: String,
    /// `app` or `bare`.
    pub server: String,
    pub connections: u32,
    /// Measured runs; the figures are those of the median run (by requests/s).
    pub runs: u32,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The server's highest resident memory sampled during this row, MiB.
    pub peak_rss_mb: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    pub name: String,
    pub target: String,
    pub actual: String,
    pub pass: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub started_at: String,
    pub machine: String,
    pub seconds_per_row: u64,
    pub warmup_seconds: u64,
    pub wrk_threads: u32,
    pub products_seeded: u64,
    /// `--app-env` settings the app ran with, `KEY=VALUE`.
    pub app_env: Vec<String>,
    pub seed_seconds: f64,
    /// Process start → first 200 on `/health`, database already migrated; every sample, ms.
    pub cold_start_ms: Vec<f64>,
    pub idle_rss_mb: f64,
    /// The app's peak resident memory over the whole round (`VmHWM`), MiB.
    pub peak_rss_mb: f64,
    pub rows: Vec<Row>,
    /// The background-jobs row, when it ran.
    pub jobs: Option<JobsResult>,
    /// The 200 MB upload row, when it ran.
    pub upload: Option<UploadResult>,
    /// The sign-in memory row, when it ran.
    pub logins: Option<LoginMemory>,
    /// The idle WebSocket memory row, when it ran.
    pub sockets: Option<SocketMemory>,
    /// The first `GET /api/products/stats` after the app started (the report computed while the
    /// request waits), ms; when the report row ran.
    pub report_cold_ms: Option<f64>,
    pub budgets: Vec<Budget>,
}

impl Round {
    pub fn cold_start_median_ms(&self) -> f64 {
        let mut samples = self.cold_start_ms.clone();
        samples.sort_by(f64::total_cmp);
        samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn row(&self, endpoint: &str, server: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.endpoint == endpoint && r.server == server)
    }

    /// Ours ÷ bare requests per second for an endpoint both serve.
    pub fn ratio(&self, endpoint: &str) -> Option<f64> {
        let ours = self.row(endpoint, "app")?.outcome.requests_per_sec;
        let bare = self.row(endpoint, "bare")?.outcome.requests_per_sec;
        (bare > 0.0).then(|| ours / bare)
    }

    /// Checks the budgets of the bench issue and records them.
    pub fn check_budgets(&mut self) {
        let mut budgets = Vec::new();
        for (endpoint, min) in [("GET /health", 0.80), (crate::loads::POINT_READ, 0.60)] {
            // A row this run left out (`--only`, `--scale`) has no budget to meet.
            if self.row(endpoint, "app").is_none() {
                continue;
            }
            let ratio = self.ratio(endpoint);
            budgets.push(Budget {
                name: format!("{endpoint}: app ÷ bare req/s"),
                target: format!("≥ {:.0} %", min * 100.0),
                actual: ratio.map_or("n/a".into(), |r| format!("{:.1} %", r * 100.0)),
                pass: ratio.is_some_and(|r| r >= min),
            });
        }
        // The drivers' own ceilings for point reads: rusqlite inline on SQLite, tokio-postgres
        // with prepared statements on PostgreSQL.
        let point = crate::loads::POINT_READ;
        for (server, label, min) in [
            ("bare-rusqlite", "bare rusqlite", 0.50),
            ("bare-tokio-postgres", "bare tokio-postgres", 0.70),
        ] {
            if let (Some(ours), Some(ceiling)) = (self.row(point, "app"), self.row(point, server)) {
                let ratio = ours.outcome.requests_per_sec
                    / ceiling.outcome.requests_per_sec.max(f64::MIN_POSITIVE);
                budgets.push(Budget {
                    name: format!("{point}: app ÷ {label} req/s"),
                    target: format!("≥ {:.0} %", min * 100.0),
                    actual: format!("{:.1} %", ratio * 100.0),
                    pass: ratio >= min,
                });
            }
        }
        if let Some(row) = self.row(crate::loads::FAN_OUT, "app") {
            let o = row.outcome;
            for (name, target, actual, pass) in [
                (
                    "fan-out p50 (one upstream round trip)",
                    "≤ 55 ms",
                    format!("{:.1} ms", o.p50_ms),
                    o.p50_ms <= 55.0,
                ),
                (
                    "fan-out p99",
                    "≤ 80 ms",
                    format!("{:.1} ms", o.p99_ms),
                    o.p99_ms <= 80.0,
                ),
                (
                    "fan-out req/s (90 % of the 256 / 0.05 s bound)",
                    "≥ 4,600",
                    format!("{:.0}", o.requests_per_sec),
                    o.requests_per_sec >= 4600.0,
                ),
            ] {
                budgets.push(Budget {
                    name: name.into(),
                    target: target.into(),
                    actual,
                    pass,
                });
            }
        }
        if let Some(jobs) = &self.jobs {
            let min = if self.backend == "postgres" {
                5000.0
            } else {
                3000.0
            };
            budgets.push(Budget {
                name: "jobs: no-op jobs/s, enqueue to done".into(),
                target: format!("≥ {min:.0}"),
                actual: format!("{:.0}", jobs.jobs_per_sec),
                pass: jobs.jobs_per_sec >= min,
            });
            budgets.push(Budget {
                name: "jobs: enqueue → start p50, idle".into(),
                target: "≤ 10 ms".into(),
                actual: format!("{:.2} ms", jobs.start_p50_ms),
                pass: jobs.start_p50_ms <= 10.0,
            });
        }
        if let Some(upload) = &self.upload {
            budgets.push(Budget {
                name: format!("upload {} MB: server RSS growth", upload.bytes / 1_000_000),
                target: "< 20 MB".into(),
                actual: format!("{:.1} MB", upload.rss_growth_mb),
                pass: upload.rss_growth_mb < 20.0,
            });
        }
        if let Some(logins) = &self.logins {
            budgets.push(Budget {
                name: format!(
                    "{} sign-ins at {} at once: server RSS after",
                    logins.logins, logins.concurrency
                ),
                target: "≤ 64 MB".into(),
                actual: format!("{:.1} MB", logins.rss_after_mb),
                pass: logins.rss_after_mb <= 64.0 && logins.unexpected == 0,
            });
        }
        if let Some(sockets) = &self.sockets {
            budgets.push(Budget {
                name: format!("{} idle WebSockets: memory each", sockets.sockets),
                target: "≤ 16 KB".into(),
                actual: format!("{:.1} KB", sockets.kb_per_socket),
                pass: sockets.kb_per_socket <= 16.0,
            });
        }
        let errors: u64 = self.rows.iter().map(|r| r.outcome.errors()).sum();
        budgets.push(Budget {
            name: "errors, every endpoint".into(),
            target: "0".into(),
            actual: errors.to_string(),
            pass: errors == 0,
        });
        budgets.push(Budget {
            name: "idle RSS".into(),
            target: "≤ 20 MB".into(),
            actual: format!("{:.1} MB", self.idle_rss_mb),
            pass: self.idle_rss_mb <= 20.0,
        });
        budgets.push(Budget {
            name: "peak RSS under load".into(),
            target: "≤ 64 MB".into(),
            actual: format!("{:.1} MB", self.peak_rss_mb),
            pass: self.peak_rss_mb <= 64.0,
        });
        if !self.cold_start_ms.is_empty() {
            let cold = self.cold_start_median_ms();
            budgets.push(Budget {
                name: "cold start (median)".into(),
                target: "≤ 50 ms".into(),
                actual: format!("{cold:.1} ms"),
                pass: cold <= 50.0,
            });
        }
        self.budgets = budgets;
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {} — {}\n", self.backend, self.started_at);
        let _ = writeln!(
            out,
            "Machine: {}. wrk ({} threads) and the servers share this machine, so the ratios to the \
             bare baseline are the figures that count. {} s per row after a {} s warm-up.\n",
            self.machine, self.wrk_threads, self.seconds_per_row, self.warmup_seconds
        );
        if !self.app_env.is_empty() {
            let _ = writeln!(out, "App environment: `{}`.\n", self.app_env.join(" "));
        }
        out.push_str("| Endpoint | Server | Conns | Req/s | p50 ms | p99 ms | Errors | Peak RSS MB | app ÷ bare |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for row in &self.rows {
            let ratio = match (row.server.as_str(), self.ratio(&row.endpoint)) {
                ("app", Some(r)) => format!("{:.0} %", r * 100.0),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {} |",
                row.endpoint,
                row.server,
                row.connections,
                row.outcome.requests_per_sec,
                row.outcome.p50_ms,
                row.outcome.p99_ms,
                row.outcome.errors(),
                row.peak_rss_mb,
                ratio
            );
        }
        // `--scale` takes no cold-start samples: say nothing rather than "NaN ms".
        let cold_start = if self.cold_start_ms.is_empty() {
            String::new()
        } else {
            format!(
                "cold start {:.1} ms (median of {}) · ",
                self.cold_start_median_ms(),
                self.cold_start_ms.len()
            )
        };
        let _ = writeln!(
            out,
            "\nIdle RSS {:.1} MB · peak RSS {:.1} MB · {cold_start}seeding {} products {:.2} s\n",
            self.idle_rss_mb, self.peak_rss_mb, self.products_seeded, self.seed_seconds
        );
        if let Some(jobs) = &self.jobs {
            let _ = writeln!(
                out,
                "Jobs: {} no-op jobs, {} workers × {} slots, enqueue to done in {:.2} s = {:.0} jobs/s · \
                 enqueue → start on idle workers p50 {:.2} ms, p99 {:.2} ms ({} samples)\n",
                jobs.jobs,
                jobs.workers,
                jobs.concurrency,
                jobs.seconds,
                jobs.jobs_per_sec,
                jobs.start_p50_ms,
                jobs.start_p99_ms,
                jobs.latency_samples
            );
        }
        if let Some(upload) = &self.upload {
            let _ = writeln!(
                out,
                "Upload: {:.0} MB image in {:.2} s ({:.0} MB/s), server RSS {:.1} MB before, peak {:.1} MB \
                 during (+{:.1} MB)\n",
                upload.bytes as f64 / 1_000_000.0,
                upload.seconds,
                upload.mb_per_sec,
                upload.rss_before_mb,
                upload.rss_peak_mb,
                upload.rss_growth_mb
            );
        }
        if let Some(logins) = &self.logins {
            let _ = writeln!(
                out,
                "Sign-ins: {} for unknown addresses, {} at once, in {:.2} s ({} unexpected answers); \
                 server RSS {:.1} MB before, peak {:.1} MB, {:.1} MB after\n",
                logins.logins,
                logins.concurrency,
                logins.seconds,
                logins.unexpected,
                logins.rss_before_mb,
                logins.rss_peak_mb,
                logins.rss_after_mb
            );
        }
        if let Some(sockets) = &self.sockets {
            let _ = writeln!(
                out,
                "Idle WebSockets: {} chat connections ({} a room); server RSS {:.1} MB before, {:.1} MB \
                 with them open ({:.1} KB each), {:.1} MB after they closed, {:.1} MB with as many \
                 open again\n",
                sockets.sockets,
                sockets.per_room,
                sockets.rss_before_mb,
                sockets.rss_open_mb,
                sockets.kb_per_socket,
                sockets.rss_after_close_mb,
                sockets.rss_second_wave_mb
            );
        }
        out.push_str("| Budget | Target | Actual | |\n|---|---|---|---|\n");
        for b in &self.budgets {
            let verdict = if b.pass { "PASS" } else { "**FAIL**" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                b.name, b.target, b.actual, verdict
            );
        }
        out
    }
}

/// "AMD EPYC, 2 cores, 23.4 GiB RAM, Linux 6.1.0" from /proc.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")?
                    .split_whitespace()
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {mem_gib:.1} GiB RAM, Linux {}",
        kernel.trim()
    )
}
