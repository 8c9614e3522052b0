//! Products in the admin (the products demo): the same checks and audit rows as the API, the
//! list's orders and search over the product's own columns.

use reqwest::StatusCode;

use crate::helpers::{html, spawn_app};

#[tokio::test]
async fn products_are_listed_sorted_edited_and_created_through_their_queries() {
    let app = spawn_app().await;
    let tea = app.create_product("Green tea", 450).await["id"]
        .as_i64()
        .unwrap();
    let coffee = app.create_product("Coffee", 1299).await["id"]
        .as_i64()
        .unwrap();

    let by_price = html(
        app.get("/admin/products?sort=-price_cents").await,
        StatusCode::OK,
    )
    .await;
    let (c, t) = (
        by_price
            .find(&format!("href=\"/admin/products/{coffee}\""))
            .unwrap(),
        by_price
            .find(&format!("href=\"/admin/products/{tea}\""))
            .unwrap(),
    );
    assert!(c < t, "dearest first");
    let searched = html(app.get("/admin/products?q=TEA").await, StatusCode::OK).await;
    assert!(searched.contains("Green tea") && !searched.contains("Coffee"));

    // The API's rules: a negative price is refused beside its field, the name kept.
    let path = format!("/admin/products/{tea}/edit");
    let refused = app
        .post_form(
            &path,
            &[
                ("name", "Green tea"),
                ("price_cents", "-5"),
                ("version", "1"),
            ],
        )
        .await;
    let page = html(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("must be zero or more (got -5)") && page.contains("Green tea"));
    let saved = app
        .post_form(
            &path,
            &[("name", "Sencha"), ("price_cents", "500"), ("version", "1")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let product = db::products::get(&app.db, tea).await.unwrap();
    assert_eq!(
        (product.name.as_str(), product.price_cents, product.version),
        ("Sencha", 500, 2)
    );
    let page = html(
        app.get(&format!("/admin/products/{tea}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        page.contains("&quot;Green tea&quot; → &quot;Sencha&quot;"),
        "{page}"
    );

    let created = app
        .post_form(
            "/admin/products",
            &[("name", "Cocoa"), ("price_cents", "300")],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.product_count().await, 3);
    let not_a_number = app
        .post_form(
            "/admin/products",
            &[("name", "Cocoa"), ("price_cents", "3.5")],
        )
        .await;
    let page = html(not_a_number, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("is not a whole number"));
}
