//! The todos demo: the page shows what the external API answered, failures in plain words.

use anyhow::{Result, ensure};

use crate::{
    browser::Screen,
    harness::{E2e, e2e},
};

#[tokio::test]
async fn the_todos_page_shows_what_the_upstream_answered_in_plain_words() {
    e2e(
        "the_todos_page_shows_what_the_upstream_answered_in_plain_words",
        async |t: &E2e| -> Result<()> {
            use wiremock::{Mock, ResponseTemplate, matchers};
            Mock::given(matchers::path("/todos/2"))
                .respond_with(ResponseTemplate::new(404))
                .with_priority(1)
                .mount(&t.upstream)
                .await;
            let b = t.browser(Screen::Phone).await?;
            b.goto("/todos?ids=1,2").await?;
            b.wait_for_text(".table-wrap", "Water the plants").await?;
            let alert = b.text(".alert").await?;
            ensure!(alert.contains("#2: there is no such todo."), "{alert}");
            ensure!(
                !alert.contains("todos:") && !alert.contains("(404)"),
                "no client jargon: {alert}"
            );
            b.fill("#ids", "1,abc").await?;
            b.click_text(".inline-form", "Fetch").await?;
            b.wait_for_text("#ids-error", "“abc” is not a todo id")
                .await?;
            b.check_page().await?;
            Ok(())
        },
    )
    .await;
}
