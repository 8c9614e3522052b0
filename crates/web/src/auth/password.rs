//! Password hashing: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), always off
//! the runtime — a hash takes tens of milliseconds of CPU and must not stall it.
//!
//! Each hash works in 19 MiB. Allocated per hash on tokio's blocking threads, that memory stayed
//! with the allocator's per-thread arenas: 64 sign-ins, 32 at once, took the process from 19 to
//! 478 MB, for good. So hashing runs on a bridge of its own with a fixed number of threads
//! (`Offload::dedicated`), and each thread keeps one working area and reuses it: at most
//! threads × 19 MiB, whatever the load.

use std::{cell::RefCell, sync::OnceLock};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::phc::{Output, ParamsString, Salt},
};
use offload::Offload;

use crate::{Error, Result};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest: Argon2 takes any length, but a megabyte "password" is a denial-of-service vector.
pub const MAX_PASSWORD_CHARS: usize = 200;

/// The parameters new hashes get (OWASP: m=19456 KiB, t=2, p=1).
pub fn current_params() -> Params {
    Params::default()
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, current_params())
}

/// A password that passed the length rules; its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(hidden)")
    }
}

impl Password {
    /// A new password (signup, change): checked against the length rules.
    pub fn new(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(format!(
                "must be at least {MIN_PASSWORD_CHARS} characters (got {chars})"
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A password typed to sign in: not checked against today's rules (older accounts may
    /// predate them), only capped in length.
    pub fn attempt(raw: &str) -> Self {
        Self(raw.chars().take(MAX_PASSWORD_CHARS + 1).collect())
    }
}

/// Hashes a password (PHC string) on the hashing bridge.
pub async fn hash(offload: &Offload, password: Password) -> Result<String> {
    offload
        .run("password_hash", move || hash_blocking(&password.0))
        .await?
}

/// The blocking work of [`hash`], for callers that are not on the runtime (the CLI).
pub fn hash_blocking(password: &str) -> Result<String> {
    let failed = |e: &dyn std::fmt::Display| Error::internal(format!("hashing a password: {e}"));
    let params = current_params();
    let salt = argon2::password_hash::try_generate_salt().map_err(|e| failed(&e))?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&hasher(), password.as_bytes(), &salt, &mut output).map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.into(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&output).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

thread_local! {
    /// This thread's Argon2 working area, kept from one hash to the next.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs Argon2 into `output`, in this thread's working area (or, for a stored hash that asks for
/// more memory than today's parameters, in a one-off allocation).
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    output: &mut [u8],
) -> argon2::Result<()> {
    let blocks = argon2.params().block_count();
    if blocks > current_params().block_count() {
        let memory = vec![Block::default(); blocks];
        return argon2.hash_password_into_with_memory(password, salt, output, memory);
    }
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, output, &mut memory[..blocks])
    })
}

/// What checking a password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Right, but hashed with older parameters: store a new hash.
    YesRehash,
}

/// Checks `password` against `stored` (or, for an unknown account, against a dummy hash, so the
/// answer takes as long either way and timing does not reveal which emails have accounts).
pub async fn verify(
    offload: &Offload,
    stored: Option<String>,
    password: Password,
) -> Result<Verified> {
    offload
        .run("password_verify", move || {
            let known = stored.is_some();
            let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
            let verified = verify_blocking(&stored, &password.0);
            if known { verified } else { Verified::No }
        })
        .await
        .map_err(Error::from)
}

fn verify_blocking(stored: &str, password: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        // An unusable hash (e.g. "!" for an account without a password) verifies nothing, but
        // still costs a hash so it is not distinguishable by time.
        let _ = hash_blocking(password);
        return Verified::No;
    };
    if !matches_hash(&parsed, password) {
        return Verified::No;
    }
    if needs_rehash(&parsed) {
        Verified::YesRehash
    } else {
        Verified::Yes
    }
}

/// Whether `password` hashes to `stored`'s output with `stored`'s algorithm, version, costs and
/// salt (compared in constant time).
fn matches_hash(stored: &PasswordHash, password: &str) -> bool {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::new(stored.algorithm.as_str()) else {
        return false;
    };
    let version = stored.version.unwrap_or(Version::V0x13.into());
    let (Ok(version), Ok(params)) = (Version::try_from(version), Params::try_from(stored)) else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    if compute(&argon2, password.as_bytes(), salt.as_ref(), &mut output).is_err() {
        return false;
    }
    Output::new(&output).is_ok_and(|computed| computed == *expected)
}

/// A hash with another algorithm, version or cost than [`current_params`] gets replaced.
fn needs_rehash(hash: &PasswordHash) -> bool {
    let current = current_params();
    let same_params = Params::try_from(hash).is_ok_and(|p| {
        p.m_cost() == current.m_cost()
            && p.t_cost() == current.t_cost()
            && p.p_cost() == current.p_cost()
    });
    hash.algorithm.as_str() != "argon2id" || hash.version != Some(0x13) || !same_params
}

/// A hash of nothing anyone knows, with the current parameters, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut bytes = [0u8; 24];
        let _ = getrandom::fill(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        hash_blocking(&secret).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, Version};

    use super::{Password, Verified, hash_blocking, verify_blocking};

    #[test]
    fn new_hashes_are_argon2id_with_owasp_parameters() {
        let hash = hash_blocking("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            verify_blocking(&hash, "correct horse battery"),
            Verified::Yes
        );
        assert_eq!(verify_blocking(&hash, "wrong horse battery"), Verified::No);
        // A standard PHC string: the argon2 crate's own verifier agrees.
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            argon2::PasswordVerifier::verify_password(
                &Argon2::default(),
                b"correct horse battery",
                &parsed
            )
            .is_ok()
        );
    }

    #[test]
    fn a_hash_with_older_parameters_verifies_and_asks_for_a_rehash() {
        let old = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 3, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery")
        .unwrap()
        .to_string();
        PasswordHash::new(&old).unwrap();

        assert_eq!(
            verify_blocking(&old, "correct horse battery"),
            Verified::YesRehash
        );
        assert_eq!(verify_blocking(&old, "nope nope nope"), Verified::No);
    }

    #[test]
    fn unusable_hashes_verify_nothing() {
        assert_eq!(verify_blocking("!", ""), Verified::No);
        assert_eq!(verify_blocking("", "anything"), Verified::No);
    }

    #[test]
    fn passwords_have_length_rules_and_hide_in_debug_output() {
        assert!(Password::new("short").is_err());
        assert!(Password::new(&"x".repeat(201)).is_err());
        let password = Password::new("long enough secret").unwrap();
        assert!(!format!("{password:?}").contains("secret"));
    }
}
