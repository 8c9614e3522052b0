//! One row of an admin table: its page (with the audit trail), the create and edit forms (field
//! errors kept, the stale-version conflict shown), the delete confirmation and the row actions.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use db::{
    FieldErrors,
    admin::{Row, Table, Values},
};
use serde::Serialize;
use serde_json::Value;

use super::{row_view, table, view};
use crate::{
    AppState, Error, Result,
    auth::{RequireAdmin, session::flash},
    extract::{Form, Path},
    page::{Page, first_error_per_field},
};

/// How many audit entries a row's page shows, newest first.
const TRAIL_LIMIT: u64 = 50;

type Pairs = Vec<(String, String)>;

/// A button for a row action that applies to the row.
#[derive(Debug, Serialize)]
struct ActionView {
    name: &'static str,
    label: &'static str,
    danger: bool,
}

pub(super) async fn show(
    State(state): State<AppState>,
    _: RequireAdmin,
    mut page: Page,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Html<String>> {
    let table = table(&name)?;
    let row = table.get(&state.reads, id).await?;
    let trail = db::audit::trail(&state.db, table.name(), id, TRAIL_LIMIT).await?;
    let actions: Vec<ActionView> = table
        .actions()
        .iter()
        .filter(|action| {
            action.when.is_none_or(|(field, wanted)| {
                row.values.get(field).and_then(Value::as_bool) == Some(wanted)
            })
        })
        .map(|action| ActionView {
            name: action.name,
            label: action.label,
            danger: action.danger,
        })
        .collect();
    page.insert("table", &view(table.as_ref()));
    page.insert("row", &row_view(table.as_ref(), &row));
    page.insert("details", &details(table.as_ref(), &row));
    page.insert("trail", &trail);
    page.insert("actions", &actions);
    page.render(&state.templates, "admin/show.html")
}

/// Every field's label and value in full, for the row's page.
fn details(table: &dyn Table, row: &Row) -> Vec<(String, String)> {
    table
        .fields()
        .iter()
        .map(|f| {
            let value = db::admin::text(row.values.get(f.name).unwrap_or(&Value::Null));
            (f.label.clone(), value)
        })
        .collect()
}

/// A form being filled: what was typed per field, and the version it started from.
#[derive(Debug, Default, Serialize)]
struct FormView {
    values: BTreeMap<String, String>,
    version: Option<i32>,
}

impl FormView {
    fn of_row(table: &dyn Table, row: &Row) -> Self {
        let values = table
            .fields()
            .iter()
            .filter(|f| f.editable)
            .map(|f| {
                let value = row.values.get(f.name).unwrap_or(&Value::Null);
                (f.name.to_owned(), f.input(value))
            })
            .collect();
        Self {
            values,
            version: row.version,
        }
    }

    fn of_pairs(table: &dyn Table, pairs: &Pairs) -> Self {
        let values = table
            .fields()
            .iter()
            .filter(|f| f.editable)
            .filter_map(|f| {
                let typed = pairs.iter().find(|(n, _)| *n == f.name)?;
                Some((f.name.to_owned(), typed.1.clone()))
            })
            .collect();
        let version = pairs
            .iter()
            .find(|(n, _)| n == "version")
            .and_then(|(_, v)| v.trim().parse().ok());
        Self { values, version }
    }
}

/// The form's text as typed values, or the field errors (under the fields' names).
fn read(table: &dyn Table, pairs: &Pairs) -> Result<Values, FieldErrors> {
    let mut values = Values::new();
    let mut errors = FieldErrors::new();
    for field in table.fields().iter().filter(|f| f.editable) {
        let raw = pairs
            .iter()
            .find(|(n, _)| *n == field.name)
            .map(|(_, v)| v.as_str());
        match field.read(raw) {
            Ok(value) => {
                values.insert(field.name.to_owned(), value);
            }
            Err(message) => errors.add(field.name, message),
        }
    }
    errors.into_result(values)
}

/// One input of a form, as the template draws it.
#[derive(Debug, Serialize)]
struct InputView<'a> {
    name: &'static str,
    label: &'a str,
    kind: db::admin::Kind,
    optional: bool,
    value: &'a str,
    error: Option<&'a str>,
}

