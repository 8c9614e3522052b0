//! The integration tests `app generate resource` writes in `crates/app/tests/it/NAME.rs`: they
//! run on SQLite, and on PostgreSQL with `TEST_DATABASE_URL`.

use std::fmt::Write;

use super::{Field, Kind, Resource};

/// A valid JSON value for `f` in the `n`th sample (`n` keeps unique fields unique).
fn sample_json(r: &Resource, f: &Field) -> String {
    match &f.kind {
        Kind::String => "format!(\"Sample {n}\")".into(),
        Kind::Text => "format!(\"Some text,\\nnumber {n}\")".into(),
        Kind::Int => "40 + n".into(),
        Kind::BigInt => "4_200_000_000_i64 + i64::from(n)".into(),
        Kind::Bool => "true".into(),
        Kind::Float => "f64::from(n) + 0.5".into(),
        Kind::Date => "format!(\"2026-01-{:02}\", n % 28 + 1)".into(),
        Kind::DateTime => "format!(\"2026-01-31T12:{:02}:00Z\", n % 60)".into(),
        Kind::Uuid => "format!(\"67e55044-10b1-426f-9247-{n:012}\")".into(),
        Kind::Ref(other) if other == &r.name => "Value::Null".into(),
        Kind::Ref(other) if other == "users" => "app.admin.user_id".into(),
        Kind::Ref(other) => format!("{other}_row[\"id\"].clone()"),
    }
}

/// The same sample as a form sends it.
fn sample_form(r: &Resource, f: &Field) -> String {
    match &f.kind {
        Kind::String | Kind::Text | Kind::Date | Kind::Uuid => sample_json(r, f),
        Kind::Int | Kind::BigInt => format!("({}).to_string()", sample_json(r, f)),
        Kind::Bool if f.optional => "\"yes\".to_owned()".into(),
        Kind::Bool => "\"true\".to_owned()".into(),
        Kind::Float => "format!(\"{n}.5\")".into(),
        Kind::DateTime => "format!(\"2026-01-31T12:{:02}\", n % 60)".into(),
        Kind::Ref(other) if other == &r.name => "String::new()".into(),
        Kind::Ref(other) if other == "users" => "app.admin.user_id.to_string()".into(),
        Kind::Ref(other) => format!("{other}_row[\"id\"].to_string()"),
    }
}

/// `let OTHER_row = …;` for each resource the sample refers to.
fn parents(r: &Resource) -> String {
    let mut out = String::new();
    let mut seen: Vec<&str> = Vec::new();
    for f in &r.fields {
        if let Kind::Ref(other) = &f.kind
            && other != &r.name
            && other != "users"
            && !seen.contains(&other.as_str())
        {
            seen.push(other);
            let _ = writeln!(
                out,
                "    let {other}_row = crate::{other}::create_sample(app, n).await;"
            );
        }
    }
    out
}

/// A JSON value the API refuses for `f`, as a Rust expression.
fn bad_json(f: &Field) -> &'static str {
    match f.kind {
        Kind::String => "json!(\"x\".repeat(201))",
        Kind::Text => "json!(\"x\".repeat(10_001))",
        Kind::Int => "json!(3_000_000_000_i64)",
        Kind::BigInt | Kind::Float => "json!(\"many\")",
        Kind::Bool => "json!(\"maybe\")",
        Kind::Date => "json!(\"2026-13-45\")",
        Kind::DateTime => "json!(\"tomorrow\")",
        Kind::Uuid => "json!(\"not-a-uuid\")",
        Kind::Ref(_) => "json!(999_999_999)",
    }
}

/// A form value refused for `f`, and words of the message that says why.
fn bad_form(f: &Field) -> Option<(&'static str, &'static str)> {
    Some(match f.kind {
        Kind::String => ("\"x\".repeat(201)", "at most 200 characters"),
        Kind::Text => ("\"x\".repeat(10_001)", "at most 10000 characters"),
        Kind::Int | Kind::BigInt | Kind::Ref(_) => ("\"4.2\".to_owned()", "not a whole number"),
        Kind::Float => ("\"many\".to_owned()", "not a number"),
        Kind::Date => ("\"2026-13-45\".to_owned()", "not a date"),
        Kind::DateTime => ("\"tomorrow\".to_owned()", "not a date and time"),
        Kind::Uuid => ("\"abc\".to_owned()", "not a UUID"),
        Kind::Bool if f.optional => ("\"maybe\".to_owned()", "not a choice"),
        Kind::Bool => return None,
    })
}

