//! The memory rows of `just bench`: what a client can make the server hold.
//!
//! - Sign-ins: 200 of them, 32 at a time, for unknown addresses (no account needed: an unknown
//!   address is hashed too, so both cost the same). Each Argon2 hash works in 19 MiB; the row
//!   reports the server's resident memory before, at its peak and after (budget: ≤ 64 MB after).
//! - Idle WebSockets: chat connections (10 per room) opened and held; the resident memory they
//!   add per connection (budget: ≤ 16 KB), what is left once they have closed (glibc keeps freed
//!   memory for reuse), and the memory with as many opened again (reused, not added).

use std::{
    io::{Read, Write},
    net::TcpStream,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    app_env::AppEnv,
    proc_stats::{RssSampler, rss_mb},
    servers::{Server, free_addr},
};

#[derive(Debug, Clone, Serialize)]
pub struct LoginMemory {
    pub logins: usize,
    pub concurrency: usize,
    pub seconds: f64,
    /// Answers other than 401 (the addresses are unknown, so every sign-in is refused).
    pub unexpected: usize,
    pub rss_before_mb: f64,
    pub rss_peak_mb: f64,
    pub rss_after_mb: f64,
}

/// Sign-ins on an app started for the row (limits raised: this measures hashing, not 429s).
pub fn login_row(env: &AppEnv, app_bin: &std::path::Path) -> anyhow::Result<LoginMemory> {
    const LOGINS: usize = 200;
    const CONCURRENCY: usize = 32;
    let mut env = env.clone();
    env.extra.extend([
        ("APP_AUTH_RATE_LIMIT".to_owned(), "1000000".to_owned()),
        ("APP_JOBS_IN_PROCESS".to_owned(), "false".to_owned()),
    ]);
    let addr = free_addr()?;
    let (server, _) = Server::start("app", env.serve(app_bin, addr), addr, "/health")?;
    let rss_before_mb = rss_mb(server.pid()).unwrap_or(f64::NAN);
    let sampler = RssSampler::start(server.pid());
    let next = Arc::new(AtomicUsize::new(0));
    let unexpected = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (next, unexpected) = (Arc::clone(&next), Arc::clone(&unexpected));
            std::thread::spawn(move || {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= LOGINS {
                        break;
                    }
                    if login(addr, n) != Some(401) {
                        unexpected.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for client in clients {
        let _ = client.join();
    }
    let seconds = started.elapsed().as_secs_f64();
    let rss_peak_mb = sampler.finish();
    let rss_after_mb = rss_mb(server.pid()).unwrap_or(f64::NAN);
    Ok(LoginMemory {
        logins: LOGINS,
        concurrency: CONCURRENCY,
        seconds,
        unexpected: unexpected.load(Ordering::SeqCst),
        rss_before_mb,
        rss_peak_mb,
        rss_after_mb,
    })
}

/// One `POST /api/auth/login` for an address nobody has; its status.
fn login(addr: std::net::SocketAddr, n: usize) -> Option<u16> {
    let body = format!(r#"{{"email":"nobody-{n}@example.com","password":"not the password"}}"#);
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    write!(
        stream,
        "POST /api/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    std::str::from_utf8(response.get(9..12)?).ok()?.parse().ok()
}

#[derive(Debug, Clone, Serialize)]
pub struct SocketMemory {
    pub sockets: usize,
    /// Sockets per chat room (each room is a hub topic with a buffer of its own).
    pub per_room: usize,
    pub rss_before_mb: f64,
    pub rss_open_mb: f64,
    pub kb_per_socket: f64,
    pub rss_after_close_mb: f64,
    /// With as many sockets opened again: the allocator keeps what the first ones freed for
    /// reuse, so a second wave adds (almost) nothing.
    pub rss_second_wave_mb: f64,
}

/// Idle chat connections, `per_room` a room, on an app started for the row (a join tells its
/// room, so one room of thousands would measure the presence broadcast, not idle connections).
/// `wanted` is lowered to fit this process's file descriptor limit (both ends of each socket
/// live on this machine).
pub fn socket_row(
    env: &AppEnv,
    app_bin: &std::path::Path,
    wanted: usize,
    per_room: usize,
) -> anyhow::Result<SocketMemory> {
    let per_room = per_room.max(1);
    let sockets = wanted.min(usize::try_from(open_files_limit().saturating_sub(200)).unwrap_or(0));
    if sockets < wanted {
        eprintln!(
            "   (the open-files limit allows {sockets} sockets, not {wanted}: raise `ulimit -n`)"
        );
    }
    let mut env = env.clone();
    env.extra
        .push(("APP_JOBS_IN_PROCESS".to_owned(), "false".to_owned()));
    let addr = free_addr()?;
    let (server, _) = Server::start("app", env.serve(app_bin, addr), addr, "/health")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        // Warm up: the code paths and pools a first connection touches are not per-socket cost.
        drop(open_sockets(addr, 20, 0, per_room).await?);
        settle(server.pid(), 0).await;
        let rss_before_mb = rss_mb(server.pid()).unwrap_or(f64::NAN);
        let open = open_sockets(addr, sockets, 100_000, per_room).await?;
        settle(server.pid(), sockets).await;
        let rss_open_mb = rss_mb(server.pid()).unwrap_or(f64::NAN);
        drop(open);
        settle(server.pid(), 0).await;
        let rss_after_close_mb = rss_mb(server.pid()).unwrap_or(f64::NAN);
        let again = open_sockets(addr, sockets, 200_000, per_room).await?;
        settle(server.pid(), sockets).await;
        let rss_second_wave_mb = rss_mb(server.pid()).unwrap_or(f64::NAN);
        drop(again);
        Ok::<_, anyhow::Error>(SocketMemory {
            sockets,
            per_room,
            rss_before_mb,
            rss_open_mb,
            kb_per_socket: (rss_open_mb - rss_before_mb) * 1024.0 / sockets.max(1) as f64,
            rss_after_close_mb,
            rss_second_wave_mb,
        })
    });
    drop(server);
    result
}

/// Open chat sockets; dropping it closes them all.
struct OpenSockets(Vec<tokio::task::JoinHandle<()>>);

impl Drop for OpenSockets {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Opens `count` chat sockets (`first_room` onwards, `per_room` a room), each joined (its first
/// frame read) before this returns; each then reads and discards what the room sends.
async fn open_sockets(
    addr: std::net::SocketAddr,
    count: usize,
    first_room: usize,
    per_room: usize,
) -> anyhow::Result<OpenSockets> {
    let joined = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(count);
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    for n in 0..count {
        let room = first_room + n / per_room;
        let (joined, gate) = (Arc::clone(&joined), Arc::clone(&gate));
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let Ok(mut socket) = join(addr, room).await else {
                return;
            };
            joined.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            let mut sink = [0u8; 4096];
            while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
        }));
    }
    let open = OpenSockets(tasks);
    let deadline = Instant::now() + Duration::from_secs(120);
    while joined.load(Ordering::SeqCst) < count as u64 {
        if Instant::now() > deadline {
            bail!(
                "only {} of {count} chat sockets joined within 120 s",
                joined.load(Ordering::SeqCst)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(open)
}

/// A WebSocket handshake on `/ws/chat/bench-{room}` as a guest; the socket once the server has
/// sent its first frame.
async fn join(addr: std::net::SocketAddr, room: usize) -> anyhow::Result<tokio::net::TcpStream> {
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "GET /ws/chat/bench-{room} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        socket.read_exact(&mut byte).await?;
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        bail!(
            "the upgrade was refused: {}",
            String::from_utf8_lossy(&head)
        );
    }
    // The welcome frame.
    socket.read_exact(&mut byte).await.context("no welcome")?;
    Ok(socket)
}

/// Waits (bounded) until the server holds about `sockets` connections, by its open files.
async fn settle(pid: u32, sockets: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let baseline = 40;
    while Instant::now() < deadline {
        let open = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count);
        if open.abs_diff(sockets + baseline) <= baseline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the last joins' and leaves' presence updates reach their rooms.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// The soft limit on open files of this process (and of the app it starts).
fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        })
        .unwrap_or(1024)
}
