//! Throttling login and signup: each attempt counts against the client's IP and against the
//! account it names, in the database, so all replicas share the count.

use crate::{AppState, Error, Result};

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
        if let db::rate_limits::Decision::Limited { retry_after } = decision {
            tracing::warn!(action, "rate limit reached");
            return Err(Error::TooManyRequests {
                message: format!(
                    "Too many {action} attempts. Try again in {} seconds.",
                    retry_after.as_secs().max(1)
                ),
                retry_after,
            });
        }
    }
    Ok(())
}
