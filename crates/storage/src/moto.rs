//! A moto S3 server of a test's own (moto's server mode, Python), for the tests that need a real
//! S3-protocol server: this crate's `tests/s3.rs` and the app's stack tests. `scripts/s3-setup.sh`
//! installs moto and prints the path to give as `MOTO_SERVER`.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{S3Config, StorageConfig};

/// The server, killed when dropped.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts `$MOTO_SERVER` (or `moto_server` from `PATH`) on a free port and waits until it
    /// answers (at most a minute).
    ///
    /// # Panics
    /// When moto is not installed or does not answer: a test that needs it cannot go on.
    #[allow(
        clippy::panic,
        clippy::unwrap_used,
        reason = "test support: a failure fails the test"
    )]
    pub async fn start() -> Self {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{program} starts (install it with scripts/s3-setup.sh and set MOTO_SERVER to the path it prints): {e}")
            });
        let moto = Self { child, port };
        let answered = tokio::time::timeout(Duration::from_secs(60), async {
            while moto.request("GET", "/").await.is_none() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(answered.is_ok(), "moto answers within a minute");
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new, empty bucket (moto takes an unsigned `CreateBucket`).
    ///
    /// # Panics
    /// When moto does not create it.
    #[allow(clippy::panic, reason = "test support: a failure fails the test")]
    pub async fn bucket(&self) -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("test-{}-{n}", std::process::id());
        let status = self.request("PUT", &format!("/{name}")).await;
        assert_eq!(status, Some(200), "moto creates bucket {name}");
        name
    }

    /// A store on bucket `bucket` of this server, with test credentials.
    pub fn config(&self, bucket: &str, signed_urls: Option<Duration>) -> StorageConfig {
        StorageConfig::S3(S3Config {
            bucket: bucket.to_owned(),
            region: "us-east-1".into(),
            endpoint: Some(self.endpoint()),
            access_key_id: Some("test-key".into()),
            secret_access_key: Some("test-secret".into()),
            signed_urls,
        })
    }

    /// One HTTP/1.1 request with no body; its status, or `None` if the server did not answer.
    async fn request(&self, method: &str, path: &str) -> Option<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await.ok()?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        let answer = String::from_utf8_lossy(&answer);
        answer.split(' ').nth(1)?.parse().ok()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
