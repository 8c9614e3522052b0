//! The admin (`/admin`) on the engine's own tables: the test fixture `test_notes` (a resource of
//! the usual shape) and `users`. Every page is administrators-only; every write goes through the
//! resource's queries (validation, audit, versions) behind the CSRF check.

use db::fixtures;
use reqwest::StatusCode;

use crate::{
    background_jobs::app_jobs::{app_without_worker, worker},
    helpers::{TestApp, browser, create_user, html, sign_in, spawn_app},
};

/// The location a 303 points to.
fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{response:?}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn note(app: &TestApp, body: &str) -> i64 {
    fixtures::create(&app.db, app.admin, body).await.unwrap().id
}

/// The ids a list page links to, in the order shown.
fn ids_on(page: &str, table: &str) -> Vec<i64> {
    let marker = format!("href=\"/admin/{table}/");
    page.split(&marker)
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn only_administrators_get_in() {
    let app = spawn_app().await;
    let anonymous = app
        .anonymous()
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(location(&anonymous).starts_with("/login?next="));

    create_user(&app.db, "member@example.com", false).await;
    let member = browser(&app.address);
    let csrf = sign_in(
        &member,
        &app.address,
        "member@example.com",
        "admin password 123",
    )
    .await;
    for path in ["/admin", "/admin/users", "/admin/test_notes/new"] {
        let refused = member.get(app.url(path)).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let id = note(&app, "Kept").await;
    let post = member
        .post(app.url(&format!("/admin/test_notes/{id}/delete")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::FORBIDDEN);
    // Without the CSRF token, not even an administrator's form goes through.
    let forged = app
        .client
        .post(app.url(&format!("/admin/test_notes/{id}/delete")))
        .form(&[("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(fixtures::count(&app.db).await.unwrap(), 1);

    let index = html(app.get("/admin").await, StatusCode::OK).await;
    for link in ["\"/admin/users\"", "\"/admin/test_notes\"", "\"/jobs\""] {
        assert!(index.contains(link), "{link} in {index}");
    }
    let missing = app.get("/admin/nothing").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_list_pages_sorts_searches_and_filters() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for body in ["pear", "Apple pie", "apple", "banana", "50% off_sale"] {
        ids.push(note(&app, body).await);
    }
    // Newest first by default, pages of `limit`, the next link keeping the filter.
    let first = html(app.get("/admin/test_notes?limit=2").await, StatusCode::OK).await;
    assert_eq!(ids_on(&first, "test_notes"), vec![ids[4], ids[3]]);
    let next = first
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|link| {
            link.trim_end_matches("\" ")
                .replace("&amp;", "&")
                .replace("&#x2F;", "/")
        })
        .unwrap();
    let second = html(app.get(next.trim_end_matches('"')).await, StatusCode::OK).await;
    assert_eq!(ids_on(&second, "test_notes"), vec![ids[2], ids[1]]);

    // Sorted by a column, both ways.
    let by_body = html(app.get("/admin/test_notes?sort=body").await, StatusCode::OK).await;
    assert_eq!(
        ids_on(&by_body, "test_notes"),
        vec![ids[4], ids[1], ids[2], ids[3], ids[0]]
    );
    let unknown = app.get("/admin/test_notes?sort=password").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    // The search is case-insensitive, over the text fields and the id; `%` and `_` are text.
    let apples = html(
        app.get("/admin/test_notes?q=APPLE&sort=id").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids_on(&apples, "test_notes"), vec![ids[1], ids[2]]);
    let percent = html(
        app.get("/admin/test_notes?q=%25+off_").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids_on(&percent, "test_notes"), vec![ids[4]]);
    let none = html(app.get("/admin/test_notes?q=p%25r").await, StatusCode::OK).await;
    assert!(ids_on(&none, "test_notes").is_empty() && none.contains("No notes match."));
    let by_id = format!("/admin/test_notes?q={}", ids[3]);
    assert_eq!(
        ids_on(
            &html(app.get(&by_id).await, StatusCode::OK).await,
            "test_notes"
        ),
        vec![ids[3]]
    );

    // Dates filter by UTC day, both ends included; a date that is not one is a 400.
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let from_today = format!("/admin/test_notes?created_at_from={today}&created_at_to={today}");
    assert_eq!(
        ids_on(
            &html(app.get(&from_today).await, StatusCode::OK).await,
            "test_notes"
        )
        .len(),
        5
    );
    let later = format!("/admin/test_notes?created_at_from={tomorrow}");
    assert!(
        ids_on(
            &html(app.get(&later).await, StatusCode::OK).await,
            "test_notes"
        )
        .is_empty()
    );
    let bad = app
        .get("/admin/test_notes?created_at_from=30/11/2026")
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn users_are_searched_filtered_and_promoted_with_an_audit_row() {
    let app = spawn_app().await;
    let ada = create_user(&app.db, "ada@example.com", false).await;
    let grace = create_user(&app.db, "grace@example.com", false).await;

    let found = html(app.get("/admin/users?q=ADA@").await, StatusCode::OK).await;
    assert_eq!(ids_on(&found, "users"), vec![ada.id]);
    assert!(!found.contains("argon2"), "password hashes never show");
    let admins = html(app.get("/admin/users?is_admin=true").await, StatusCode::OK).await;
    assert_eq!(ids_on(&admins, "users"), vec![app.admin.user_id]);
    let by_email = html(app.get("/admin/users?sort=-email").await, StatusCode::OK).await;
    assert_eq!(
        ids_on(&by_email, "users"),
        vec![grace.id, app.admin.user_id, ada.id]
    );
    let bad = app.get("/admin/users?is_admin=maybe").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Users are not created, edited or deleted here.
    assert_eq!(
        app.get("/admin/users/new").await.status(),
        StatusCode::CONFLICT
    );
    let page = html(
        app.get(&format!("/admin/users/{}", ada.id)).await,
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("Make administrator") && !page.contains("Remove administrator"));

    let made = app
        .post_form(&format!("/admin/users/{}/actions/make_admin", ada.id), &[])
        .await;
    assert_eq!(location(&made), format!("/admin/users/{}", ada.id));
    assert!(db::users::get(&app.db, ada.id).await.unwrap().is_admin);
    let page = html(
        app.get(&format!("/admin/users/{}", ada.id)).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        page.contains("is an administrator now"),
        "the flash says so"
    );
    assert!(page.contains("Remove administrator"));
    assert!(
        page.contains("admin@example.com") && page.contains("is_admin"),
        "history: {page}"
    );

    let unknown = app
        .post_form(
            &format!("/admin/users/{}/actions/delete_everything", ada.id),
            &[],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_everywhere_and_cannot_sign_in() {
    let app = spawn_app().await;
    let user = create_user(&app.db, "leaving@example.com", false).await;
    let token = crate::helpers::create_token(&app.db, user.id, "laptop").await;
    let browser_session = browser(&app.address);
    sign_in(
        &browser_session,
        &app.address,
        "leaving@example.com",
        "admin password 123",
    )
    .await;
    let me = browser_session
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let done = app
        .post_form(&format!("/admin/users/{}/actions/deactivate", user.id), &[])
        .await;
    location(&done);
    let page = html(
        app.get(&format!("/admin/users/{}", user.id)).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        page.contains("1 session(s) ended, 1 API token(s) revoked"),
        "{page}"
    );
    assert!(!db::users::get(&app.db, user.id).await.unwrap().is_active);

    let me = browser_session
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "the session is over");
    let with_token = app
        .anonymous()
        .get(app.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_token.status(),
        StatusCode::UNAUTHORIZED,
        "the token is revoked"
    );
    let again = app
        .anonymous()
        .post(app.url("/api/auth/login"))
        .json(&serde_json::json!({ "email": "leaving@example.com", "password": "admin password 123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(again.text().await.unwrap().contains("deactivated"));

    // Reactivated, the account signs in again.
    app.post_form(&format!("/admin/users/{}/actions/reactivate", user.id), &[])
        .await;
    sign_in(
        &browser(&app.address),
        &app.address,
        "leaving@example.com",
        "admin password 123",
    )
    .await;

    // An administrator cannot lock themselves out.
    let own = app
        .post_form(
            &format!("/admin/users/{}/actions/deactivate", app.admin.user_id),
            &[],
        )
        .await;
    location(&own);
    assert!(
        db::users::get(&app.db, app.admin.user_id)
            .await
            .unwrap()
            .is_active
    );
    let page = html(
        app.get(&format!("/admin/users/{}", app.admin.user_id))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("Not done: you cannot"), "{page}");
}

#[tokio::test]
async fn rows_are_created_and_edited_with_field_errors_kept_and_stale_versions_shown() {
    let app = spawn_app().await;
    // A refused form comes back with the error beside the field and the text as typed.
    let long = "x".repeat(fixtures::MAX_BODY + 1);
    let refused = app.post_form("/admin/test_notes", &[("body", &long)]).await;
    let page = html(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("must be at most 200 characters") && page.contains(&long));
    assert_eq!(fixtures::count(&app.db).await.unwrap(), 0);

    let created = app
        .post_form("/admin/test_notes", &[("body", "  First  ")])
        .await;
    let at = location(&created);
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(fixtures::get(&app.db, id).await.unwrap().body, "First");

    // Someone else saves while the form is open: the form comes back with what is saved now.
    let form = html(app.get(&format!("{at}/edit")).await, StatusCode::OK).await;
    assert!(form.contains("name=\"version\" value=\"1\""));
    fixtures::update(&app.db, app.admin, id, 1, "Theirs")
        .await
        .unwrap();
    let stale = app
        .post_form(&format!("{at}/edit"), &[("body", "Mine"), ("version", "1")])
        .await;
    let page = html(stale, StatusCode::CONFLICT).await;
    assert!(page.contains("Someone else saved") && page.contains("Theirs"));
    assert!(page.contains("Mine") && page.contains("name=\"version\" value=\"2\""));
    let blank = app
        .post_form(&format!("{at}/edit"), &[("body", " "), ("version", "2")])
        .await;
    assert!(
        html(blank, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .contains("must not be empty")
    );
    let saved = app
        .post_form(&format!("{at}/edit"), &[("body", "Mine"), ("version", "2")])
        .await;
    location(&saved);

    // The row's page shows it, with who changed what, newest first.
    let page = html(app.get(&at).await, StatusCode::OK).await;
    let history = page.split("<h2>History</h2>").nth(1).unwrap();
    let (updated, created) = (
        history.find("updated").unwrap(),
        history.find("created").unwrap(),
    );
    assert!(updated < created, "{history}");
    assert!(
        history.contains("&quot;Theirs&quot; → &quot;Mine&quot;"),
        "{history}"
    );
    assert!(history.contains("admin@example.com"));
}

#[tokio::test]
async fn deletes_are_confirmed_version_checked_and_bulk_deletes_are_all_or_nothing() {
    let app = spawn_app().await;
    let one = note(&app, "one").await;
    let confirm = html(
        app.get(&format!("/admin/test_notes/{one}/delete")).await,
        StatusCode::OK,
    )
    .await;
    assert!(confirm.contains("This cannot be undone") && confirm.contains("one"));
    fixtures::update(&app.db, app.admin, one, 1, "changed")
        .await
        .unwrap();
    let stale = app
        .post_form(
            &format!("/admin/test_notes/{one}/delete"),
            &[("version", "1")],
        )
        .await;
    assert!(
        html(stale, StatusCode::CONFLICT)
            .await
            .contains("changed since you opened")
    );
    let deleted = app
        .post_form(
            &format!("/admin/test_notes/{one}/delete"),
            &[("version", "2")],
        )
        .await;
    assert_eq!(location(&deleted), "/admin/test_notes");
    assert_eq!(fixtures::count(&app.db).await.unwrap(), 0);

    let ids = [
        note(&app, "a").await,
        note(&app, "b").await,
        note(&app, "c").await,
    ];
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    // First a last look, deleting nothing.
    let look = app
        .post_form("/admin/test_notes/bulk-delete", &[("ids", &a), ("ids", &b)])
        .await;
    let page = html(look, StatusCode::OK).await;
    assert!(page.contains("Delete 2 notes?"));
    assert_eq!(fixtures::count(&app.db).await.unwrap(), 3);

    // A row one may not delete (here: gone already) stops the lot: none is deleted.
    let gone = (ids[2] + 100).to_string();
    let refused = app
        .post_form(
            "/admin/test_notes/bulk-delete",
            &[("ids", &a), ("ids", &b), ("ids", &gone), ("confirm", "yes")],
        )
        .await;
    location(&refused);
    assert_eq!(fixtures::count(&app.db).await.unwrap(), 3, "rolled back");
    let list = html(app.get("/admin/test_notes").await, StatusCode::OK).await;
    assert!(list.contains("Nothing was deleted"), "{list}");

    let done = app
        .post_form(
            "/admin/test_notes/bulk-delete",
            &[("ids", &a), ("ids", &b), ("confirm", "yes")],
        )
        .await;
    location(&done);
    assert_eq!(fixtures::count(&app.db).await.unwrap(), 1);
    let list = html(app.get("/admin/test_notes").await, StatusCode::OK).await;
    assert!(list.contains("Deleted 2 notes."));
    assert_eq!(ids_on(&list, "test_notes"), vec![ids[2]]);
    // More rows than a page holds is refused before anything is read.
    let many: Vec<String> = (1..=101).map(|id| id.to_string()).collect();
    let mut form: Vec<(&str, &str)> = many.iter().map(|id| ("ids", id.as_str())).collect();
    form.push(("confirm", "yes"));
    let refused = app.post_form("/admin/test_notes/bulk-delete", &form).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fixtures::count(&app.db).await.unwrap(), 1);

    // Each deletion has its audit row.
    let trail = db::audit::trail(&app.db, fixtures::TABLE, ids[0], 10)
        .await
        .unwrap();
    assert_eq!(trail[0].action, "deleted");
}

#[tokio::test]
async fn an_export_writes_the_filtered_list_by_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_worker(dir.path()).await;
    for body in ["tea, green", "coffee", "tea \"black\""] {
        note(&app, body).await;
    }
    let started = app.post_form("/admin/test_notes/export?q=tea", &[]).await;
    let page = location(&started);
    let id: i64 = page.trim_start_matches("/jobs/").parse().unwrap();
    let early = app.get(&format!("/admin/exports/{id}")).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);

    let (runner, _) = worker(&app, dir.path());
    runner.run_until_empty().await.unwrap();
    let done = html(app.get(&page).await, StatusCode::OK).await;
    assert!(
        done.contains(&format!("&#x2F;admin&#x2F;exports&#x2F;{id}")),
        "{done}"
    );
    let file = app.get(&format!("/admin/exports/{id}")).await;
    assert_eq!(file.status(), StatusCode::OK);
    let disposition = file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"test_notes-{id}.csv\"")
    );
    let csv = file.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,body,version,created_by,created_at");
    assert_eq!(lines.len(), 3, "only the rows the filter kept: {csv}");
    assert!(
        lines[1].contains(",\"tea, green\",1,") && lines[2].contains(",\"tea \"\"black\"\"\",1,")
    );

    // Another job's id has no file.
    let other = app.get(&format!("/admin/exports/{}", id + 1000)).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}
