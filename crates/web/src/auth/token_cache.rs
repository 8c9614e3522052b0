//! A one-second memory of checked API tokens.
//!
//! A token request costs one indexed query (token joined to its user). Under load the same
//! token arrives many times a second, and on PostgreSQL that extra round trip held a pooled
//! connection long enough to cut a token-authenticated write by a quarter. So a replica remembers a
//! good token for one second: a revocation takes effect at once on the replica that revoked it
//! (which forgets every entry) and within a second on the others. Only tokens that checked out
//! are kept; a bad token always goes to the database.

use std::time::Duration;

use moka::future::Cache;

use super::user::CurrentUser;

/// How long a replica trusts a token it checked.
const TTL: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub(crate) struct TokenCache(Cache<String, CurrentUser>);

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.0.entry_count())
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TTL)
                .build(),
        )
    }
}

impl TokenCache {
    /// The user of a token hash checked less than a second ago.
    pub(crate) async fn get(&self, hash: &str) -> Option<CurrentUser> {
        self.0.get(hash).await
    }

    pub(crate) async fn insert(&self, hash: String, user: CurrentUser) {
        self.0.insert(hash, user).await;
    }

    /// After a revocation: forget everything (revocations are rare; the next requests re-check).
    pub(crate) fn forget_all(&self) {
        self.0.invalidate_all();
    }
}
