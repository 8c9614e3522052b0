//! Throttling sign-in and signup, in the database so all replicas share the count:
//!
//! - per client address, a fixed window (`APP_AUTH_RATE_LIMIT` attempts per
//!   `APP_AUTH_RATE_WINDOW_SECS`); an IPv6 client counts per /64, since one host may hold a
//!   whole /64 and rotate through it;
//! - per account, an exponential back-off on sign-ins: the first `APP_AUTH_RATE_LIMIT` go at
//!   once, then each must wait longer (from window ÷ limit, doubling, up to
//!   `APP_AUTH_LOCKOUT_MAX_SECS`). Guessing spread over many addresses slows to a crawl, and the
//!   owner is never locked out for longer than the cap. A successful sign-in starts it afresh.

use std::{net::IpAddr, time::Duration};

use db::rate_limits::{Backoff, Decision, Throttle};

use crate::{AppState, Error, Result};

/// The key a client address counts under: an IPv4 address (IPv4-mapped IPv6 included) as is,
/// an IPv6 address by its /64.
pub(crate) fn client_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "ip:unknown".to_owned(),
    }
}

/// Counts one attempt at `action` for every key; the first one over its limit refuses it.
pub(crate) async fn check(state: &AppState, action: &str, keys: &[String]) -> Result<()> {
    let security = &state.config.security;
    let now = db::now();
    for key in keys {
        let decision = db::rate_limits::hit(
            &state.db,
            &format!("{action}:{key}"),
            security.auth_rate_limit,
            security.auth_rate_window,
            now,
        )
        .await?;
        if let Decision::Limited { retry_after } = decision {
            tracing::warn!(action, "rate limit reached");
            return Err(too_many(action, retry_after));
        }
    }
    Ok(())
}

/// Counts a sign-in attempt on the account `email` names (before the password is checked, so
/// concurrent guesses are counted too).
pub(crate) async fn account_attempt(state: &AppState, email: &str) -> Result<()> {
    let decision =
        db::rate_limits::backoff_hit(&state.db, &account_key(email), backoff(state), db::now())
            .await?;
    match decision {
        Decision::Allowed => Ok(()),
        Decision::Limited { retry_after } => {
            tracing::warn!("sign-ins to one account are backing off");
            Err(too_many("login", retry_after))
        }
    }
}

/// The account's owner got in: its back-off starts afresh.
pub(crate) async fn account_success(state: &AppState, email: &str) -> Result<()> {
    Ok(db::rate_limits::forget(&state.db, &account_key(email)).await?)
}

fn account_key(email: &str) -> String {
    format!("login:account:{}", email.trim().to_lowercase())
}

fn backoff(state: &AppState) -> Throttle {
    let security = &state.config.security;
    let per_attempt = security.auth_rate_window / security.auth_rate_limit.max(1);
    Throttle {
        free: security.auth_rate_limit,
        backoff: Backoff::new(
            per_attempt.max(Duration::from_secs(1)),
            security.auth_lockout_max,
        ),
    }
}

fn too_many(action: &str, retry_after: Duration) -> Error {
    Error::TooManyRequests {
        message: format!(
            "Too many {action} attempts. Try again in {} seconds.",
            retry_after.as_secs().max(1)
        ),
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::client_key;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn ipv6_clients_count_per_64_and_ipv4_per_address() {
        assert_eq!(client_key(ip("203.0.113.9")), "ip:203.0.113.9");
        assert_eq!(client_key(ip("::ffff:203.0.113.9")), "ip:203.0.113.9");
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa::1")),
            client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_eq!(client_key(ip("2001:db8:1:2::7")), "ip:2001:db8:1:2::/64");
        assert_ne!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(client_key(None), "ip:unknown");
    }
}
