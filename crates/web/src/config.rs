//! The HTTP section of the app's configuration.

use std::{path::PathBuf, time::Duration};

#[derive(Debug, Clone)]
pub struct WebConfig {
    pub templates_dir: PathBuf,
    pub static_dir: PathBuf,
    /// Re-read templates when a file under `templates_dir` changes (development).
    pub reload_templates: bool,
    /// A request that takes longer gets a 503.
    pub request_timeout: Duration,
    /// The largest request body accepted, in bytes; larger gets a 413.
    pub body_limit: usize,
    /// `Cache-Control: max-age` for `/static`; zero means "revalidate every time" (development).
    pub static_max_age: Duration,
    pub security: SecurityConfig,
    pub accounts: AccountsConfig,
    pub chat: crate::chat::ChatConfig, // [demo:chat]
    pub uploads: UploadConfig,
    pub server: ServerConfig,
    /// Threads that hash passwords; each keeps 19 MiB of Argon2 memory (see `auth::password`).
    pub password_hashers: usize,
    /// Record request metrics (`http_requests_total`, latency, in flight) through the `metrics`
    /// facade: on when `APP_METRICS_ADDR` serves them; off, the request path skips them.
    pub metrics: bool,
}

/// What the server allows a connection (see `crate::server`).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// HTTP/1.1: a request's line and headers must arrive within this, counted from when the
    /// connection opens or its previous response ends (so it also closes an idle kept-alive
    /// connection). A slow client gets its connection closed.
    pub header_read_timeout: Duration,
    /// Any connection (HTTP/2 included) with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// The most bytes a request's line and headers may take (431 beyond).
    pub max_header_bytes: usize,
    /// The most header fields a request may have (431 beyond).
    pub max_headers: usize,
    /// After SIGTERM, first: `/ready` answers 503 while the server keeps accepting and serving
    /// for this long, so a proxy's health checks take the replica out before it stops
    /// listening (a rolling restart loses no request). 0 (the default): stop at once.
    pub leave_delay: Duration,
    /// After SIGTERM (and `leave_delay`): how long open connections, event streams and
    /// WebSockets get to finish before they are cut off.
    pub drain_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            leave_delay: Duration::ZERO,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// File uploads (images, checked by their content), streamed to a local file as they arrive,
/// then kept in the store (`storage`, under `uploads/`, served at `/uploads/{name}`).
#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// Where uploads are written while they arrive (local, never served).
    pub partial_dir: PathBuf,
    /// The largest image accepted, in bytes; larger gets a 413 and nothing is kept.
    pub max_bytes: u64,
    /// The most pixels an image may declare (width × height); more gets a 422 and nothing is
    /// kept. Decoding takes about 4 bytes per pixel, so this also bounds a thumbnail's memory.
    pub max_pixels: u64,
    /// An upload may take this long in all (and `request_timeout` between two chunks).
    pub timeout: Duration,
}

impl UploadConfig {
    /// Uploads arrive under `data_dir/uploads-partial/`.
    pub fn under(data_dir: &std::path::Path) -> Self {
        Self {
            partial_dir: data_dir.join("uploads-partial"),
            max_bytes: 10 * 1024 * 1024,
            max_pixels: 40_000_000,
            timeout: Duration::from_secs(300),
        }
    }
}