fn form_page(
    mut page: Page,
    state: &AppState,
    table: &dyn Table,
    row: Option<&Row>,
    form: &FormView,
    errors: Option<&FieldErrors>,
    conflict: Option<&Row>,
) -> Result<Html<String>> {
    let errors = errors.map(first_error_per_field).unwrap_or_default();
    let inputs: Vec<InputView<'_>> = table
        .fields()
        .iter()
        .filter(|f| f.editable)
        .map(|f| InputView {
            name: f.name,
            label: &f.label,
            kind: f.kind,
            optional: f.optional,
            value: form.values.get(f.name).map_or("", String::as_str),
            error: errors.get(f.name).copied(),
        })
        .collect();
    page.insert("table", &view(table));
    page.insert("row", &row.map(|row| row_view(table, row)));
    page.insert("version", &form.version);
    page.insert("inputs", &inputs);
    page.insert("errors", &errors);
    page.insert("conflict", &conflict.map(|row| details(table, row)));
    page.insert("conflict_version", &conflict.and_then(|row| row.version));
    page.render(&state.templates, "admin/form.html")
}

pub(super) async fn new(
    State(state): State<AppState>,
    _: RequireAdmin,
    page: Page,
    Path(name): Path<String>,
) -> Result<Html<String>> {
    let table = table_for(&name, Change::Create)?;
    form_page(
        page,
        &state,
        table.as_ref(),
        None,
        &FormView::default(),
        None,
        None,
    )
}