/// A JSON value different from every sample, for the update test.
fn changed_json(f: &Field) -> &'static str {
    match f.kind {
        Kind::String => "json!(\"Changed\")",
        Kind::Text => "json!(\"Changed text\")",
        Kind::Int => "json!(7)",
        Kind::BigInt => "json!(7_000_000_000_i64)",
        Kind::Bool => "json!(false)",
        Kind::Float => "json!(9.25)",
        Kind::Date => "json!(\"2027-03-04\")",
        Kind::DateTime => "json!(\"2027-03-04T05:06:07Z\")",
        Kind::Uuid => "json!(\"00000000-0000-4000-8000-000000000001\")",
        Kind::Ref(_) => "json!(null)",
    }
}

pub(super) fn tests(r: &Resource) -> String {
    let json_fields: String = r
        .fields
        .iter()
        .map(|f| format!("        \"{}\": {},\n", f.name, sample_json(r, f)))
        .collect();
    let form_fields: String = r
        .fields
        .iter()
        .map(|f| format!("        (\"{}\", {}),\n", f.name, sample_form(r, f)))
        .collect();
    let bad_cases: String = r
        .fields
        .iter()
        .map(|f| format!("        (\"{}\", {}),\n", f.name, bad_json(f)))
        .collect();
    // The field the update test changes: the first that is not a reference.
    let (changed, changed_value) = r
        .fields
        .iter()
        .find(|f| !matches!(f.kind, Kind::Ref(_)))
        .map_or_else(
            || (r.fields[0].name.clone(), "json!(created[\"id\"].clone())"),
            |f| (f.name.clone(), changed_json(f)),
        );
    let changed_value = if r.fields.iter().all(|f| matches!(f.kind, Kind::Ref(_))) {
        // Only references: point at another sample's parent.
        "json!(create_sample(&app, 2).await[FIELD].clone())"
            .replace("FIELD", &format!("\"{changed}\""))
    } else {
        changed_value.to_owned()
    };
    let required = r
        .fields
        .iter()
        .find(|f| !f.optional)
        .map(|f| f.name.clone());
    let missing_case = required.map_or_else(String::new, |field| {
        format!(
            "\n    let mut missing = valid.clone();\n    missing.as_object_mut().unwrap().remove(\"{field}\");\n    let body = problem(app.post_json(API, &missing).await, StatusCode::UNPROCESSABLE_ENTITY).await;\n    assert!(body.to_string().contains(\"{field}\"), \"{{body}}\");\n"
        )
    });

    let form_value = if r.title_field().is_some() {
        FORM_VALUE
    } else {
        ""
    };
    // A sample made of yes/no fields and references to users needs neither its number nor the app.
    let uses_n = r.fields.iter().any(|f| match &f.kind {
        Kind::Bool => false,
        Kind::Ref(other) => other != &r.name && other != "users",
        _ => true,
    });
    let uses_app = r.fields.iter().any(|f| match &f.kind {
        Kind::Ref(other) => other != &r.name,
        _ => false,
    });
    let params = format!(
        "{}: &TestApp, {}: i32",
        if uses_app { "app" } else { "_app" },
        if uses_n { "n" } else { "_n" }
    );
    let mut out = r
        .fill(HEAD)
        .replace("__SAMPLE_PARAMS__", &params)
        .replace("__FORM_VALUE__", form_value)
        .replace("__PARENTS__", &parents(r))
        .replace("__JSON_FIELDS__", &json_fields)
        .replace("__FORM_FIELDS__", &form_fields);
    out.push_str(
        &r.fill(API_TESTS)
            .replace("__CHANGED__", &changed)
            .replace("__CHANGED_VALUE__", &changed_value)
            .replace("__BAD_CASES__", &bad_cases)
            .replace("__MISSING_CASE__", &missing_case),
    );
    let invalid_form = r.fields.iter().find_map(|f| {
        bad_form(f).map(|(value, says)| {
            format!(
                "\n    let bad = {value};\n    let mut invalid = form.clone();\n    set(&mut invalid, \"{}\", &bad);\n    let page = html(post_form(&app, &app.client, PAGES, &invalid, true).await, StatusCode::UNPROCESSABLE_ENTITY).await;\n    assert!(page.contains(&bad), \"the input is kept\");\n    assert!(page.contains(\"{says}\"), \"the field's error is shown\");\n    assert_eq!(count(&app).await, 0);\n",
                f.name
            )
        })
    });
    let shown = match r.title_field() {
        Some(f) => format!("page.contains(form_value(&form, \"{}\"))", f.name),
        None => "page.contains(&format!(\"#{}\", path.rsplit('/').next().unwrap()))".to_owned(),
    };
    out.push_str(
        &r.fill(PAGE_TESTS)
            .replace("__INVALID_FORM__", &invalid_form.unwrap_or_default())
            .replace("__SHOWN__", &shown),
    );
    out.push_str(&r.fill(ADMIN_TESTS));
    if let Some(f) = r.fields.iter().find(|f| f.is_text()) {
        let list = if f.kind == Kind::String {
            "\n    let list = html(app.get(PAGES).await, StatusCode::OK).await;\n    assert!(!list.contains(\"<script>alert\") && list.contains(\"&lt;script&gt;\"), \"the list escapes it\");"
        } else {
            ""
        };
        out.push_str(
            &r.fill(ESCAPING)
                .replace("__FIELD__", &f.name)
                .replace("__LIST__", list),
        );
    }
    if let Some(f) = r.fields.iter().find(|f| f.unique) {
        out.push_str(&r.fill(UNIQUE).replace("__FIELD__", &f.name));
    }
    out
}