/// Sessions, cookies, hosts, origins, HSTS and rate limits.
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// `Secure` session cookie, named with the `__Host-` prefix (production: HTTPS only).
    pub secure_cookies: bool,
    /// A session ends after this long without a request (sliding expiry).
    pub session_ttl: Duration,
    /// `Host` header values accepted; empty accepts any (development).
    pub allowed_hosts: Vec<String>,
    /// Origins besides this site's own that may send unsafe requests with the session cookie.
    pub trusted_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For`/`-Proto` (or `Forwarded`) headers are believed
    /// (see [`crate::forwarded`]); empty: the TCP peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins allowed to call the API from a browser (CORS); empty: no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// `Strict-Transport-Security: max-age` (production); `None`: no HSTS header.
    pub hsts_max_age: Option<Duration>,
    /// Login and signup attempts allowed per client address (an IPv6 /64) in
    /// `auth_rate_window`; also the sign-ins an account gets before they back off.
    pub auth_rate_limit: u32,
    pub auth_rate_window: Duration,
    /// The longest an account's sign-ins back off (see `auth::rate_limit`).
    pub auth_lockout_max: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            templates_dir: PathBuf::from("templates"),
            static_dir: PathBuf::from("static"),
            reload_templates: false,
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            static_max_age: Duration::from_secs(24 * 60 * 60),
            security: SecurityConfig::default(),
            accounts: AccountsConfig::default(),
            chat: crate::chat::ChatConfig::default(), // [demo:chat]
            uploads: UploadConfig::under(std::path::Path::new("data")),
            server: ServerConfig::default(),
            password_hashers: default_password_hashers(),
            metrics: false,
        }
    }
}

impl Default for SecurityConfig {
    /// Development defaults: plain-HTTP cookies, any host, no HSTS.
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl: Duration::from_secs(14 * 24 * 60 * 60),
            allowed_hosts: Vec::new(),
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            hsts_max_age: None,
            auth_rate_limit: 10,
            auth_rate_window: Duration::from_secs(5 * 60),
            auth_lockout_max: Duration::from_secs(60 * 60),
        }
    }
}

/// The account flows that go through the user's mailbox.
#[derive(Debug, Clone, Default)]
pub struct AccountsConfig {
    pub email_verification: EmailVerification,
    /// Where links in mails point, like `https://example.com` (no trailing slash); `None`: the
    /// scheme and host of the request that asked for the mail (the host is one of
    /// `APP_ALLOWED_HOSTS` in production).
    pub public_url: Option<String>,
}

/// Whether a new account must confirm its address before it can sign in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmailVerification {
    /// Sign-up signs the new account in at once; a banner asks it to confirm its address. The
    /// sign-up answer tells whether an address was registered (as Django's does).
    #[default]
    Optional,
    /// Sign-up answers the same for every address and signs nobody in; signing in waits until
    /// the address is confirmed by the link mailed to it.
    Required,
}

impl EmailVerification {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "optional" => Ok(Self::Optional),
            "required" => Ok(Self::Required),
            _ => Err(format!("`{s}` is not `optional` or `required`")),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }
}

/// The session cookie, named after the project (`just rename` changes it) so that two apps on
/// one host (`localhost:3000` and `:3001` share cookies) do not sign each other out.
pub const SESSION_COOKIE: &str = "async_starter_session";
/// The same, `__Host-` prefixed when secure: browsers refuse it unless it is `Secure`, host-only
/// and for the whole site.
pub const SECURE_SESSION_COOKIE: &str = "__Host-async_starter_session";

impl SecurityConfig {
    /// The session cookie's name (see [`SESSION_COOKIE`]).
    pub fn session_cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }

    /// Whether a `Host` header value is one this app answers to.
    pub fn host_allowed(&self, host: &str) -> bool {
        if self.allowed_hosts.is_empty() {
            return true;
        }
        let name = host_name(host);
        self.allowed_hosts.iter().any(|allowed| {
            allowed == "*"
                || allowed.eq_ignore_ascii_case(name)
                || allowed.strip_prefix('.').is_some_and(|domain| {
                    let name = name.to_ascii_lowercase();
                    name == domain || name.ends_with(&format!(".{domain}"))
                })
        })
    }
}

/// `example.com:8080` → `example.com`; `[::1]:3000` → `[::1]`.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Half the cores, at least one: sign-ins can never take every core from the requests.
fn default_password_hashers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

#[cfg(test)]
mod tests {
    use super::SecurityConfig;

    #[test]
    fn hosts_match_by_name_with_any_port_and_dot_prefixes_match_subdomains() {
        let config = SecurityConfig {
            allowed_hosts: vec!["example.com".into(), ".example.org".into(), "[::1]".into()],
            ..SecurityConfig::default()
        };
        for ok in [
            "example.com",
            "EXAMPLE.com:8080",
            "example.org",
            "a.b.example.org:1",
            "[::1]:3000",
        ] {
            assert!(config.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.com", "example.com.evil.com", "notexample.org", ""] {
            assert!(!config.host_allowed(bad), "{bad}");
        }
        assert!(SecurityConfig::default().host_allowed("anything"));
    }
}
