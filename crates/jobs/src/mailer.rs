//! Sending mail from jobs: one [`Mailer`] with a backend chosen by `APP_MAILER`.
//!
//! - `log` (development default): each mail is written to the log, nothing is sent.
//! - `memory`: kept in a list tests can read ([`Mailer::sent`]).
//! - `smtp://host:port` / `smtps://user:pass@host` (lettre): real delivery; in docker compose
//!   Mailpit catches it (`smtp://mailpit:1025`, web UI on port 8025).

use std::sync::{Arc, Mutex, PoisonError};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

use crate::{Error, Result};

/// One email, plain text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Log,
    Memory(Arc<Mutex<Vec<Email>>>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.backend {
            Backend::Log => "log",
            Backend::Memory(_) => "memory",
            Backend::Smtp(_) => "smtp",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("backend", &backend)
            .finish()
    }
}

impl Mailer {
    /// `spec` is `log`, `memory` or an SMTP URL; `from` an address like `App <app@example.com>`.
    pub fn new(spec: &str, from: &str) -> Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|err| Error::Mail(format!("the sender `{from}` is not an address: {err}")))?;
        let backend = match spec {
            "log" => Backend::Log,
            "memory" => Backend::Memory(Arc::default()),
            url if url.starts_with("smtp://") || url.starts_with("smtps://") => Backend::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| {
                        Error::Mail(format!("APP_MAILER is not a usable SMTP URL: {err}"))
                    })?
                    .build(),
            ),
            other => {
                return Err(Error::Mail(format!(
                    "APP_MAILER must be `log`, `memory` or an smtp:// URL, not `{other}`"
                )));
            }
        };
        Ok(Self { from, backend })
    }

    pub async fn send(&self, email: &Email) -> Result<()> {
        match &self.backend {
            Backend::Log => {
                tracing::info!(to = %email.to, subject = %email.subject, body = %email.body, "email (log backend: not sent)");
                Ok(())
            }
            Backend::Memory(outbox) => {
                outbox
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(email.clone());
                Ok(())
            }
            Backend::Smtp(transport) => {
                let to: Mailbox = email.to.parse().map_err(|err| {
                    Error::Mail(format!(
                        "the recipient `{}` is not an address: {err}",
                        email.to
                    ))
                })?;
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(email.subject.as_str())
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.body.clone())
                    .map_err(|err| Error::Mail(err.to_string()))?;
                transport
                    .send(message)
                    .await
                    .map_err(|err| Error::Mail(crate::runner::chain(&err)))?;
                Ok(())
            }
        }
    }

    /// What the `memory` backend holds (empty for the others).
    pub fn sent(&self) -> Vec<Email> {
        match &self.backend {
            Backend::Memory(outbox) => outbox
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_chosen_by_the_spec_and_bad_ones_are_named() {
        assert!(Mailer::new("log", "App <app@example.com>").is_ok());
        assert!(Mailer::new("smtp://localhost:1025", "app@example.com").is_ok());
        let err = Mailer::new("carrier-pigeon", "app@example.com")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("carrier-pigeon"));
        let err = Mailer::new("log", "not an address")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("not an address"));
    }

    #[tokio::test]
    async fn the_memory_backend_keeps_what_was_sent() {
        let mailer = Mailer::new("memory", "app@example.com");
        let mailer = mailer.as_ref().ok();
        let email = Email {
            to: "a@example.com".into(),
            subject: "Hi".into(),
            body: "Hello".into(),
        };
        if let Some(mailer) = mailer {
            assert!(mailer.send(&email).await.is_ok());
        }
        assert_eq!(mailer.map(Mailer::sent), Some(vec![email]));
    }
}