const HEAD: &str = r#"//! __Labels__ (written by `app generate resource`): the JSON API and the pages, on SQLite and (with
//! `TEST_DATABASE_URL`) on PostgreSQL.

use db::entities::audit_log;
use reqwest::{StatusCode, header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, html, problem, spawn_app};

const API: &str = "/api/__name__";
const PAGES: &str = "/__name__";

/// The body of a valid `POST /api/__name__`, the `n`th of its kind (creating what it refers to).
pub(crate) async fn sample(__SAMPLE_PARAMS__) -> Value {
__PARENTS__    json!({
__JSON_FIELDS__    })
}

/// Creates the `n`th sample through the API and returns its JSON.
pub(crate) async fn create_sample(app: &TestApp, n: i32) -> Value {
    let body = sample(app, n).await;
    let response = app.post_json(API, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// The `n`th sample as the new-__label__ form sends it.
async fn sample_form(__SAMPLE_PARAMS__) -> Vec<(&'static str, String)> {
__PARENTS__    vec![
__FORM_FIELDS__    ]
}

fn set(form: &mut Vec<(&'static str, String)>, field: &'static str, value: &str) {
    form.retain(|(name, _)| *name != field);
    form.push((field, value.to_owned()));
}

__FORM_VALUE__
/// Posts `form` with `client`, adding the administrator's CSRF token if `with_token`.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&'static str, String)],
    with_token: bool,
) -> reqwest::Response {
    let mut pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if with_token {
        pairs.push(("csrf_token", &app.csrf));
    }
    client.post(app.url(path)).form(&pairs).send().await.unwrap()
}

async fn count(app: &TestApp) -> u64 {
    db::__name__::count(&app.db).await.unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}
"#;

const FORM_VALUE: &str = r#"
fn form_value<'a>(form: &'a [(&'static str, String)], field: &str) -> &'a str {
    form.iter()
        .find(|(name, _)| *name == field)
        .map_or("", |(_, value)| value.as_str())
}
"#;

const API_TESTS: &str = r#"
#[tokio::test]
async fn the_api_creates_reads_updates_and_deletes_with_an_audit_row_each() {
    let app = spawn_app().await;
    let body = sample(&app, 1).await;

    let response = app.post_json(API, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let path = location(&response);
    let created: Value = response.json().await.unwrap();
    assert_eq!(path, format!("{API}/{}", created["id"]));
    assert_eq!(created["version"], 1);
    for (field, value) in body.as_object().unwrap() {
        assert_eq!(&created[field], value, "{field} reads back as sent");
    }
    assert_eq!(app.get(&path).await.json::<Value>().await.unwrap(), created);

    let change = json!({ "version": 1, "__CHANGED__": __CHANGED_VALUE__ });
    let response = app.patch_json(&path, &change).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["__CHANGED__"], change["__CHANGED__"]);
    assert_eq!(updated["version"], 2);
    assert_eq!(app.get(&path).await.json::<Value>().await.unwrap(), updated);

    let stale = app.patch_json(&path, &change).await;
    let body = problem(stale, StatusCode::CONFLICT).await;
    assert!(body["detail"].as_str().unwrap().contains("current version is 2"), "{body}");

    let deleted = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(app.get(&path).await, StatusCode::NOT_FOUND).await;

    let id = created["id"].as_i64().unwrap();
    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("__name__"))
        .filter(audit_log::Column::EntityId.eq(id))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.action)
        .collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
}

#[tokio::test]
async fn the_api_lists_newest_first_a_page_at_a_time() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(create_sample(&app, n).await["id"].clone());
    }

    let first: Value = app.get(&format!("{API}?limit=2")).await.json().await.unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(&format!("{API}?limit=2&after={cursor}"))
        .await
        .json()
        .await
        .unwrap();

    let listed: Vec<Value> = [&first, &second]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap().clone())
        .map(|item| item["id"].clone())
        .collect();
    ids.reverse();
    assert_eq!(listed, ids);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn the_api_refuses_invalid_fields_with_422_naming_the_field() {
    let app = spawn_app().await;
    // One sample (what it refers to is made once; unique fields stay unique).
    let valid = sample(&app, 1).await;
    let cases = [
__BAD_CASES__    ];

    for (field, bad) in cases {
        let mut body = valid.clone();
        body[field] = bad;
        let response = app.post_json(API, &body).await;
        let refused = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(refused.to_string().contains(field), "{field}: {refused}");
    }
    let mut unknown = valid.clone();
    unknown["no_such_field"] = json!(1);
    problem(app.post_json(API, &unknown).await, StatusCode::UNPROCESSABLE_ENTITY).await;
__MISSING_CASE__
    assert_eq!(count(&app).await, 0, "nothing was written");
}

