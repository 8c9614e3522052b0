//! `app createsuperuser` and `app token ...`: accounts from the command line.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, anyhow, bail};
use db::{
    DatabaseConnection,
    users::{self, Email},
};
use web::auth::{password, tokens};

use crate::cli::TokenAction;

/// The new password: typed twice at a hidden prompt on a terminal, else the first line of
/// standard input (for scripts). Never an argument: argv is visible to every user of the machine.
pub fn read_new_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password (again): ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    read_password_line(&mut stdin.lock())
}

fn read_password_line(input: &mut impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn create_superuser(
    db: &DatabaseConnection,
    email: &str,
    password: String,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|m| anyhow!("--email {m}"))?;
    password::Password::new(&password).map_err(|m| anyhow!("the password {m}"))?;
    if users::find_by_email(db, &email).await?.is_some() {
        bail!("{} already has an account", email.as_str());
    }
    // Hashing is CPU work: off the runtime, as in the web app.
    let hash = tokio::task::spawn_blocking(move || password::hash_blocking(&password))
        .await
        .context("hashing the password")??;
    let user = users::create(db, &email, &hash, true).await?;
    // The operator vouches for the address: no link to confirm it.
    users::mark_verified(db, user.id, &user.email).await?;
    writeln!(out, "administrator {} created (id {})", user.email, user.id)?;
    Ok(())
}

pub async fn token(
    db: &DatabaseConnection,
    action: TokenAction,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let user_of = async |email: &str| -> anyhow::Result<users::User> {
        let email = Email::parse(email).map_err(|m| anyhow!("--email {m}"))?;
        users::find_by_email(db, &email)
            .await?
            .ok_or_else(|| anyhow!("no account has the email {}", email.as_str()))
    };
    match action {
        TokenAction::Create { email, name } => {
            let user = user_of(&email).await?;
            let name = db::api_tokens::parse_name(&name).map_err(|m| anyhow!("--name {m}"))?;
            let (token, row) = tokens::issue(db, user.id, &name).await?;
            eprintln!(
                "token {} (\"{}\") created for {}; it is printed once, below:",
                row.id, row.name, user.email
            );
            writeln!(out, "{token}")?;
        }
        TokenAction::List { email } => {
            let user = user_of(&email).await?;
            let listed = db::api_tokens::list_for_user(db, user.id).await?;
            if listed.is_empty() {
                writeln!(out, "{} has no API tokens", user.email)?;
            }
            for t in listed {
                writeln!(
                    out,
                    "{:>6}  {:<20} {}…  created {}  last used {}",
                    t.id,
                    t.name,
                    t.prefix,
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    t.last_used_at.map_or("never".to_owned(), |at| at
                        .format("%Y-%m-%d %H:%M")
                        .to_string())
                )?;
            }
        }
        TokenAction::Revoke { email, id } => {
            let user = user_of(&email).await?;
            db::api_tokens::revoke(db, user.id, id).await?;
            writeln!(out, "token {id} revoked")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::read_password_line;

    #[test]
    fn a_piped_password_is_the_first_line_without_its_newline() {
        let mut input = std::io::Cursor::new("correct horse battery\r\nignored\n");
        assert_eq!(
            read_password_line(&mut input).unwrap(),
            "correct horse battery"
        );
    }
}
