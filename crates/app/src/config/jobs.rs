//! The `APP_JOBS_*`, mail and data-folder variables.

use std::path::PathBuf;

use jobs::WorkerConfig;

use super::{
    Source,
    parse::{Reader, parse_bool, parse_path, parse_positive, parse_secs, secs},
};

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// `app serve` runs a worker in the same process (the default; `app worker` runs one alone).
    pub in_process: bool,
    pub worker: WorkerConfig,
    /// `log`, `memory` or an `smtp://` URL.
    pub mailer: String,
    pub mail_from: String,
    pub notify_email: String,
    /// Files the app writes: uploads and what jobs write.
    pub data_dir: PathBuf,
}

impl JobsConfig {
    /// Where files are written before they go to the store (`APP_DATA_DIR/tmp`).
    pub fn scratch_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }

    pub(super) fn read<F: Fn(&str) -> Option<(String, Source)>>(r: &mut Reader<'_, F>) -> Self {
        let defaults = WorkerConfig::default();
        let worker = WorkerConfig {
            concurrency: r.parse("APP_JOBS_CONCURRENCY", defaults.concurrency, parse_positive),
            lease: r.parse("APP_JOBS_LEASE_SECS", defaults.lease, parse_secs),
            grace: r.parse("APP_JOBS_GRACE_SECS", defaults.grace, parse_secs),
            poll_interval: r.parse("APP_JOBS_POLL_SECS", defaults.poll_interval, parse_secs),
            ..defaults
        };
        let mailer = r.get("APP_MAILER").unwrap_or_else(|| "log".to_owned());
        let mail_from = r
            .get("APP_MAIL_FROM")
            .unwrap_or_else(|| "App <app@localhost>".to_owned());
        let notify_email = r
            .get("APP_NOTIFY_EMAIL")
            .unwrap_or_else(|| "team@localhost".to_owned());
        // Checked now, so a typo fails at start-up and in `app check`, not in the first job.
        if let Err(err) = jobs::Mailer::check(&mailer, &mail_from) {
            r.errors.push(format!("APP_MAILER / APP_MAIL_FROM: {err}"));
        }
        Self {
            in_process: r.parse("APP_JOBS_IN_PROCESS", true, parse_bool),
            worker,
            mailer,
            mail_from,
            notify_email,
            data_dir: r.parse("APP_DATA_DIR", PathBuf::from("data"), parse_path),
        }
    }

    pub(super) fn describe(&self) -> Vec<(&'static str, String)> {
        vec![
            ("APP_JOBS_IN_PROCESS", self.in_process.to_string()),
            ("APP_JOBS_CONCURRENCY", self.worker.concurrency.to_string()),
            ("APP_JOBS_LEASE_SECS", secs(self.worker.lease)),
            ("APP_JOBS_GRACE_SECS", secs(self.worker.grace)),
            ("APP_JOBS_POLL_SECS", secs(self.worker.poll_interval)),
            ("APP_MAILER", redact_url(&self.mailer)),
            ("APP_MAIL_FROM", self.mail_from.clone()),
            ("APP_NOTIFY_EMAIL", self.notify_email.clone()),
            ("APP_DATA_DIR", self.data_dir.display().to_string()),
        ]
    }
}

/// `smtp://user:secret@host` prints as `smtp://user:***@host`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn smtp_passwords_are_hidden() {
        assert_eq!(
            redact_url("smtp://me:hunter2@mail:25"),
            "smtp://me:***@mail:25"
        );
        assert_eq!(redact_url("smtp://mailpit:1025"), "smtp://mailpit:1025");
        assert_eq!(redact_url("log"), "log");
    }
}