#[tokio::test]
async fn writing_needs_a_user_and_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    let visitor = app.anonymous();
    let body = sample(&app, 1).await;

    let api = visitor.post(app.url(API)).json(&body).send().await.unwrap();
    problem(api, StatusCode::UNAUTHORIZED).await;
    let new_page = visitor.get(app.url("/__name__/new")).send().await.unwrap();
    assert_eq!(new_page.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&new_page), "/login?next=/__name__/new");

    let form = sample_form(&app, 2).await;
    let forged = post_form(&app, &app.client, PAGES, &form, false).await;
    html(forged, StatusCode::FORBIDDEN).await;

    assert_eq!(count(&app).await, 0, "nothing was written");
}

#[tokio::test]
async fn only_the_owner_or_an_administrator_may_change_one() {
    let app = spawn_app().await;
    let theirs = create_sample(&app, 1).await;
    let path = format!("{API}/{}", theirs["id"]);
    let (member, csrf, _) = app.sign_up("member@example.com").await;
    let as_member = |method: reqwest::Method, path: &str, body: Value| {
        member
            .request(method, app.url(path))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };

    let patch = as_member(reqwest::Method::PATCH, &path, json!({ "version": 1 })).await.unwrap();
    problem(patch, StatusCode::FORBIDDEN).await;
    let delete = as_member(reqwest::Method::DELETE, &path, Value::Null).await.unwrap();
    problem(delete, StatusCode::FORBIDDEN).await;
    let edit = member.get(app.url(&format!("/__name__/{}/edit", theirs["id"]))).send().await.unwrap();
    html(edit, StatusCode::FORBIDDEN).await;

    let own = as_member(reqwest::Method::POST, API, sample(&app, 2).await).await.unwrap();
    assert_eq!(own.status(), StatusCode::CREATED);
    let own: Value = own.json().await.unwrap();
    let own_path = format!("{API}/{}", own["id"]);
    let mine = as_member(reqwest::Method::DELETE, &own_path, Value::Null).await.unwrap();
    assert_eq!(mine.status(), StatusCode::NO_CONTENT, "the owner may");
    assert_eq!(count(&app).await, 1, "the administrator's row is untouched");
}
"#;

