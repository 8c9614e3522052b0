//! Signing up and in, the account page: password change, API tokens.

use anyhow::{Result, ensure};

use crate::{
    browser::Screen,
    harness::{E2e, e2e},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD},
};

#[tokio::test]
async fn sign_up_shows_field_errors_then_signs_in_and_asks_to_confirm() {
    e2e(
        "sign_up_shows_field_errors_then_signs_in_and_asks_to_confirm",
        async |t: &E2e| -> Result<()> {
            let b = t.browser(Screen::Phone).await?;
            b.goto("/signup").await?;
            b.fill("#email", "not an address").await?;
            b.fill("#password", "short").await?;
            b.click("form.form button[type=submit]").await?;
            b.wait_for_text(".alert", "Please fix the fields").await?;
            ensure!(
                b.find("#email").await?.prop("value").await?.as_deref() == Some("not an address"),
                "the email is kept"
            );
            ensure!(
                !b.text("#email-error").await?.is_empty()
                    && !b.text("#password-error").await?.is_empty()
            );
            ensure!(
                b.path().await? == "/signup",
                "errors are shown where the form lives"
            );
            b.check_page_allowing(&["status of 422"]).await?;

            b.fill("#email", "ada@example.com").await?;
            b.fill("#password", "a long enough password").await?;
            b.click("form.form button[type=submit]").await?;
            b.wait_for_text(".flash", "Welcome! You are signed in as ada@example.com")
                .await?;
            ensure!(
                b.text("main")
                    .await?
                    .contains("Please confirm your address"),
                "the banner asks for the address to be confirmed"
            );
            b.check_page().await?;

            // Out, and in again: a wrong password first.
            b.click(".nav-toggle-label").await?;
            b.click(".account-nav .link-button").await?;
            b.wait_for_text(".flash", "You are signed out.").await?;
            b.goto("/login").await?;

            b.fill("#email", "ada@example.com").await?;
            b.fill("#password", "a wrong password").await?;
            b.click("form.form button[type=submit]").await?;
            b.wait_for_text(".alert", "The email or password is wrong.")
                .await?;
            ensure!(
                b.find("#email").await?.prop("value").await?.as_deref() == Some("ada@example.com")
            );
            b.check_page_allowing(&["status of 401"]).await?;

            b.fill("#password", "a long enough password").await?;
            b.click("form.form button[type=submit]").await?;
            b.wait_for_text(".flash", "Signed in as ada@example.com.")
                .await?;
            b.click(".nav-toggle-label").await?;
            ensure!(b.text(".account-nav").await?.contains("ada@example.com"));
            b.check_page().await?;
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn the_account_page_changes_the_password_and_shows_a_new_token_once() {
    e2e(
        "the_account_page_changes_the_password_and_shows_a_new_token_once",
        async |t: &E2e| -> Result<()> {
            let b = t.browser(Screen::Desktop).await?;
            t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            b.goto("/account").await?;

            // A token: shown once, after a redirect; a reload neither shows it again nor makes another.
            b.fill("#token-name", "laptop").await?;
            b.click_text(".inline-form", "Create token").await?;
            b.wait_for_text("#new-token", "Copy it now").await?;
            let token = b.text("#new-token code").await?;
            ensure!(token.starts_with("app_"), "{token}");
            ensure!(
                b.path().await? == "/account",
                "the address bar is on a page that answers GET"
            );
            b.client.refresh().await?;
            b.wait_for_text("h1", "Your account").await?;
            ensure!(!b.text("main").await?.contains(&token), "shown once");
            ensure!(
                b.find_all("table.list tbody tr").await?.len() == 2,
                "the harness's token and this one"
            );
            let rows = b.text("table.list tbody").await?;
            ensure!(
                rows.matches("laptop").count() == 1,
                "one token, not two: {rows}"
            );
            ensure!(
                rows.contains("just now") && rows.contains("never"),
                "readable dates: {rows}"
            );

            // A wrong current password: the error on the page; a reload lands on the account page.
            b.fill("#current_password", "not my password").await?;
            b.fill("#new_password", "another long password").await?;
            b.click_text(".form", "Change password").await?;
            b.wait_for_text("#current-error", "not your current password")
                .await?;
            b.check_page_allowing(&["status of 422"]).await?;
            b.goto(&b.path().await?).await?;
            b.wait_for_text("h1", "Your account").await?;

            b.fill("#current_password", ADMIN_PASSWORD).await?;
            b.fill("#new_password", "another long password").await?;
            b.click_text(".form", "Change password").await?;
            b.wait_for_text(".flash", "Password changed.").await?;
            ensure!(
                b.text("main").await?.contains("No tokens yet."),
                "the change revoked the token"
            );
            b.check_page().await?;
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_form_with_a_tampered_csrf_token_is_refused() {
    e2e("a_form_with_a_tampered_csrf_token_is_refused", async |t: &E2e| -> Result<()> {
        let b = t.browser(Screen::Desktop).await?;
        t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        b.goto("/account").await?;
        b.fill("#token-name", "forged").await?;
        b.script("document.querySelector('.inline-form input[name=csrf_token]').value = 'forged-token';")
            .await?;
        b.click_text(".inline-form", "Create token").await?;
        b.wait_for_text(".error-code", "403").await?;
        let tokens = db::api_tokens::list_for_user(&t.app.db, t.app.admin.user_id).await?;
        ensure!(tokens.iter().all(|t| t.name != "forged"), "nothing was created");
        b.check_page_allowing(&["status of 403"]).await?;
        Ok(())
    })
    .await;
}
