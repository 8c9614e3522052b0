//! Mail about an account, sent to its address: the welcome after a sign-up (with the link that
//! confirms the address), a note to the owner of an address someone tried to sign up with, a
//! fresh confirmation link, or a password-reset link.
//!
//! The links are made by the web crate (it knows the site's address and stores the token's
//! hash in the same transaction that queues this job); the job only sends.

use crate::{BoxError, Email, Job, JobContext, Services};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountNotice {
    /// A new account was made for this address; `link` confirms the address.
    Welcome,
    /// A sign-up was tried with this address, which already has an account; `link` is where its
    /// owner can reset the password.
    AlreadyRegistered,
    /// A new link to confirm the address (`link`).
    ConfirmAddress,
    /// A link to choose a new password (`link`), valid once, for an hour.
    ResetPassword,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AccountEmail {
    pub to: String,
    pub notice: AccountNotice,
    /// The link the mail is about (absent from jobs queued before links existed).
    #[serde(default)]
    pub link: Option<String>,
}

impl AccountEmail {
    /// The mail itself (what the job sends; tests read it too).
    pub fn email(&self) -> Email {
        let link = self.link.as_deref().unwrap_or_default();
        let (subject, body) = match self.notice {
            AccountNotice::Welcome => (
                "Your account is ready",
                format!(
                    "An account was created for this address.\n\n\
                     Confirm that the address is yours by opening this link:\n{link}\n\n\
                     If you did not sign up, someone used your address; you can ignore this mail.\n"
                ),
            ),
            AccountNotice::AlreadyRegistered => (
                "Someone tried to sign up with your address",
                format!(
                    "Someone, maybe you, tried to create an account with this address, which \
                     already has one. If it was you, sign in with your existing password, or \
                     choose a new one here:\n{link}\n\n\
                     If it was not you, you can ignore this mail: your account has not changed.\n"
                ),
            ),
            AccountNotice::ConfirmAddress => (
                "Confirm your address",
                format!(
                    "Open this link to confirm that this address is yours:\n{link}\n\n\
                     If you did not ask for it, you can ignore this mail.\n"
                ),
            ),
            AccountNotice::ResetPassword => (
                "Choose a new password",
                format!(
                    "Someone, maybe you, asked to reset the password of the account with this \
                     address. Open this link to choose a new one:\n{link}\n\n\
                     The link works once, within an hour. Choosing a new password signs the \
                     account out everywhere and revokes its API tokens.\n\n\
                     If you did not ask, you can ignore this mail: your password has not changed.\n"
                ),
            ),
        };
        Email {
            to: self.to.clone(),
            subject: subject.to_owned(),
            body,
        }
    }
}

impl Job for AccountEmail {
    const NAME: &'static str = "account_email";
    const QUEUE: &'static str = "mail";
    type Context = Services;

    async fn run(&self, ctx: JobContext<Services>) -> Result<(), BoxError> {
        ctx.app.mailer.send(&self.email()).await?;
        Ok(())
    }
}