const PAGE_TESTS: &str = r##"
#[tokio::test]
async fn the_pages_create_show_edit_and_delete() {
    let app = spawn_app().await;
    let form = sample_form(&app, 1).await;
    html(app.get("/__name__/new").await, StatusCode::OK).await;
__INVALID_FORM__
    let created = post_form(&app, &app.client, PAGES, &form, true).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let path = location(&created);
    let page = html(app.get(&path).await, StatusCode::OK).await;
    assert!(__SHOWN__, "the new row's page shows it");
    let list = html(app.get(PAGES).await, StatusCode::OK).await;
    assert!(list.contains(&format!("href=\"{path}\"")), "the list links to it");

    let edit_path = format!("{path}/edit");
    let edit_page = html(app.get(&edit_path).await, StatusCode::OK).await;
    assert!(edit_page.contains(r#"name="version" value="1""#));
    let mut edit = form.clone();
    set(&mut edit, "version", "1");
    let saved = post_form(&app, &app.client, &edit_path, &edit, true).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let stale = post_form(&app, &app.client, &edit_path, &edit, true).await;
    let stale = html(stale, StatusCode::CONFLICT).await;
    assert!(stale.contains("Someone else saved"), "a stale edit is refused and says why");
    assert!(stale.contains(r#"name="version" value="2""#), "and offers the current version");

    let delete_path = format!("{path}/delete");
    html(app.get(&delete_path).await, StatusCode::OK).await;
    let old = vec![("version", "1".to_owned())];
    let refused = post_form(&app, &app.client, &delete_path, &old, true).await;
    html(refused, StatusCode::CONFLICT).await;
    let current = vec![("version", "2".to_owned())];
    let deleted = post_form(&app, &app.client, &delete_path, &current, true).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&deleted), PAGES);
    assert_eq!(count(&app).await, 0);
}
"##;

const ADMIN_TESTS: &str = r##"
#[tokio::test]
async fn the_admin_creates_lists_and_deletes_them_with_their_history() {
    let app = spawn_app().await;
    let form = sample_form(&app, 1).await;
    let created = post_form(&app, &app.client, "/admin/__name__", &form, true).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let path = location(&created);
    assert!(path.starts_with("/admin/__name__/"), "{path}");
    let page = html(app.get(&path).await, StatusCode::OK).await;
    let history = page.split("<h2>History</h2>").nth(1).unwrap_or_default();
    assert!(history.contains("created") && history.contains("admin@example.com"), "{page}");
    let list = html(app.get("/admin/__name__").await, StatusCode::OK).await;
    assert!(list.contains(&format!("href=\"{path}\"")), "the list links to it");

    let id = path.rsplit('/').next().unwrap().to_owned();
    let bulk = vec![("ids", id), ("confirm", "yes".to_owned())];
    let deleted = post_form(&app, &app.client, "/admin/__name__/bulk-delete", &bulk, true).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app).await, 0);
}
"##;

const ESCAPING: &str = r#"
#[tokio::test]
async fn pages_escape_what_users_typed() {
    let app = spawn_app().await;
    let mut body = sample(&app, 1).await;
    body["__FIELD__"] = json!("<script>alert(1)</script>");
    let response = app.post_json(API, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let path = format!("{PAGES}/{}", response.json::<Value>().await.unwrap()["id"]);

    let page = html(app.get(&path).await, StatusCode::OK).await;
    assert!(!page.contains("<script>alert") && page.contains("&lt;script&gt;"), "the page escapes it");__LIST__
}
"#;

const UNIQUE: &str = r#"
#[tokio::test]
async fn a_unique_field_refuses_a_value_another_row_has() {
    let app = spawn_app().await;
    let first = create_sample(&app, 1).await;
    let mut second = sample(&app, 2).await;
    second["__FIELD__"] = first["__FIELD__"].clone();

    let response = app.post_json(API, &second).await;

    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "__FIELD__", "{body}");
    assert_eq!(count(&app).await, 1);
}
"#;
