//! Random secrets: API tokens (shown once, stored as SHA-256), the tokens of links mailed to
//! an account (stored the same way) and CSRF tokens.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// What every API token starts with, so a leaked one is recognisable (secret scanners).
pub const API_TOKEN_PREFIX: &str = "app_";

/// `bytes` random bytes as URL-safe base64.
pub fn random(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| Error::internal(format!("the OS random generator failed: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// A new API token: `app_` and 32 random bytes.
pub fn new_api_token() -> Result<String> {
    Ok(format!("{API_TOKEN_PREFIX}{}", random(32)?))
}

/// What is stored for an API token or a mailed link's token: SHA-256, hex. Tokens are long and random, so a fast hash is
/// enough (no one can guess their way through 2^256), and lookups stay one indexed query.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The part of a token shown in lists: enough to tell tokens apart, useless to an attacker.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(API_TOKEN_PREFIX.len() + 6).collect()
}

/// Issues a new API token for `user_id` under an already validated `name`
/// (`db::api_tokens::parse_name`): stores its hash and display prefix, and returns the token —
/// the only time it exists in clear — with its row. The account pages, the API, `app token
/// create` and the tests all issue tokens here.
pub async fn issue(
    db: &impl db::Writer,
    user_id: i64,
    name: &str,
) -> Result<(String, db::api_tokens::ApiToken)> {
    let token = new_api_token()?;
    let row = db::api_tokens::create(
        db,
        user_id,
        name,
        &hash_token(&token),
        &display_prefix(&token),
    )
    .await?;
    tracing::info!(user_id, token_id = row.id, "API token created");
    Ok((token, row))
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_tokens_are_long_random_and_hash_to_hex() {
        let a = new_api_token().unwrap();
        let b = new_api_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("app_") && a.len() == 4 + 43, "{a}");
        let hash = hash_token(&a);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, hash_token(&a));
        assert_ne!(hash, hash_token(&b));
        assert_eq!(display_prefix(&a).len(), 10);
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
