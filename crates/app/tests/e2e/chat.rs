//! Chat between a signed-in user and a guest, live both ways: the guest reads the user's
//! messages as they are sent, the user sees the guest arrive and leave.

use anyhow::{Result, ensure};

use crate::{
    browser::Screen,
    harness::{E2e, e2e},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD},
};

#[tokio::test]
async fn a_user_and_a_guest_chat_live() {
    e2e(
        "a_user_and_a_guest_chat_live",
        async |t: &E2e| -> Result<()> {
            let user = t.browser(Screen::Desktop).await?;
            t.sign_in(&user, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            user.goto("/chat").await?;
            user.fill("#room", "lobby").await?;
            user.click_text(".actions", "Join").await?;
            user.wait_for_path("/chat/lobby").await?;
            user.wait_for_text(".chat-status", "Live.").await?;

            let guest = t.browser(Screen::Phone).await?;
            guest.goto("/chat/lobby").await?;
            guest.wait_for_text(".chat-status", "Live.").await?;
            ensure!(
                guest.text("#compose").await?.contains("Sign in to post"),
                "a guest reads only"
            );
            guest.wait_for_text(".presence-users", "admin").await?;
            user.wait_for_text(".presence-guests", "1 guest").await?;

            user.fill("#body", "Hello from the desk").await?;
            user.click_text(".chat-form", "Send").await?;
            guest
                .wait_for_text(".chat-log", "Hello from the desk")
                .await?;
            user.wait_for_text(".chat-log", "Hello from the desk")
                .await?;
            ensure!(
                user.find("#body").await?.prop("value").await?.as_deref() == Some(""),
                "the box is emptied"
            );
            let when = guest.text(".chat-log li:last-child time").await?;
            ensure!(
                !when.contains('T') && when.contains(':'),
                "a clock time, not RFC 3339: {when}"
            );

            // An empty message is refused in the box; the error goes as soon as the text changes.
            user.click_text(".chat-form", "Send").await?;
            user.wait_for_text("#body-error", "must not be empty")
                .await?;
            user.find("#body").await?.send_keys("Second").await?;
            user.wait_until("the error to go", || async {
                Ok(!user.find("#body-error").await?.is_displayed().await?)
            })
            .await?;
            user.click_text(".chat-form", "Send").await?;
            guest.wait_for_text(".chat-log", "Second").await?;
            user.check_page().await?;
            guest.check_page().await?;
            t.keep_screenshot(&user, "chat").await?;
            t.keep_screenshot(&guest, "chat").await?;

            guest.goto("/").await?;
            user.wait_for_text(".presence-guests", "0 guests").await?;
            Ok(())
        },
    )
    .await;
}

/// Without JavaScript a signed-in user still posts (the form, then a redirect back to the room),
/// and a live reader gets the message as it is posted.
#[tokio::test]
async fn without_javascript_the_chat_form_posts_and_live_readers_see_it() {
    e2e(
        "without_javascript_the_chat_form_posts_and_live_readers_see_it",
        async |t: &E2e| -> Result<()> {
            let live = t.browser(Screen::Phone).await?;
            live.goto("/chat/garden").await?;
            live.wait_for_text(".chat-status", "Live.").await?;

            let plain = t.browser_without_scripts(Screen::Desktop).await?;
            t.sign_in(&plain, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            plain.goto("/chat/garden").await?;
            ensure!(
                plain
                    .text(".chat-status")
                    .await?
                    .contains("Reload for new ones")
            );
            plain.fill("#body", "Posted by a form").await?;
            plain.click_text(".chat-form", "Send").await?;
            plain.wait_for_text(".chat-log", "Posted by a form").await?;
            ensure!(plain.path().await? == "/chat/garden", "back in the room");
            live.wait_for_text(".chat-log", "Posted by a form").await?;
            Ok(())
        },
    )
    .await;
}
