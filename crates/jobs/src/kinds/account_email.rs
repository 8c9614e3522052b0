//! Mail about an account, sent to its address: the welcome after a signup, or — when someone
//! signs up with an address that already has an account — a note to its owner instead of a
//! different answer on the page (which would tell anyone which addresses are registered).

use crate::{BoxError, Email, Job, JobContext, Services};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountNotice {
    /// A new account was made for this address.
    Welcome,
    /// A signup was tried with this address, which already has an account.
    AlreadyRegistered,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AccountEmail {
    pub to: String,
    pub notice: AccountNotice,
}

impl AccountEmail {
    /// The mail itself (what the job sends; tests read it too).
    pub fn email(&self) -> Email {
        let (subject, body) = match self.notice {
            AccountNotice::Welcome => (
                "Your account is ready",
                "An account was created for this address. Sign in with the password you chose.\n\n\
                 If you did not sign up, someone used your address; you can ignore this mail.\n",
            ),
            AccountNotice::AlreadyRegistered => (
                "Someone tried to sign up with your address",
                "Someone, maybe you, tried to create an account with this address, which already \
                 has one. If it was you, sign in with your existing password.\n\n\
                 If it was not you, you can ignore this mail: your account has not changed.\n",
            ),
        };
        Email {
            to: self.to.clone(),
            subject: subject.to_owned(),
            body: body.to_owned(),
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
