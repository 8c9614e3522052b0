//! `/admin`: every table in `db::admin` — listed, searched, filtered, sorted and paged; each row
//! shown with its audit trail, created, edited, deleted (alone or in bulk, in one transaction)
//! and exported to CSV by a job. Administrators only; every form carries the CSRF token, and
//! every write goes through the resource's own queries.

mod list;
mod rows;

pub(crate) use list::download_url;

use std::sync::Arc;

use axum::{
    Router,
    extract::State,
    response::Html,
    routing::{get, post},
};
use db::admin::{Field, Kind, Row, Table};
use serde::Serialize;
use serde_json::Value;

use crate::{AppState, Error, Result, auth::RequireAdmin, page::Page};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/{table}", get(list::list).post(rows::create))
        .route("/admin/{table}/new", get(rows::new))
        .route("/admin/{table}/bulk-delete", post(list::bulk_delete))
        .route("/admin/{table}/export", post(list::export))
        .route("/admin/{table}/{id}", get(rows::show))
        .route(
            "/admin/{table}/{id}/edit",
            get(rows::edit).post(rows::update),
        )
        .route(
            "/admin/{table}/{id}/delete",
            get(rows::confirm_delete).post(rows::destroy),
        )
        .route("/admin/{table}/{id}/actions/{action}", post(rows::act))
        .route("/admin/exports/{id}", get(list::download))
}

/// A table as the index lists it.
#[derive(Debug, Serialize)]
struct TableLink {
    name: &'static str,
    plural: &'static str,
}

async fn index(
    State(state): State<AppState>,
    _: RequireAdmin,
    mut page: Page,
) -> Result<Html<String>> {
    let tables: Vec<TableLink> = db::admin::tables()
        .iter()
        .map(|table| TableLink {
            name: table.name(),
            plural: table.plural(),
        })
        .collect();
    page.insert("tables", &tables);
    page.render(&state.templates, "admin/index.html")
}

/// The admin table named in the path; a 404 naming the tables there are otherwise.
fn table(name: &str) -> Result<Arc<dyn Table>> {
    db::admin::find(name).ok_or_else(|| {
        let names: Vec<&str> = db::admin::tables().iter().map(|t| t.name()).collect();
        Error::NotFound(format!(
            "There is no `{name}` in the admin (there are: {}).",
            names.join(", ")
        ))
    })
}

/// What the pages say about a table.
#[derive(Debug, Serialize)]
struct TableView<'a> {
    name: &'static str,
    label: &'static str,
    plural: &'static str,
    fields: &'a [Field],
    abilities: db::admin::Abilities,
}

fn view(table: &dyn Table) -> TableView<'_> {
    TableView {
        name: table.name(),
        label: table.label(),
        plural: table.plural(),
        fields: table.fields(),
        abilities: table.abilities(),
    }
}

/// A row's values as the pages show them: one line of text per field, in the table's order.
#[derive(Debug, Serialize)]
struct RowView {
    id: i64,
    version: Option<i32>,
    cells: Vec<String>,
}

fn row_view(table: &dyn Table, row: &Row) -> RowView {
    RowView {
        id: row.id,
        version: row.version,
        cells: table
            .fields()
            .iter()
            .map(|field| cell(field, row.values.get(field.name).unwrap_or(&Value::Null)))
            .collect(),
    }
}

/// The longest cell a list shows, in characters (the row's page shows all of it).
const CELL_MAX_CHARS: usize = 80;

/// One value as text: yes/no, times to the second in UTC, long text cut short.
fn cell(field: &Field, value: &Value) -> String {
    let text = match (field.kind, value) {
        (Kind::Bool, Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        (Kind::DateTime, Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|_| s.clone()),
        _ => db::admin::text(value),
    };
    if text.chars().count() > CELL_MAX_CHARS {
        let cut: String = text.chars().take(CELL_MAX_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}
