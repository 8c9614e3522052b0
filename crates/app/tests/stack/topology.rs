//! The topology: HAProxy with the shipped config (through `scripts/stack.sh haproxy-config`),
//! two `app serve` replicas with jobs off, two `app worker`s, one PostgreSQL database, files in
//! an S3 bucket (moto) and an SMTP sink the test holds. Every process is the real binary, with a
//! data folder of its own (nothing is shared but the database and the bucket); the test talks
//! to the proxy.

use std::{
    process::{Child, Command},
    sync::{Arc, Mutex},
    time::Duration,
};

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use migration::{Migrator, MigratorTrait};

use crate::helpers::{
    ServeProcess, TestDatabase, free_port, serve_process_at, test_config, workspace_path,
};

/// The schedule the workers find missed: the engine's hourly one.
const MISSED: &str = "purge_sessions";

/// How long anything in the stack may take to come up or settle.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct Replica {
    pub process: Option<ServeProcess>,
    pub addr: String,
    pub metrics: String,
}

pub struct Stack {
    /// `http://127.0.0.1:PORT`, the proxy: the only address the tests drive.
    pub proxy: String,
    /// The bucket's server and name.
    pub s3: storage::moto::Moto,
    pub bucket: String,
    pub db: DatabaseConnection,
    pub replicas: Vec<Replica>,
    pub mail: Sink,
    database_url: String,
    workers: Vec<Child>,
    haproxy: Child,
    data: tempfile::TempDir,
    _database: TestDatabase,
}

impl Stack {
    pub async fn start() -> Self {
        assert!(
            std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")),
            "the stack runs on PostgreSQL: set TEST_DATABASE_URL (just stack-test does)"
        );
        app::install_crypto_provider();
        let database = TestDatabase::create().await;
        let db = app::commands::connect(&test_config(&database.url, &[]))
            .await
            .unwrap();
        Migrator::up(&db, None).await.unwrap();
        let mail = Sink::start().await;
        let data = tempfile::tempdir().unwrap();
        let s3 = storage::moto::Moto::start().await;
        let bucket = s3.bucket().await;
        let mut stack = Self {
            proxy: String::new(),
            s3,
            bucket,
            db,
            replicas: Vec::new(),
            mail,
            database_url: database.url.clone(),
            workers: Vec::new(),
            haproxy: Command::new("true").spawn().unwrap(),
            data,
            _database: database,
        };
        for _ in 0..2 {
            let addr = format!("127.0.0.1:{}", free_port());
            let metrics = format!("127.0.0.1:{}", free_port());
            let mut replica = Replica {
                process: None,
                addr,
                metrics,
            };
            replica.process = Some(stack.serve(&replica));
            stack.replicas.push(replica);
        }
        // A tick the workers missed while down: both see it as they start, one fires it.
        stack.seed_missed_tick().await;
        for n in 0..2 {
            stack.workers.push(stack.worker(n));
        }
        let port = free_port();
        stack.proxy = format!("http://127.0.0.1:{port}");
        stack.haproxy = stack.start_proxy(port);
        stack.wait_until_both_serve().await;
        stack
    }

    /// The environment of one process of the stack, `name`: its own data folder, and what they
    /// all share (the database, the bucket, the mail server).
    fn env(&self, name: &str) -> Vec<(&'static str, String)> {
        let data = self.data.path().join(name);
        vec![
            ("APP_MIGRATE_ON_START", "false".into()),
            ("APP_DATA_DIR", data.display().to_string()),
            ("APP_STORAGE", "s3".into()),
            ("APP_S3_BUCKET", self.bucket.clone()),
            ("APP_S3_ENDPOINT", self.s3.endpoint()),
            ("APP_S3_ACCESS_KEY_ID", "test-key".into()),
            ("APP_S3_SECRET_ACCESS_KEY", "test-secret".into()),
            ("APP_MAILER", format!("smtp://{}", self.mail.addr)),
            ("RUST_LOG", "warn".into()),
        ]
    }

    fn serve(&self, replica: &Replica) -> ServeProcess {
        let mut env = self.env(&format!("app-{}", replica.addr.replace([':', '.'], "-")));
        env.extend([
            ("APP_JOBS_IN_PROCESS", "false".into()),
            ("APP_TRUSTED_PROXIES", "127.0.0.1".into()),
            // Longer than the proxy takes to see /ready fail (fastinter 500 ms, fall 2).
            ("APP_SHUTDOWN_DELAY_SECS", "3".into()),
            ("APP_METRICS_ADDR", replica.metrics.clone()),
            ("RUST_LOG", "info".into()),
        ]);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        serve_process_at(&replica.addr, &self.database_url, &env)
    }

    fn worker(&self, n: usize) -> Child {
        let env = self.env(&format!("worker-{n}"));
        let log = std::fs::File::create(self.worker_log(n)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_app"))
            .arg("worker")
            .current_dir(self.data.path())
            .env_clear()
            .env("APP_ENV", "test")
            .env("DATABASE_URL", &self.database_url)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("APP_JOBS_CONCURRENCY", if n == 0 { "4" } else { "8" })
            .env("RUST_LOG", "warn,jobs::schedule=debug")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("app worker starts")
    }

    fn start_proxy(&self, port: u16) -> Child {
        let script = workspace_path("scripts/stack.sh");
        let mut args = vec![
            script.display().to_string(),
            "haproxy-config".into(),
            port.to_string(),
        ];
        args.extend(self.replicas.iter().map(|r| r.addr.clone()));
        let config = Command::new("sh").args(&args).output().unwrap();
        assert!(config.status.success(), "{config:?}");
        let path = self.data.path().join("haproxy.cfg");
        std::fs::write(&path, &config.stdout).unwrap();
        let log = std::fs::File::create(self.data.path().join("haproxy.log")).unwrap();
        Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&path)
            .env("CHECK_HOST", "localhost")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("haproxy is installed (just stack-test installs it: scripts/stack.sh setup)")
    }

