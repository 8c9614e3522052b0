//! Reading values: each variable's parser with the message a user sees when it is wrong, and the
//! `.env` file.

use std::{collections::HashMap, path::PathBuf, str::FromStr, time::Duration};

use super::{ConfigError, DEV_SECRET_KEY, EXAMPLE_SECRET_KEY, MIN_SECRET_KEY_LEN, Source};

pub(super) struct Reader<'a, F> {
    pub(super) lookup: &'a F,
    pub(super) errors: Vec<String>,
    pub(super) sources: HashMap<&'static str, Source>,
}

impl<F: Fn(&str) -> Option<(String, Source)>> Reader<'_, F> {
    /// The raw value, if set and not blank.
    pub(super) fn get(&mut self, key: &'static str) -> Option<String> {
        let (value, source) = (self.lookup)(key)?;
        if value.trim().is_empty() {
            return None;
        }
        self.sources.insert(key, source);
        Some(value)
    }

    /// The parsed value, or `default` when unset; a bad value is recorded and `default` returned.
    pub(super) fn parse<T>(
        &mut self,
        key: &'static str,
        default: T,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> T {
        match self.get(key) {
            None => default,
            Some(raw) => parse(raw.trim()).unwrap_or_else(|problem| {
                self.errors.push(format!("{key}: {problem}"));
                default
            }),
        }
    }
}

pub(super) fn check_secret_key(key: &str) -> Result<(), String> {
    if key == DEV_SECRET_KEY || key == EXAMPLE_SECRET_KEY {
        return Err(
            "is the example/development value; generate one, e.g. `openssl rand -hex 32`".into(),
        );
    }
    let len = key.chars().count();
    if len < MIN_SECRET_KEY_LEN {
        return Err(format!(
            "is {len} characters; it must be at least {MIN_SECRET_KEY_LEN} (e.g. `openssl rand -hex 32`)"
        ));
    }
    Ok(())
}

pub(super) fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("`{s}` is not a boolean: use true or false")),
    }
}

pub(super) fn parse_secs(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0)
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| format!("`{s}` is not a positive number of seconds"))
}

pub(super) fn parse_positive<T: FromStr + PartialOrd + Default>(s: &str) -> Result<T, String> {
    s.parse::<T>()
        .ok()
        .filter(|v| *v > T::default())
        .ok_or_else(|| format!("`{s}` is not a positive whole number"))
}

pub(super) fn parse_path(s: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(s))
}

pub(super) fn parse_http_url(s: &str) -> Result<String, String> {
    if s.starts_with("http://") || s.starts_with("https://") {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err(format!("`{s}` is not an http:// or https:// URL"))
    }
}

pub(super) fn secs(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}

/// `KEY=value` lines of a `.env` file; a missing file is no error, a malformed one is.
pub(super) fn read_dotenv(path: &str) -> Result<HashMap<String, String>, ConfigError> {
    match dotenvy::from_path_iter(path) {
        Ok(iter) => iter
            .map(|item| item.map_err(|e| ConfigError(vec![format!("{path}: {e}")])))
            .collect(),
        Err(e) if e.not_found() => Ok(HashMap::new()),
        Err(e) => Err(ConfigError(vec![format!("{path}: {e}")])),
    }
}
