//! Starting and stopping the processes under test.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

/// A child process that is killed when dropped.
#[derive(Debug)]
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    /// Starts `command` and waits until `GET ready_path` on `addr` answers 200. Returns the server
    /// and the time from spawn to that first 200.
    pub fn start(
        name: &str,
        mut command: Command,
        addr: SocketAddr,
        ready_path: &str,
    ) -> anyhow::Result<(Self, Duration)> {
        let started = Instant::now();
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let mut server = Self {
            name: name.to_owned(),
            addr,
            child,
        };
        let deadline = started + Duration::from_secs(30);
        loop {
            if get_status(addr, ready_path) == Some(200) {
                return Ok((server, started.elapsed()));
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!("{name} exited before it was ready ({status})");
            }
            if Instant::now() > deadline {
                bail!("{name} was not ready on {addr}{ready_path} within 30 s");
            }
            // Polling for readiness: a benchmark harness, not a test, and bounded by the deadline.
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The status of a plain `GET`, or `None` when the server does not answer (yet).
pub fn get_status(addr: SocketAddr, path: &str) -> Option<u16> {
    get_status_within(addr, path, Duration::from_secs(2))
}

/// [`get_status`], waiting up to `timeout` for the response.
pub fn get_status_within(addr: SocketAddr, path: &str, timeout: Duration) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
