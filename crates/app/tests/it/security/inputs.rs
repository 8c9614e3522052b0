//! S3: templates escape what users type; S9: SQL metacharacters in every filter and form field
//! get a 4xx or a normal answer, never a 500.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn s3_every_template_is_html_and_safe_is_only_on_the_allowlist() {
    let templates = crate::helpers::workspace_path("templates");
    let mut stack = vec![templates];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            assert_eq!(
                path.extension().and_then(|e| e.to_str()),
                Some("html"),
                "{} is not .html, so Tera would not escape it",
                path.display()
            );
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.contains("| safe") || line.contains("|safe") {
                    assert!(
                        line.contains("safe: allowlisted"),
                        "{}:{} uses |safe without the allowlist comment",
                        path.display(),
                        n + 1
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} templates found");
}

const NASTY: [&str; 6] = [
    "' OR '1'='1",
    "1; DROP TABLE products; --",
    "\" OR \"\"=\"",
    "%' --",
    "1) UNION SELECT password_hash FROM users --",
    "\\'; SELECT pg_sleep(1); --",
];

#[tokio::test]
async fn s9_sql_metacharacters_in_every_filter_and_field_never_reach_a_500() {
    let app = spawn_app().await;
    app.create_product("Tea", 100).await; // [demo:products]
    let visitor = app.anonymous();

    for nasty in NASTY {
        let encoded: String = url_encode(nasty);
        let mut statuses = Vec::new();
        for path in [
            format!("/products?page={encoded}"), // [demo:products]
            format!("/products/{encoded}"),      // [demo:products]
            format!("/api/products?limit={encoded}&offset={encoded}"), // [demo:products]
            format!("/api/products/{encoded}"),  // [demo:products]
            format!("/api/test/notes?limit={encoded}"),
            format!("/api/test/notes/{encoded}"),
            format!("/api/todos/summary?ids={encoded}"), // [demo:todos]
            format!("/jobs/{encoded}"),
            format!("/login?next={encoded}"),
        ] {
            statuses.push((path.clone(), app.get(&path).await.status()));
        }
        for (path, form) in [
            ("/products", vec![("name", nasty), ("price", nasty)]), // [demo:products]
            ("/products", vec![("name", nasty), ("price", "1")]),   // [demo:products]
            (
                "/account/password",
                vec![("current_password", nasty), ("new_password", nasty)],
            ),
            ("/account/tokens", vec![("name", nasty)]),
            ("/test/notes", vec![("body", nasty)]),
        ] {
            statuses.push((path.to_owned(), app.post_form(path, &form).await.status()));
        }
        for (path, body) in [
            (
                "/api/auth/login",
                json!({ "email": nasty, "password": nasty }),
            ),
            (
                "/api/auth/signup",
                json!({ "email": nasty, "password": nasty }),
            ),
        ] {
            let response = visitor
                .post(app.url(path))
                .json(&body)
                .send()
                .await
                .unwrap();
            statuses.push((path.to_owned(), response.status()));
        }
        statuses.push((
            "/api/test/notes".into(),
            app.post_json("/api/test/notes", &json!({ "body": nasty }))
                .await
                .status(),
        ));
        // [demo:products begin]
        statuses.push((
            "/api/products".into(),
            app.post_json("/api/products", &json!({ "name": nasty, "price_cents": 1 }))
                .await
                .status(),
        ));
        // [demo:products end]
        // Longer than any column: refused or counted, never a database error.
        let long = format!("{}@example.com", nasty.repeat(200));
        for path in ["/api/auth/login", "/api/auth/signup"] {
            let body = json!({ "email": long, "password": long });
            let response = visitor
                .post(app.url(path))
                .json(&body)
                .send()
                .await
                .unwrap();
            statuses.push((format!("{path} (long)"), response.status()));
        }
        for (path, status) in statuses {
            assert!(
                !status.is_server_error(),
                "{path} with {nasty:?} gave {status}"
            );
        }
    }
    // The bodies were stored as text, and the table is still there.
    let bodies: Vec<String> = db::fixtures::list(&app.db, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.body)
        .collect();
    assert!(bodies.iter().any(|b| b == NASTY[1]));
    assert_eq!(app.get("/api/test/notes").await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/products").await.status(), StatusCode::OK); // [demo:products]
}

fn url_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
