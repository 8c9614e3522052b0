//! Lists paged by cursor: `/api/products` and `/products`.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, html, problem, spawn_app};

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

/// Reads a list page: the body, and the `Link` header's targets by relation.
async fn list(app: &TestApp, query: &str) -> (Value, Vec<(String, String)>) {
    let response = app.get(&format!("/api/products?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let links = response
        .headers()
        .get(header::LINK)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
        .split(", ")
        .filter_map(|part| {
            let (target, rel) = part.split_once(">; rel=\"")?;
            Some((
                rel.trim_end_matches('"').to_owned(),
                target.trim_start_matches('<').to_owned(),
            ))
        })
        .collect();
    (response.json().await.unwrap(), links)
}

fn link<'a>(links: &'a [(String, String)], rel: &str) -> Option<&'a str> {
    links
        .iter()
        .find(|(r, _)| r == rel)
        .map(|(_, target)| target.as_str())
}

#[tokio::test]
async fn the_list_is_newest_first_and_paged_by_cursor() {
    let app = spawn_app().await;
    for name in ["a", "b", "c"] {
        app.create_product(name, 100).await;
    }

    let (first, links) = list(&app, "limit=2").await;
    assert_eq!(names(&first), ["c", "b"]);
    assert_eq!(
        (first["limit"].as_u64(), first["sort"].as_str()),
        (Some(2), Some("-id"))
    );
    assert_eq!(first["prev_cursor"], Value::Null);
    let next = first["next_cursor"].as_str().unwrap();
    assert_eq!(
        link(&links, "next"),
        Some(format!("/api/products?sort=-id&limit=2&after={next}").as_str())
    );
    assert_eq!(link(&links, "prev"), None);
    assert_eq!(
        link(&links, "first"),
        Some("/api/products?sort=-id&limit=2")
    );

    // The Link header's target is all a client needs.
    let target = link(&links, "next").unwrap();
    let (second, links) = list(&app, target.split_once('?').unwrap().1).await;
    assert_eq!(names(&second), ["a"]);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(link(&links, "next"), None);

    let prev = second["prev_cursor"].as_str().unwrap();
    let (back, _) = list(&app, &format!("limit=2&before={prev}")).await;
    assert_eq!(names(&back), ["c", "b"]);
    assert_eq!(back["prev_cursor"], Value::Null, "back on the first page");
}

#[tokio::test]
async fn rows_added_between_two_pages_shift_nothing() {
    let app = spawn_app().await;
    for name in ["a", "b", "c", "d", "e"] {
        app.create_product(name, 100).await;
    }

    let (first, _) = list(&app, "limit=2").await;
    app.create_product("new", 100).await;
    let after = first["next_cursor"].as_str().unwrap();
    let (second, _) = list(&app, &format!("limit=2&after={after}")).await;

    assert_eq!(names(&first), ["e", "d"]);
    assert_eq!(
        names(&second),
        ["c", "b"],
        "no row seen twice, none skipped"
    );
}

/// Walks every page forwards, then from the last page backwards, for every order the list offers.
#[tokio::test]
async fn every_order_walks_the_whole_list_both_ways() {
    let app = spawn_app().await;
    // Repeated names and prices: the id breaks the ties.
    for (name, cents) in [("b", 300), ("a", 100), ("b", 100), ("c", 200), ("a", 300)] {
        app.create_product(name, cents).await;
    }
    db::products::seed_demo(&app.db, 12).await.unwrap();
    let all: Vec<Value> = db::products::batch_after(&app.db, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|p| json!(p))
        .collect();

    for order in db::products::ORDERS {
        let mut expected = all.clone();
        let key = |p: &Value| match order.name.trim_start_matches('-') {
            "id" => (json!(null), p["id"].as_i64().unwrap()),
            field => (p[field].clone(), p["id"].as_i64().unwrap()),
        };
        expected.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            let by_key = match (&ka.0, &kb.0) {
                (Value::String(x), Value::String(y)) => x.cmp(y),
                (x, y) => x.as_i64().cmp(&y.as_i64()),
            };
            by_key.then(ka.1.cmp(&kb.1))
        });
        if order.descending {
            expected.reverse();
        }
        let expected: Vec<i64> = expected.iter().map(|p| p["id"].as_i64().unwrap()).collect();

        let mut seen = Vec::new();
        let mut pages = Vec::new();
        let mut query = format!("limit=4&sort={}", order.name);
        loop {
            let (page, _) = list(&app, &query).await;
            seen.extend(ids(&page));
            pages.push(ids(&page));
            match page["next_cursor"].as_str() {
                Some(next) => query = format!("limit=4&after={next}"),
                None => break,
            }
        }
        assert_eq!(seen, expected, "sort={}", order.name);

        // Backwards from the last page, by `before`, gives the same pages in reverse.
        let (mut page, _) = list(&app, &query).await;
        let mut back = vec![ids(&page)];
        while let Some(prev) = page["prev_cursor"].as_str() {
            page = list(&app, &format!("limit=4&before={prev}")).await.0;
            back.push(ids(&page));
        }
        back.reverse();
        assert_eq!(back, pages, "sort={} backwards", order.name);
    }
}