pub(super) async fn create(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    page: Page,
    Path(name): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response> {
    let table = table_for(&name, Change::Create)?;
    let refused = |page, errors: FieldErrors| -> Result<Response> {
        let form = FormView::of_pairs(table.as_ref(), &pairs);
        let html = form_page(
            page,
            &state,
            table.as_ref(),
            None,
            &form,
            Some(&errors),
            None,
        )?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
    };
    let values = match read(table.as_ref(), &pairs) {
        Ok(values) => values,
        Err(errors) => return refused(page, errors),
    };
    match table.create(&state.db, user.actor(), values).await {
        Ok(id) => {
            let text = format!("Created {} {id}.", table.label());
            flash(page.session(), "success", text).await?;
            Ok(Redirect::to(&format!("/admin/{name}/{id}")).into_response())
        }
        Err(db::Error::Invalid(errors)) => refused(page, errors),
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn edit(
    State(state): State<AppState>,
    _: RequireAdmin,
    page: Page,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Html<String>> {
    let table = table_for(&name, Change::Edit)?;
    let row = table.get(&state.reads, id).await?;
    let form = FormView::of_row(table.as_ref(), &row);
    form_page(page, &state, table.as_ref(), Some(&row), &form, None, None)
}

pub(super) async fn update(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    page: Page,
    Path((name, id)): Path<(String, i64)>,
    Form(pairs): Form<Pairs>,
) -> Result<Response> {
    let table = table_for(&name, Change::Edit)?;
    let mut form = FormView::of_pairs(table.as_ref(), &pairs);
    let parsed = read(table.as_ref(), &pairs).and_then(|values| match form.version {
        Some(version) => Ok((values, version)),
        None => {
            let mut errors = FieldErrors::new();
            errors.add(
                "version",
                "the form is missing its version; reload the page",
            );
            Err(errors)
        }
    });
    let errors = match parsed {
        Ok((values, version)) => {
            match table
                .update(&state.db, user.actor(), id, version, values)
                .await
            {
                Ok(()) => {
                    let text = format!("Saved {} {id}.", table.label());
                    flash(page.session(), "success", text).await?;
                    return Ok(Redirect::to(&format!("/admin/{name}/{id}")).into_response());
                }
                Err(db::Error::Invalid(errors)) => errors,
                Err(db::Error::StaleVersion { .. }) => {
                    // Keep what was typed, on top of the current version, and show what is
                    // saved now: saving again is a deliberate choice.
                    let current = table.get(&state.reads, id).await?;
                    form.version = current.version;
                    let html = form_page(
                        page,
                        &state,
                        table.as_ref(),
                        Some(&current),
                        &form,
                        None,
                        Some(&current),
                    )?;
                    return Ok((StatusCode::CONFLICT, html).into_response());
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(errors) => errors,
    };
    let row = table.get(&state.reads, id).await?;
    let html = form_page(
        page,
        &state,
        table.as_ref(),
        Some(&row),
        &form,
        Some(&errors),
        None,
    )?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

pub(super) async fn confirm_delete(
    State(state): State<AppState>,
    _: RequireAdmin,
    page: Page,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Html<String>> {
    let table = table_for(&name, Change::Delete)?;
    let row = table.get(&state.reads, id).await?;
    delete_page(page, &state, table.as_ref(), &row, false)
}

fn delete_page(
    mut page: Page,
    state: &AppState,
    table: &dyn Table,
    row: &Row,
    conflict: bool,
) -> Result<Html<String>> {
    page.insert("table", &view(table));
    page.insert("row", &row_view(table, row));
    page.insert("details", &details(table, row));
    page.insert("conflict", &conflict);
    page.render(&state.templates, "admin/delete.html")
}

pub(super) async fn destroy(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    page: Page,
    Path((name, id)): Path<(String, i64)>,
    Form(pairs): Form<Pairs>,
) -> Result<Response> {
    let table = table_for(&name, Change::Delete)?;
    let version = pairs
        .iter()
        .find(|(n, _)| n == "version")
        .and_then(|(_, v)| v.trim().parse::<i32>().ok());
    let txn = db::begin_write(&state.db).await?;
    match table.delete(&txn, user.actor(), id, version).await {
        Ok(files) => {
            txn.commit().await.map_err(db::Error::from)?;
            remove_files(&state, &files).await;
            let text = format!("Deleted {} {id}.", table.label());
            flash(page.session(), "success", text).await?;
            Ok(Redirect::to(&format!("/admin/{name}")).into_response())
        }
        Err(db::Error::StaleVersion { .. }) => {
            drop(txn);
            let current = table.get(&state.reads, id).await?;
            let html = delete_page(page, &state, table.as_ref(), &current, true)?;
            Ok((StatusCode::CONFLICT, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /admin/{table}/{id}/actions/{action}`: runs it, says what happened on the row's page.
pub(super) async fn act(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    page: Page,
    Path((name, id, action)): Path<(String, i64, String)>,
) -> Result<Redirect> {
    let table = table(&name)?;
    match table.act(&state.db, user.actor(), id, &action).await {
        Ok(said) => {
            // An action may end a user's API tokens: this replica forgets the ones it trusted.
            state.tokens().forget_all();
            flash(page.session(), "success", said).await?;
        }
        Err(db::Error::Conflict(why)) => {
            flash(page.session(), "error", format!("Not done: {why}.")).await?;
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Redirect::to(&format!("/admin/{name}/{id}")))
}

/// A change a form makes to a table.
#[derive(Debug, Clone, Copy)]
enum Change {
    Create,
    Edit,
    Delete,
}

/// The table named in the path, if it allows `change` (users, say, are never edited here): the
/// form pages check before showing a form; the writes are refused by `db::admin` again.
fn table_for(name: &str, change: Change) -> Result<Arc<dyn Table>> {
    let table = table(name)?;
    let can = table.abilities();
    let (allowed, what) = match change {
        Change::Create => (can.create, "created"),
        Change::Edit => (can.edit, "edited"),
        Change::Delete => (can.delete, "deleted"),
    };
    if allowed {
        Ok(table)
    } else {
        Err(Error::Conflict(format!(
            "{} are not {what} in the admin.",
            table.plural()
        )))
    }
}

/// Removes the uploaded files of deleted rows, once their deletion has committed.
pub(super) async fn remove_files(state: &AppState, files: &[String]) {
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    crate::files::remove_uploads(state, &files).await;
}
