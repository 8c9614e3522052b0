//! A visitor's view of the engine's pages: the phone menu, pages for bad addresses.

use anyhow::{Result, ensure};

use crate::{
    browser::Screen,
    harness::{E2e, e2e},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD},
};

#[tokio::test]
async fn on_a_phone_the_menu_opens_and_tables_scroll_inside_their_box() {
    e2e("on_a_phone_the_menu_opens_and_tables_scroll_inside_their_box", async |t: &E2e| -> Result<()> {
        let b = t.browser(Screen::Phone).await?;
        b.goto("/").await?;
        ensure!(!b.find(".nav-menu a[href='/signup']").await?.is_displayed().await?, "the menu starts folded");
        b.click(".nav-toggle-label").await?;
        b.wait_until("the menu to open", || async {
            Ok(b.find(".nav-menu a[href='/signup']").await?.is_displayed().await?)
        })
        .await?;
        b.click(".nav-menu a[href='/signup']").await?;
        b.wait_for_path("/signup").await?;
        b.check_page().await?;

        // A table scrolls inside its own box (the products test shows one wider than a phone).
        b.goto("/").await?;
        let overflow = b
            .script("return getComputedStyle(document.querySelector('.table-wrap')).overflowX;")
            .await?;
        ensure!(overflow == "auto", "the table's box scrolls: {overflow}");
        b.check_page().await?;
        let hidden = b
            .script("return [...document.querySelectorAll('th, td')].filter((c) => getComputedStyle(c).display === 'none').length;")
            .await?;
        ensure!(hidden == 0, "no column is hidden on a phone: {hidden}");
        t.keep_screenshot(&b, "home").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn bad_addresses_get_pages_a_person_understands() {
    e2e(
        "bad_addresses_get_pages_a_person_understands",
        async |t: &E2e| -> Result<()> {
            let b = t.browser(Screen::Phone).await?;
            t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            for (path, status, says) in [
                ("/jobs/abc", "400", "There is no page at this address"),
                ("/jobs/999999", "404", "Not Found"),
                (
                    "/account/tokens/1/delete",
                    "405",
                    "cannot be opened that way",
                ),
                // [demo:products begin]
                (
                    "/products?sort=colour",
                    "400",
                    "address has something in it the site cannot read",
                ),
                // [demo:products end]
            ] {
                b.goto(path).await?;
                b.wait_for_text(".error-code", status).await?;
                let page = b.text("main").await?;
                ensure!(page.contains(says), "{path}: {page}");
                for jargon in ["`", "Cannot parse", "header", "i64"] {
                    ensure!(
                        !page.contains(jargon),
                        "{path} shows {jargon:?} to a person: {page}"
                    );
                }
                b.check_page_allowing(&[&format!("status of {status}")])
                    .await?;
            }
            Ok(())
        },
    )
    .await;
}

/// Without JavaScript the menu still opens (it is a checkbox and its label), forms still post and
/// answer with a redirect and a flash.
#[tokio::test]
async fn without_javascript_the_menu_and_the_forms_still_work() {
    e2e(
        "without_javascript_the_menu_and_the_forms_still_work",
        async |t: &E2e| -> Result<()> {
            let b = t.browser_without_scripts(Screen::Phone).await?;
            b.goto("/").await?;
            b.click(".nav-toggle-label").await?;
            b.click(".nav-menu a[href='/login']").await?;
            b.wait_for_path("/login").await?;
            b.fill("#email", ADMIN_EMAIL).await?;
            b.fill("#password", ADMIN_PASSWORD).await?;
            b.click("form.form button[type=submit]").await?;
            b.wait_for_text(".flash", "Signed in as admin@example.com.")
                .await?;
            b.goto("/account").await?;
            b.fill("#token-name", "no script").await?;
            b.click_text(".inline-form", "Create token").await?;
            b.wait_for_text("#new-token", "Copy it now").await?;
            ensure!(b.path().await? == "/account");
            Ok(())
        },
    )
    .await;
}
