//! The admin as an administrator uses it, on the engine's test table (`test_notes`): add a row
//! (a refused form keeps what was typed), see its history, search the list, tick rows and delete
//! them in bulk after a last look; promote a user.

use anyhow::{Result, ensure};

use crate::{
    browser::Screen,
    harness::{E2e, e2e},
    helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, create_user},
};

#[tokio::test]
async fn an_administrator_adds_finds_and_bulk_deletes_rows_and_promotes_a_user() {
    e2e(
        "an_administrator_adds_finds_and_bulk_deletes_rows_and_promotes_a_user",
        async |t: &E2e| -> Result<()> {
            for body in ["Call the plumber", "Buy tea", "Water the plants"] {
                db::fixtures::create(&t.app.db, t.app.admin, body).await?;
            }
            let b = t.browser(Screen::Desktop).await?;
            t.sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            b.goto("/").await?;
            b.click_text(".nav-menu", "Admin").await?;
            b.wait_for_path("/admin").await?;
            b.check_page().await?;
            b.click_text(".table-wrap", "Notes").await?;
            b.wait_for_path("/admin/test_notes").await?;

            // Adding one: a blank body is refused beside its field, then saved.
            b.click_text(".page-head", "Add note").await?;
            b.fill("#body", "   ").await?;
            b.click_text(".actions", "Save").await?;
            b.wait_for_text(".field .error", "must not be empty")
                .await?;
            b.check_page_allowing(&["status of 422"]).await?;
            b.fill("#body", "Buy more tea").await?;
            b.click_text(".actions", "Save").await?;
            b.wait_for_text(".flash", "Created note").await?;
            b.wait_for_text(".table-wrap", "admin@example.com").await?;
            ensure!(b.text(".details").await?.contains("Buy more tea"));

            // Finding the tea notes, ticking both, deleting them after a last look.
            b.goto("/admin/test_notes").await?;
            b.fill("#q", "TEA").await?;
            b.click_text(".filters", "Filter").await?;
            b.wait_until("the search's two rows", || async {
                Ok(b.find_all("table.list tbody tr").await?.len() == 2)
            })
            .await?;
            b.check_page().await?;
            for checkbox in b.find_all("input[name=ids]").await? {
                checkbox.click().await?;
            }
            b.click_text(".actions", "Delete selected…").await?;
            b.wait_for_text("h1", "Delete 2 notes?").await?;
            b.check_page().await?;
            b.click_text(".actions", "Delete them").await?;
            b.wait_for_text(".flash", "Deleted 2 notes.").await?;
            ensure!(db::fixtures::count(&t.app.db).await? == 2, "two notes left");

            // A user made an administrator from their page.
            let ada = create_user(&t.app.db, "ada@example.com", false).await;
            b.goto("/admin/users?q=ada").await?;
            b.click_text(".table-wrap", &ada.id.to_string()).await?;
            b.click_text(".page-head", "Make administrator").await?;
            b.wait_for_text(".flash", "ada@example.com is an administrator now.")
                .await?;
            ensure!(db::users::get(&t.app.db, ada.id).await?.is_admin);
            b.check_page().await?;
            Ok(())
        },
    )
    .await;
}