#[tokio::test]
async fn the_list_defaults_to_twenty_items() {
    let app = spawn_app().await;
    db::products::seed_demo(&app.db, 25).await.unwrap();

    let (page, _) = list(&app, "").await;

    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    assert_eq!(page["limit"], 20);
    assert!(
        page.get("total").is_none(),
        "nothing counts the table per request"
    );
}

#[tokio::test]
async fn offsets_and_cursors_that_are_not_ours_are_400_with_what_to_send() {
    let app = spawn_app().await;
    app.create_product("Tea", 100).await;
    app.create_product("Coffee", 100).await;
    let (by_name, _) = list(&app, "limit=1&sort=name").await;
    let name_cursor = by_name["next_cursor"].as_str().unwrap().to_owned();
    let forged = |json: &str| URL_SAFE_NO_PAD.encode(json);

    for (query, says) in [
        ("offset=20".to_owned(), "paged by cursor"),
        ("offset=9223372036854775808".to_owned(), "paged by cursor"),
        ("after=not-a-cursor".to_owned(), "not a cursor"),
        (format!("after={}", "A".repeat(5000)), "not a cursor"),
        (
            format!("after={name_cursor}&before={name_cursor}"),
            "not both",
        ),
        ("sort=colour".to_owned(), "must be one of -id, id, name"),
        (
            format!("sort=price_cents&after={name_cursor}"),
            "belongs to the order `name`",
        ),
        // Well-formed but forged: a number where the order keeps text, a key the id order has
        // not, an order the list does not offer.
        (
            format!("after={}", forged(r#"{"o":"name","k":5,"i":1}"#)),
            "does not fit",
        ),
        (
            format!("after={}", forged(r#"{"o":"-id","k":"x","i":1}"#)),
            "does not fit",
        ),
        (
            format!("after={}", forged(r#"{"o":"colour","i":1}"#)),
            "must be one of",
        ),
    ] {
        let body = problem(
            app.get(&format!("/api/products?{query}")).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{query}: {detail}");
    }
}

/// Un-escapes what Tera escapes in an attribute, to follow a link from a page.
fn href_after(page: &str, marker: &str) -> Option<String> {
    let end = page.find(marker)?;
    let start = page[..end].rfind("href=\"")? + "href=\"".len();
    let raw = &page[start..end];
    let raw = raw.trim_end_matches('"').trim_end();
    let raw = raw.strip_suffix('"').unwrap_or(raw);
    Some(raw.replace("&#x2F;", "/").replace("&amp;", "&"))
}

#[tokio::test]
async fn the_html_list_pages_by_next_and_previous_links() {
    let app = spawn_app().await;
    db::products::seed_demo(&app.db, 25).await.unwrap();

    let first = html(app.get("/products").await, StatusCode::OK).await;
    let rows = |page: &str| page.matches("<tr>").count() - 1; // minus the header row
    assert!(first.contains("<table"));
    assert_eq!(rows(&first), 20);
    assert!(first.contains("Demo product 00025"), "newest first");
    assert!(!first.contains("rel=\"prev\""));

    let next = href_after(&first, " rel=\"next\"").unwrap();
    let second = html(app.get(&next).await, StatusCode::OK).await;
    assert_eq!(rows(&second), 5);
    assert!(second.contains("Demo product 00001"));
    assert!(!second.contains("rel=\"next\""));

    let prev = href_after(&second, " rel=\"prev\"").unwrap();
    let back = html(app.get(&prev).await, StatusCode::OK).await;
    assert_eq!(rows(&back), 20);
    assert!(back.contains("Demo product 00025"));
}

#[tokio::test]
async fn the_html_list_sorts_by_its_column_headers() {
    let app = spawn_app().await;
    for (name, cents) in [("Mid", 500), ("Cheap", 100), ("Dear", 900)] {
        app.create_product(name, cents).await;
    }
    let order = |page: &str| {
        let mut found: Vec<(usize, &str)> = ["Mid", "Cheap", "Dear"]
            .into_iter()
            .map(|n| (page.find(&format!(">{n}</a>")).unwrap(), n))
            .collect();
        found.sort();
        found.into_iter().map(|(_, n)| n).collect::<Vec<_>>()
    };

    let by_price = html(app.get("/products?sort=price_cents").await, StatusCode::OK).await;
    let by_name_desc = html(app.get("/products?sort=-name").await, StatusCode::OK).await;

    assert_eq!(order(&by_price), ["Cheap", "Mid", "Dear"]);
    assert!(by_price.contains("aria-sort=\"ascending\""));
    assert!(
        by_price.contains("href=\"/products?sort=-price_cents\""),
        "a second click reverses"
    );
    assert_eq!(order(&by_name_desc), ["Mid", "Dear", "Cheap"]);
}

#[tokio::test]
async fn the_html_list_shows_the_count_of_the_last_report_never_counting_per_request() {
    let app = spawn_app().await;
    db::products::seed_demo(&app.db, 25).await.unwrap();

    // No report computed yet: no count, and the page does not wait for one.
    let before = html(app.get("/products").await, StatusCode::OK).await;
    html(app.get("/products/stats").await, StatusCode::OK).await;
    let after = html(app.get("/products").await, StatusCode::OK).await;

    assert!(!before.contains("in all"));
    assert!(after.contains("25 products in all"), "{after}");
}

#[tokio::test]
async fn bad_cursors_and_sorts_get_styled_400_pages_and_old_page_numbers_are_ignored() {
    let app = spawn_app().await;
    app.create_product("Tea", 100).await;

    let cursor = html(
        app.get("/products?after=garbage").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let sort = html(
        app.get("/products?sort=colour").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let old = html(
        app.get("/products?page=9223372036854775807").await,
        StatusCode::OK,
    )
    .await;

    // A page speaks to a person; the programmer's detail is in the API's problem body and the log.
    for page in [&cursor, &sort] {
        assert!(
            page.contains("address has something in it the site cannot"),
            "{page}"
        );
        assert!(!page.contains('`'), "{page}");
    }
    assert!(
        old.contains(">Tea</a>"),
        "a bookmarked page number shows the first page"
    );
    for page in [&cursor, &sort] {
        assert!(
            page.contains("/static/app.css"),
            "error pages use the layout"
        );
    }
}

/// The SQLite readers (or the PostgreSQL read pool) answer the products list as the pool does.
#[tokio::test]
async fn the_readers_answer_every_list_order_as_the_pool_does() {
    let app = spawn_app().await;
    app.create_product("Thé “vert” & <b>", 0).await;
    db::products::seed_demo(&app.db, 30).await.unwrap();
    let mut config = db::DbConfig::new(app.database_url());
    config.readers = 2;
    let reads = db::Reads::open(&app.db, &config).unwrap();

    for order in db::products::ORDERS {
        let mut position = db::list::Position::First;
        loop {
            let ours = db::products::list(&reads, order, 7, &position)
                .await
                .unwrap();
            let pool = db::products::list(&app.db, order, 7, &position)
                .await
                .unwrap();
            assert_eq!(ours, pool, "sort={}", order.name);
            match ours.next {
                Some(next) => position = db::list::Position::After(next),
                None => break,
            }
        }
    }
    let first = db::products::batch_after(&app.db, 0, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(db::products::get(&reads, first.id).await.unwrap(), first);
    assert!(matches!(
        db::products::get(&reads, i64::MAX).await,
        Err(db::Error::NotFound { .. })
    ));
}
