//! Driving `wrk`: a Lua script per kind of request (random ids, random paths such as list pages
//! after random cursors; JSON bodies),
//! whose `done` hook prints one JSON line we parse instead of wrk's human-readable report.

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// What each request of a run looks like.
#[derive(Debug, Clone)]
pub enum Requests {
    /// The same path every time.
    Fixed(String),
    /// `prefix` + a random integer in `low..=high` + `suffix`.
    RandomInt {
        prefix: String,
        low: u64,
        high: u64,
        suffix: String,
    },
    /// One of `paths`, picked at random (e.g. list pages after random cursors).
    RandomPath(Vec<String>),
    /// POST `body` as JSON, authenticated with an API token (writes need a user).
    PostJson {
        path: String,
        body: String,
        bearer: String,
    },
}

impl Requests {
    fn lua_request(&self) -> String {
        match self {
            Self::Fixed(path) => format!(
                "request = function() return wrk.format(\"GET\", {}) end",
                lua_str(path)
            ),
            Self::RandomInt {
                prefix,
                low,
                high,
                suffix,
            } => format!(
                "request = function() return wrk.format(\"GET\", {} .. math.random({low}, {high}) .. {}) end",
                lua_str(prefix),
                lua_str(suffix)
            ),
            Self::RandomPath(paths) => {
                let table: Vec<String> = paths.iter().map(|p| lua_str(p)).collect();
                format!(
                    "local paths = {{{}}}\nrequest = function() return wrk.format(\"GET\", paths[math.random(1, #paths)]) end",
                    table.join(",")
                )
            }
            Self::PostJson { path, body, bearer } => format!(
                "request = function() return wrk.format(\"POST\", {}, {{[\"Content-Type\"] = \"application/json\", [\"Authorization\"] = {}}}, {}) end",
                lua_str(path),
                lua_str(&format!("Bearer {bearer}")),
                lua_str(body)
            ),
        }
    }

    /// The full script: per-thread random seeds, the request generator, and a JSON summary.
    pub fn script(&self) -> String {
        script(&self.lua_request())
    }
}

/// A wrk script around `request` (Lua defining `request = function() … end`): per-thread
/// random seeds before it, and the JSON summary [`run`] reads after it.
pub fn script(request: &str) -> String {
    format!(
        r#"local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end
{request}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {{"requests":%d,"duration_us":%d,"p50_us":%.1f,"p99_us":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"#
    )
}

fn lua_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct Raw {
    requests: u64,
    duration_us: u64,
    p50_us: f64,
    p99_us: f64,
    connect: u64,
    read: u64,
    write: u64,
    status: u64,
    timeout: u64,
}

/// One measured run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Outcome {
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx/3xx responses.
    pub status_errors: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
}

impl Outcome {
    pub fn errors(&self) -> u64 {
        self.status_errors + self.socket_errors
    }
}

/// Runs wrk against `base_url` for `duration` with `connections` open connections.
pub fn run(
    base_url: &str,
    script: &Path,
    connections: u32,
    threads: u32,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let output = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--timeout")
        .arg("5s")
        .arg("-s")
        .arg(script)
        .arg(base_url)
        .output()
        .context("running wrk (install it: apt-get install wrk)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(json) = stdout.lines().find_map(|l| l.strip_prefix("BENCHJSON ")) else {
        bail!(
            "wrk printed no summary (exit {}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let raw: Raw = serde_json::from_str(json).context("parsing wrk's summary")?;
    let seconds = raw.duration_us as f64 / 1e6;
    Ok(Outcome {
        requests: raw.requests,
        requests_per_sec: if seconds > 0.0 {
            raw.requests as f64 / seconds
        } else {
            0.0
        },
        p50_ms: raw.p50_us / 1000.0,
        p99_ms: raw.p99_us / 1000.0,
        status_errors: raw.status,
        socket_errors: raw.connect + raw.read + raw.write + raw.timeout,
    })
}
