//! The resource pattern as a person uses it: create (with errors kept), edit, a stale edit from
//! a second browser, delete; and browsing the list page by page.

use anyhow::{Result, ensure};

use crate::{
    browser::{Browser, Screen},
    harness::{E2e, e2e},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD},
};

async fn submit(b: &Browser, label: &str) -> Result<()> {
    b.click_text(".actions", label).await
}

#[tokio::test]
async fn a_visitor_browses_products_page_by_page_and_sorts_them() {
    e2e(
        "a_visitor_browses_products_page_by_page_and_sorts_them",
        async |t: &E2e| -> Result<()> {
            for i in 0..25 {
                t.app
                    .create_product(&format!("Lamp {i:02}"), 1000 + i)
                    .await;
            }
            let b = t.browser(Screen::Desktop).await?;
            b.goto("/").await?;
            b.check_page().await?;
            b.click_text(".hero", "Browse the demo products").await?;
            b.wait_for_path("/products").await?;
            ensure!(
                b.find_all("table.list tbody tr").await?.len() == 20,
                "20 on the first page"
            );
            ensure!(
                b.text("table.list tbody tr:first-child")
                    .await?
                    .contains("Lamp 24"),
                "newest first"
            );
            b.check_page().await?;

            b.click("a[rel=next]").await?;
            b.wait_until("the second page", || async {
                Ok(b.find_all("table.list tbody tr").await?.len() == 5)
            })
            .await?;
            ensure!(
                b.text("table.list tbody").await?.contains("Lamp 00"),
                "the oldest last"
            );
            b.click("a[rel=prev]").await?;
            b.wait_until("the first page again", || async {
                Ok(b.find_all("table.list tbody tr").await?.len() == 20)
            })
            .await?;

            // Sorting by a column, then opening a product.
            b.click_text(".table-wrap", "Price").await?;
            b.wait_for_path("/products?sort=price_cents").await?;
            ensure!(
                b.text("table.list tbody tr:first-child")
                    .await?
                    .contains("Lamp 00"),
                "cheapest first"
            );
            b.click_text(".table-wrap", "Lamp 00").await?;
            b.wait_for_text("h1", "Lamp 00").await?;
            ensure!(b.text(".details").await?.contains("10.00"));
            ensure!(
                b.find_all("form[action$='/image']").await?.is_empty(),
                "a visitor gets no upload form"
            );
            b.check_page().await?;

            // On a phone every column stays (the table scrolls in its box if it must), and the
            // page itself never scrolls sideways.
            let phone = t.browser(Screen::Phone).await?;
            phone.goto("/products").await?;
            let hidden = phone
                .script("return [...document.querySelectorAll('th, td')].filter((c) => getComputedStyle(c).display === 'none').length;")
                .await?;
            ensure!(hidden == 0, "no column is hidden on a phone: {hidden}");
            phone.check_page().await?;
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_product_is_created_edited_survives_a_stale_edit_and_is_deleted() {
    e2e(
        "a_product_is_created_edited_survives_a_stale_edit_and_is_deleted",
        async |t: &E2e| -> Result<()> {
            let b = t.browser(Screen::Desktop).await?;
            t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            b.goto("/products").await?;
            b.click_text(".page-head", "New product").await?;
            b.wait_for_path("/products/new").await?;

            // Bad input: the page comes back with the field errors and what was typed.
            b.fill("#name", "Desk lamp").await?;
            b.fill("#price", "twelve").await?;
            submit(&b, "Create").await?;
            b.wait_for_text(".alert", "Please fix the fields").await?;
            ensure!(
                !b.text("#price-error").await?.is_empty(),
                "the price says what is wrong"
            );
            ensure!(
                b.find("#name").await?.prop("value").await?.as_deref() == Some("Desk lamp"),
                "the name is kept"
            );
            ensure!(
                b.find("#price").await?.prop("value").await?.as_deref() == Some("twelve"),
                "the price is kept"
            );
            b.check_page_allowing(&["status of 422"]).await?;

            b.fill("#price", "12.50").await?;
            submit(&b, "Create").await?;
            b.wait_for_text(".flash", "Product “Desk lamp” created.")
                .await?;
            let path = b.path().await?;
            ensure!(
                path.starts_with("/products/"),
                "on the new product's page: {path}"
            );
            ensure!(b.text(".details").await?.contains("12.50"));
            b.check_page().await?;

            // Two browsers open the edit form; the second saves first.
            let other = t.browser(Screen::Phone).await?;
            t.sign_in(&other, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            b.goto(&format!("{path}/edit")).await?;
            other.goto(&format!("{path}/edit")).await?;
            other.fill("#price", "14.00").await?;
            submit(&other, "Save").await?;
            other.wait_for_text(".flash", "saved").await?;

            b.fill("#name", "Desk lamp, brass").await?;
            submit(&b, "Save").await?;
            b.wait_for_text(".alert", "Someone else saved this product")
                .await?;
            ensure!(
                b.text(".alert").await?.contains("14.00"),
                "their version is shown"
            );
            ensure!(
                b.find("#name").await?.prop("value").await?.as_deref() == Some("Desk lamp, brass"),
                "my change is kept on the page"
            );
            b.check_page_allowing(&["status of 409"]).await?;
            submit(&b, "Save").await?;
            b.wait_for_text(".flash", "saved").await?;
            ensure!(b.text("h1").await? == "Desk lamp, brass");

            b.click_text(".actions", "Delete").await?;
            b.wait_for_text("h1", "Delete “Desk lamp, brass”?").await?;
            b.check_page().await?;
            b.click_text(".actions", "Delete").await?;
            b.wait_for_text(".flash", "Product deleted.").await?;
            ensure!(b.path().await? == "/products");
            ensure!(t.app.product_count().await == 0);
            b.check_page().await?;
            Ok(())
        },
    )
    .await;
}
