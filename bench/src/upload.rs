//! The upload row of `just bench`: one 200 MB image upload (a PNG header declaring 1000×1000
//! pixels, then one image-data chunk of zeros) through `POST /api/products/{id}/image` on an app
//! started for it with the size limit raised, and the server's resident memory before and during
//! it. Streamed to disk, the upload should cost the server a few buffers, not the file's size.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::{
    app_env::AppEnv,
    proc_stats::{RssSampler, kb_to_mb, rss_mb, status_kb},
    servers::{Server, free_addr},
};

#[derive(Debug, Clone, Serialize)]
pub struct UploadResult {
    pub bytes: u64,
    pub seconds: f64,
    pub mb_per_sec: f64,
    pub status: u16,
    pub rss_before_mb: f64,
    /// The highest resident memory while the upload ran: sampled every 20 ms, or the process's
    /// high-water mark (`VmHWM`) if higher.
    pub rss_peak_mb: f64,
    pub rss_growth_mb: f64,
}

const BOUNDARY: &str = "bench-upload-boundary-7d1f";

/// A PNG's signature, its IHDR chunk (1000×1000, RGB) and the start of an IDAT chunk that runs
/// to the end of a `bytes`-byte file: what the upload reads to learn the image's size.
fn png_header(bytes: u64) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&1000u32.to_be_bytes());
    ihdr.extend_from_slice(&1000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32fast::hash(&ihdr).to_be_bytes());
    let idat_len = bytes.saturating_sub(png.len() as u64 + 8);
    png.extend_from_slice(&u32::try_from(idat_len).unwrap_or(u32::MAX).to_be_bytes());
    png.extend_from_slice(b"IDAT");
    png
}

const CHUNK: usize = 256 * 1024;

/// The row: a fresh app (no in-process worker, so only the upload runs) with the size limit
/// raised, then one 200 MB upload to the first seeded product.
pub fn row(
    env: &AppEnv,
    app_bin: &std::path::Path,
    scratch: &std::path::Path,
    backend: &str,
    token: &str,
) -> anyhow::Result<UploadResult> {
    const BYTES: u64 = 200 * 1_000_000;
    let data = scratch.join(format!("upload-{backend}"));
    let mut env = env.clone();
    env.extra.extend([
        ("APP_UPLOAD_MAX_BYTES".to_owned(), (BYTES * 2).to_string()),
        ("APP_JOBS_IN_PROCESS".to_owned(), "false".to_owned()),
        ("APP_DATA_DIR".to_owned(), data.display().to_string()),
    ]);
    let addr = free_addr()?;
    let (server, _) = Server::start("app", env.serve(app_bin, addr), addr, "/health")?;
    let result = run(&server, token, 1, BYTES);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    result
}

/// Uploads `bytes` bytes as product `product_id`'s image.
pub fn run(
    server: &Server,
    token: &str,
    product_id: i64,
    bytes: u64,
) -> anyhow::Result<UploadResult> {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let length = head.len() as u64 + bytes + tail.len() as u64;
    let addr = server.base_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).context("connecting for the upload")?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;

    let rss_before_mb = rss_mb(server.pid()).unwrap_or(f64::NAN);
    let sampler = RssSampler::start(server.pid());
    let started = Instant::now();
    write!(
        stream,
        "POST /api/products/{product_id}/image HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{head}"
    )?;
    let header = png_header(bytes);
    stream.write_all(&header)?;
    let chunk = vec![0u8; CHUNK];
    let mut left = bytes - header.len() as u64;
    while left > 0 {
        let n = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
        stream.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    stream.write_all(tail.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let seconds = started.elapsed().as_secs_f64();
    // The sampler may miss a short peak between two samples; the kernel's high-water mark does
    // not (it also counts start-up, so the figure can only err on the high side).
    let high_water = status_kb(server.pid(), "VmHWM").map_or(0.0, kb_to_mb);
    let rss_peak_mb = sampler.finish().max(high_water);
    let status = std::str::from_utf8(response.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status != 201 {
        bail!(
            "the upload answered {status}: {}",
            String::from_utf8_lossy(&response)
        );
    }
    Ok(UploadResult {
        bytes,
        seconds,
        mb_per_sec: bytes as f64 / 1_048_576.0 / seconds,
        status,
        rss_before_mb,
        rss_peak_mb,
        rss_growth_mb: rss_peak_mb - rss_before_mb,
    })
}
