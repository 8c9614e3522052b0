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
    /// An SMTP mailer starts its connection pool on the current tokio runtime.
    pub fn new(spec: &str, from: &str) -> Result<Self> {
        let from = Self::check(spec, from)?;
        let backend = match spec {
            "log" => Backend::Log,
            "memory" => Backend::Memory(Arc::default()),
            url => Backend::Smtp(smtp_builder(url)?.build()),
        };
        Ok(Self { from, backend })
    }

    /// Checks `spec` and `from` without building anything (no runtime needed): what `app check`
    /// and the config use. Returns the parsed sender.
    pub fn check(spec: &str, from: &str) -> Result<Mailbox> {
        let sender: Mailbox = from
            .parse()
            .map_err(|err| Error::Mail(format!("the sender `{from}` is not an address: {err}")))?;
        match spec {
            "log" | "memory" => {}
            url if url.starts_with("smtp://") || url.starts_with("smtps://") => {
                smtp_builder(url)?;
            }
            other => {
                return Err(Error::Mail(format!(
                    "APP_MAILER must be `log`, `memory` or an smtp:// URL, not `{other}`"
                )));
            }
        }
        Ok(sender)
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

fn smtp_builder(url: &str) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|err| Error::Mail(format!("APP_MAILER is not a usable SMTP URL: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_checked_without_a_runtime() {
        Mailer::check("smtp://localhost:1025", "app@example.com").unwrap();
        let err = Mailer::check("smtp://", "app@example.com")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("not a usable SMTP URL"));
    }

    #[tokio::test]
    async fn backends_are_chosen_by_the_spec_and_bad_ones_are_named() {
        Mailer::new("log", "App <app@example.com>").unwrap();
        Mailer::new("smtp://localhost:1025", "app@example.com").unwrap();
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
        let mailer = mailer.unwrap();
        let email = Email {
            to: "a@example.com".into(),
            subject: "Hi".into(),
            body: "Hello".into(),
        };
        mailer.send(&email).await.unwrap();
        assert_eq!(mailer.sent(), vec![email]);
    }
}

#[cfg(test)]
mod smtp_tests {
    use tokio::{
        io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
    };

    use super::*;

    /// Just enough of an SMTP server to accept one message and return its DATA.
    async fn accept_one_message(listener: TcpListener) -> std::io::Result<String> {
        let (stream, _) = listener.accept().await?;
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test ESMTP\r\n").await?;
        let mut data = String::new();
        while let Some(line) = lines.next_line().await? {
            let command = line.to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") {
                b"250 test\r\n"
            } else if command.starts_with("DATA") {
                write.write_all(b"354 go on\r\n").await?;
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                b"250 queued\r\n"
            } else if command.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                break;
            } else {
                b"250 ok\r\n"
            };
            write.write_all(reply).await?;
        }
        Ok(data)
    }

    #[tokio::test]
    async fn the_smtp_backend_delivers_a_plain_text_message() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(accept_one_message(listener));
        let mailer = Mailer::new(&format!("smtp://127.0.0.1:{port}"), "App <app@example.com>");
        let email = Email {
            to: "team@example.com".into(),
            subject: "Welcome, Tea".into(),
            body: "Tea was added.".into(),
        };
        let mailer = mailer.unwrap();
        mailer.send(&email).await.unwrap();
        drop(mailer); // closes the pooled connection, so the server sees QUIT or EOF
        let data = server.await.unwrap().unwrap();
        assert!(data.contains("Subject: Welcome, Tea"), "{data}");
        assert!(data.contains("To: team@example.com"), "{data}");
        assert!(data.contains("From: App <app@example.com>"), "{data}");
        assert!(data.contains("Tea was added."), "{data}");
    }
}
