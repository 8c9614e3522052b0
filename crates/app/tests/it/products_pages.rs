//! The HTML pages under /products.

use reqwest::{StatusCode, header};

use crate::helpers::{TestApp, html, spawn_app};

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn product_id(app: &TestApp, name: &str) -> i64 {
    app.create_product(name, 1250).await["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_home_page_links_to_every_part() {
    let app = spawn_app().await;

    let page = html(app.get("/").await, StatusCode::OK).await;

    for link in [
        "/products",
        "/products/stats",
        "/todos", // [demo:todos]
        "/api/products",
        "/health",
        "/ready",
        "/static/app.css",
    ] {
        assert!(
            page.contains(&format!("href=\"{link}\"")),
            "no link to {link}"
        );
    }
}

#[tokio::test]
async fn the_detail_page_shows_the_product_and_unknown_ids_get_a_404_page() {
    let app = spawn_app().await;
    let id = product_id(&app, "Oolong").await;

    let page = html(app.get(&format!("/products/{id}")).await, StatusCode::OK).await;
    let missing = html(app.get("/products/424242").await, StatusCode::NOT_FOUND).await;

    assert!(page.contains("Oolong") && page.contains("12.50"));
    assert!(missing.contains("product 424242 does not exist"));
}

#[tokio::test]
async fn an_invalid_new_product_form_re_renders_with_errors_and_the_input_kept() {
    let app = spawn_app().await;

    let response = app
        .post_form("/products", &[("name", "Kept name"), ("price", "12,50")])
        .await;

    let page = html(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains(r#"value="Kept name""#),
        "the name typed is kept"
    );
    assert!(page.contains(r#"value="12,50""#), "the price typed is kept");
    assert!(page.contains("is not a price"));
    assert_eq!(app.product_count().await, 0);

    let empty = app
        .post_form("/products", &[("name", ""), ("price", "")])
        .await;
    let page = html(empty, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("must not be empty") && page.contains("enter a price"));
}

#[tokio::test]
async fn a_valid_new_product_form_creates_it_and_redirects_to_it() {
    let app = spawn_app().await;

    let response = app
        .post_form("/products", &[("name", "Sencha"), ("price", "7.5")])
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = html(app.get(&location(&response)).await, StatusCode::OK).await;
    assert!(page.contains("Sencha") && page.contains("7.50"));
}

#[tokio::test]
async fn the_edit_form_saves_with_the_version_it_was_opened_at() {
    let app = spawn_app().await;
    let id = product_id(&app, "Sencha").await;
    let form = html(
        app.get(&format!("/products/{id}/edit")).await,
        StatusCode::OK,
    )
    .await;
    assert!(form.contains(r#"name="version" value="1""#));

    let response = app
        .post_form(
            &format!("/products/{id}/edit"),
            &[("name", "Gyokuro"), ("price", "20"), ("version", "1")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/products/{id}"));
    let product = db::products::get(&app.db, id).await.unwrap();
    assert_eq!(
        (product.name.as_str(), product.price_cents, product.version),
        ("Gyokuro", 2000, 2)
    );
}

#[tokio::test]
async fn a_stale_edit_is_409_and_keeps_the_users_input_beside_the_current_values() {
    let app = spawn_app().await;
    let id = product_id(&app, "Sencha").await;
    app.post_form(
        &format!("/products/{id}/edit"),
        &[("name", "Theirs"), ("price", "1"), ("version", "1")],
    )
    .await;

    let response = app
        .post_form(
            &format!("/products/{id}/edit"),
            &[("name", "Mine"), ("price", "2"), ("version", "1")],
        )
        .await;

    let page = html(response, StatusCode::CONFLICT).await;
    assert!(page.contains("Someone else saved this product"));
    assert!(page.contains(r#"value="Mine""#), "the user's input is kept");
    assert!(page.contains("Theirs"), "the current value is shown");
    assert!(
        page.contains(r#"name="version" value="2""#),
        "saving again is now possible"
    );
    assert_eq!(db::products::get(&app.db, id).await.unwrap().name, "Theirs");
}

#[tokio::test]
async fn an_invalid_edit_re_renders_with_errors() {
    let app = spawn_app().await;
    let id = product_id(&app, "Sencha").await;

    let response = app
        .post_form(
            &format!("/products/{id}/edit"),
            &[("name", " "), ("price", "-3"), ("version", "1")],
        )
        .await;

    let page = html(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("must not be empty") && page.contains("must be zero or more"));
    assert_eq!(db::products::get(&app.db, id).await.unwrap().name, "Sencha");
}

#[tokio::test]
async fn delete_asks_for_confirmation_then_deletes() {
    let app = spawn_app().await;
    let id = product_id(&app, "Sencha").await;

    let confirm = html(
        app.get(&format!("/products/{id}/delete")).await,
        StatusCode::OK,
    )
    .await;
    assert!(confirm.contains("Delete “Sencha”?"));
    assert!(
        db::products::get(&app.db, id).await.is_ok(),
        "GET changes nothing"
    );

    let response = app
        .post_form(&format!("/products/{id}/delete"), &[("version", "1")])
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/products");
    assert!(matches!(
        db::products::get(&app.db, id).await,
        Err(db::Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_product_name_with_markup_is_escaped_on_every_page() {
    let app = spawn_app().await;
    let id = product_id(&app, "<script>alert(1)</script>").await;

    for path in [
        "/products".to_owned(),
        format!("/products/{id}"),
        format!("/products/{id}/edit"),
        format!("/products/{id}/delete"),
    ] {
        let page = html(app.get(&path).await, StatusCode::OK).await;
        assert!(
            !page.contains("<script>alert(1)</script>"),
            "{path} renders raw markup"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
            "{path} lacks the escaped name"
        );
    }
}

#[tokio::test]
async fn the_stylesheet_is_served_with_cache_headers() {
    let app = spawn_app().await;

    let response = app.get("/static/app.css").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        response.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(response.headers().contains_key(header::LAST_MODIFIED));
    let missing = app.get("/static/nope.css").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        !missing.headers().contains_key(header::CACHE_CONTROL),
        "a 404 is not cached"
    );
}

const SCRIPT: &str = "<script>alert(1)</script>";

#[tokio::test]
async fn s3_a_product_named_like_a_script_is_escaped_on_every_page_that_shows_it() {
    let app = spawn_app().await;
    let id = app.create_product(SCRIPT, 100).await["id"]
        .as_i64()
        .unwrap();
    // The export's job page and a flash message show names too.
    let created = app
        .post_form("/products", &[("name", SCRIPT), ("price", "2")])
        .await;
    let flash_page = created.headers()["location"].to_str().unwrap().to_owned();

    for path in [
        "/products".to_owned(),
        format!("/products/{id}"),
        format!("/products/{id}/edit"),
        format!("/products/{id}/delete"),
        flash_page,
    ] {
        let page = app.get(&path).await.text().await.unwrap();
        assert!(!page.contains(SCRIPT), "{path} shows the raw script");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
            "{path} does not show the name escaped"
        );
    }
    // A form that re-renders with the input keeps it escaped too.
    let invalid = app
        .post_form("/products", &[("name", SCRIPT), ("price", "cheap")])
        .await;
    let page = invalid.text().await.unwrap();
    assert!(!page.contains(SCRIPT));
}
