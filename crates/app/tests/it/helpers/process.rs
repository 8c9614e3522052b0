//! A real `app serve` process, for what only a process shows: its signals and its log.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::Duration,
};

pub struct ServeProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    lines: mpsc::Receiver<String>,
    /// What the process has logged so far (stdout and stderr, interleaved).
    pub log: Vec<String>,
    /// Its working directory, removed when the test is done with it.
    _dir: tempfile::TempDir,
}

/// Starts `app serve` on a free port against `database_url` and waits until it listens.
pub fn serve_process(database_url: &str, extra: &[(&str, &str)]) -> ServeProcess {
    serve_process_at(&format!("127.0.0.1:{}", free_port()), database_url, extra)
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `app serve` on `addr` (a replica coming back on its port) and waits until it listens.
pub fn serve_process_at(addr: &str, database_url: &str, extra: &[(&str, &str)]) -> ServeProcess {
    let dir = tempfile::tempdir().unwrap();
    let templates = super::workspace_path("templates");
    let statics = super::workspace_path("static");
    let mut child = Command::new(env!("CARGO_BIN_EXE_app"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .envs([
            ("APP_ENV", "test"),
            ("APP_ADDR", addr),
            ("DATABASE_URL", database_url),
            ("APP_TEMPLATES_DIR", templates.to_str().unwrap()),
            ("APP_STATIC_DIR", statics.to_str().unwrap()),
            ("APP_TODOS_API_URL", "http://127.0.0.1:9"), // [demo:todos]
        ])
        .envs(extra.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = lines_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains("listening on")) {
        let line = lines.recv_timeout(Duration::from_secs(60));
        log.push(line.expect("the server starts and says where it listens"));
    }
    ServeProcess {
        child,
        address: format!("http://{addr}"),
        lines,
        log,
        _dir: dir,
    }
}

impl ServeProcess {
    /// The process id (to kill it when a test fails halfway).
    #[allow(dead_code, reason = "the stack tests use it")]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process logged so far (a failing test shows it; `wait` then returns the rest).
    #[allow(dead_code, reason = "the stack tests use it")]
    pub fn log_so_far(&self) -> Vec<String> {
        self.log
            .iter()
            .cloned()
            .chain(self.lines.try_iter())
            .collect()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the process to exit (at most `limit`, else it is killed and the test fails);
    /// returns its status and its whole log.
    pub async fn wait(self, limit: Duration) -> (ExitStatus, String) {
        let Self {
            mut child,
            lines,
            mut log,
            _dir,
            ..
        } = self;
        let pid = child.id();
        let waited =
            tokio::time::timeout(limit, tokio::task::spawn_blocking(move || child.wait())).await;
        let Ok(status) = waited else {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("the process did not exit within {limit:?}");
        };
        let status = status.unwrap().unwrap();
        // The process is gone: its pipes reach their end, and the readers stop.
        log.extend(lines.iter());
        (status, log.join("\n"))
    }
}