    /// Until the proxy answers and has sent a request to each replica (their `/ready` checks
    /// count: the proxy checks every replica every 2 s).
    async fn wait_until_both_serve(&self) {
        let client = crate::client().build().unwrap();
        tokio::time::timeout(PATIENCE, async {
            loop {
                let ready = client.get(format!("{}/ready", self.proxy)).send().await;
                let mut up = ready.is_ok_and(|r| r.status().is_success());
                for n in 0..self.replicas.len() {
                    let served = self.counted(n, "/ready", "200").await;
                    up = up && served >= 2.0;
                }
                if up {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .unwrap_or_else(|_| {
            let log = std::fs::read_to_string(self.data.path().join("haproxy.log"));
            panic!(
                "the proxy did not see both replicas up; its log:\n{}\nthe replicas' warnings:\n{}",
                log.unwrap_or_default(),
                self.replica_warnings()
            )
        });
    }

    fn worker_log(&self, n: usize) -> std::path::PathBuf {
        self.data.path().join(format!("worker-{n}.log"))
    }

    /// Marks the engine's hourly schedule as last fired two days ago.
    async fn seed_missed_tick(&self) {
        let two_days_ago = chrono::Utc::now() - chrono::TimeDelta::days(2);
        let seeded = self
            .db
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Postgres,
                "INSERT INTO job_schedules (name, last_tick_at) VALUES ($1, $2)",
                [MISSED.into(), two_days_ago.into()],
            ))
            .await
            .unwrap();
        assert_eq!(seeded.rows_affected(), 1);
    }

    /// Both workers looked at the missed tick as they started: one fired it, the other found it
    /// fired, and the queue holds one job for it.
    pub async fn missed_tick_fired_once(&self) {
        let logs = tokio::time::timeout(PATIENCE, async {
            loop {
                let logs: Vec<String> = (0..self.workers.len())
                    .map(|n| std::fs::read_to_string(self.worker_log(n)).unwrap_or_default())
                    .collect();
                if logs.iter().all(|log| log.contains(MISSED)) {
                    break logs;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("both workers looked at the schedule");
        let lines: Vec<&str> = logs
            .iter()
            .flat_map(|log| log.lines())
            .filter(|line| line.contains(MISSED))
            .collect();
        let fired = lines
            .iter()
            .filter(|l| l.contains("scheduled job enqueued"))
            .count();
        let found = lines
            .iter()
            .filter(|l| l.contains("tick already fired"))
            .count();
        assert_eq!((fired, found), (1, 1), "{lines:#?}");
        let queue = jobs::Queue::new(self.db.clone(), db::Hub::new(self.db.clone(), 16));
        let filter = jobs::ListFilter {
            kind: Some(MISSED.into()),
            limit: 10,
            ..jobs::ListFilter::default()
        };
        assert_eq!(queue.list(&filter).await.unwrap().len(), 1, "one job");
    }

    /// The warnings and errors the replicas logged so far, for a failure's message.
    pub fn replica_warnings(&self) -> String {
        let mut out = String::new();
        for (n, replica) in self.replicas.iter().enumerate() {
            let Some(process) = &replica.process else {
                continue;
            };
            for line in process.log_so_far() {
                if line.contains("WARN") || line.contains("ERROR") {
                    out.push_str(&format!("replica {n}: {line}\n"));
                }
            }
        }
        out
    }

    /// Replica `n`'s `/metrics`.
    pub async fn metrics(&self, n: usize) -> String {
        let url = format!("http://{}/metrics", self.replicas[n].metrics);
        let client = crate::client().build().unwrap();
        let response = client.get(&url).send().await;
        let response = response.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        response.text().await.unwrap()
    }

    /// How many `GET route` requests replica `n` answered with `status`.
    pub async fn counted(&self, n: usize, route: &str, status: &str) -> f64 {
        let text = self.metrics(n).await;
        let (route, status) = (format!("route=\"{route}\""), format!("status=\"{status}\""));
        let labels = [route.as_str(), status.as_str(), "method=\"GET\""];
        crate::helpers::sample(&text, "http_requests_total", &labels).unwrap_or(0.0)
    }

    /// SIGTERM to replica `n`, wait for it to exit cleanly, start it again on its port, and
    /// wait until the proxy sends it requests again.
    pub async fn restart(&mut self, n: usize) {
        let process = self.replicas[n].process.take().unwrap();
        process.terminate();
        let (status, log) = process.wait(PATIENCE).await;
        assert!(status.success(), "replica {n} stopped cleanly: {log}");
        let process = self.serve(&self.replicas[n]);
        self.replicas[n].process = Some(process);
        self.wait_until_both_serve().await;
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let mut pids: Vec<u32> = self.workers.iter().map(Child::id).collect();
        pids.push(self.haproxy.id());
        pids.extend(
            self.replicas
                .iter()
                .filter_map(|r| r.process.as_ref().map(|p| p.pid())),
        );
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        for child in self.workers.iter_mut().chain([&mut self.haproxy]) {
            let _ = child.wait();
        }
    }
}

/// An SMTP server that accepts every message and keeps it.
pub struct Sink {
    pub addr: String,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&messages);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, Arc::clone(&kept)));
            }
        });
        Self { addr, messages }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

/// Enough SMTP for lettre: greet, accept every command, keep each DATA.
async fn converse(stream: TcpStream, kept: Arc<Mutex<Vec<String>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if command.starts_with("DATA") {
            if write.write_all(b"354 go on\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                data.push_str(&line);
                data.push('\n');
            }
            kept.lock().unwrap().push(data);
            b"250 kept\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
