//! An admin table's list (paged by cursor, sorted by a column, searched and filtered), its
//! bulk delete and its CSV export.

use axum::{
    extract::State,
    http::HeaderMap,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::NaiveDate;
use db::{
    admin::{DateRange, Filter, Kind, Table},
    list::{Order, Position},
};
use jobs::{Job as _, JobRecord, State as JobState, kinds::ExportTable};
use serde::Serialize;

use super::{RowView, row_view, table, view};
use crate::{
    AppState, Error, Result,
    auth::{RequireAdmin, form_urlencode, session::flash},
    extract::{Form, Path, Query},
    listing::{self, Limits, ListQuery, PageLinks},
    page::Page,
};

/// The list's page size.
const LIMITS: Limits = Limits {
    default: 25,
    max: 100,
};

/// The most rows one bulk delete takes (a page at its largest).
const BULK_MAX: usize = 100;

/// A query string or a form as name/value pairs, repeated names kept.
type Pairs = Vec<(String, String)>;

fn param<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The filter a list's query string asks for (`q`, `FIELD=true|false`, `FIELD_from`,
/// `FIELD_to`), and the same as a query string for its links. Other names are ignored (a
/// shared link may carry some); a value that does not parse is a 400 saying so.
fn filter_of(table: &dyn Table, pairs: &Pairs) -> Result<(Filter, String)> {
    let mut filter = Filter::default();
    let mut query = Vec::new();
    if let Some(q) = param(pairs, "q") {
        if q.chars().count() > db::admin::SEARCH_MAX_CHARS {
            return Err(Error::bad_address(format!(
                "The search is too long: at most {} characters.",
                db::admin::SEARCH_MAX_CHARS
            )));
        }
        filter.search = Some(q.to_owned());
        query.push(format!("q={}", form_urlencode(q)));
    }
    for field in table.fields() {
        let name = field.name;
        match field.kind {
            Kind::Bool => match param(pairs, name) {
                Some(raw @ ("true" | "false")) => {
                    filter.flags.insert(name.to_owned(), raw == "true");
                    query.push(format!("{name}={raw}"));
                }
                Some(other) => {
                    return Err(Error::bad_address(format!(
                        "`{name}` is `true` or `false` (got `{other}`)."
                    )));
                }
                None => {}
            },
            Kind::Date | Kind::DateTime => {
                let mut range = DateRange {
                    field: name.to_owned(),
                    from: None,
                    to: None,
                };
                for (end, slot) in [("from", &mut range.from), ("to", &mut range.to)] {
                    if let Some(raw) = param(pairs, &format!("{name}_{end}")) {
                        *slot = Some(NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
                            Error::bad_address(format!(
                                "`{name}_{end}` is a date like 2026-11-30 (got `{raw}`)."
                            ))
                        })?);
                        query.push(format!("{name}_{end}={raw}"));
                    }
                }
                if range.from.is_some() || range.to.is_some() {
                    filter.dates.push(range);
                }
            }
            _ => {}
        }
    }
    Ok((filter, query.join("&")))
}

/// The filter controls as the list page shows them.
#[derive(Debug, Serialize)]
struct FilterView {
    q: String,
    flags: Vec<(&'static str, String, &'static str)>,
    dates: Vec<(&'static str, String, String, String)>,
}

fn filter_view(table: &dyn Table, filter: &Filter) -> FilterView {
    let fields = table.fields();
    FilterView {
        q: filter.search.clone().unwrap_or_default(),
        flags: fields
            .iter()
            .filter(|f| f.kind == Kind::Bool)
            .map(|f| {
                let value = match filter.flags.get(f.name) {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "",
                };
                (f.name, f.label.clone(), value)
            })
            .collect(),
        dates: fields
            .iter()
            .filter(|f| matches!(f.kind, Kind::Date | Kind::DateTime))
            .map(|f| {
                let range = filter.dates.iter().find(|r| r.field == f.name);
                let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                (
                    f.name,
                    f.label.clone(),
                    show(range.and_then(|r| r.from)),
                    show(range.and_then(|r| r.to)),
                )
            })
            .collect(),
    }
}

/// The list's paging request: its `limit`, `sort`, `after` and `before` checked against the
/// table's orders.
fn paging(table: &dyn Table, pairs: &Pairs) -> Result<listing::ListRequest<()>> {
    let limit = param(pairs, "limit")
        .map(|raw| {
            raw.parse::<u64>()
                .map_err(|_| Error::bad_address(format!("`limit` is a number (got `{raw}`).")))
        })
        .transpose()?;
    let query = ListQuery {
        limit,
        sort: param(pairs, "sort").map(str::to_owned),
        after: param(pairs, "after").map(str::to_owned),
        before: param(pairs, "before").map(str::to_owned),
        offset: None,
    };
    let orders: Vec<Order<()>> = table
        .orders()
        .into_iter()
        .map(|name| Order {
            name,
            key: None,
            descending: false,
        })
        .collect();
    query.parse(&orders, LIMITS)
}

pub(super) async fn list(
    State(state): State<AppState>,
    _: RequireAdmin,
    mut page: Page,
    Path(name): Path<String>,
    Query(pairs): Query<Pairs>,
) -> Result<Html<String>> {
    let table = table(&name)?;
    let (filter, filter_query) = filter_of(table.as_ref(), &pairs)?;
    let request = paging(table.as_ref(), &pairs)?;
    let slice = table
        .list(
            &state.reads,
            &filter,
            Some(request.order.name),
            request.limit,
            &request.position,
        )
        .await
        .map_err(listing::bad_request)?;
    let path = format!("/admin/{name}");
    let mut links = PageLinks::new(&path, &request, &slice, LIMITS.default);
    if !filter_query.is_empty() {
        for link in [&mut links.next, &mut links.prev].into_iter().flatten() {
            link.push('&');
            link.push_str(&filter_query);
        }
        links.first.push('&');
        links.first.push_str(&filter_query);
    }
    let rows: Vec<RowView> = slice
        .items
        .iter()
        .map(|row| row_view(table.as_ref(), row))
        .collect();
    page.insert("table", &view(table.as_ref()));
    page.insert("orders", &table.orders());
    page.insert("rows", &rows);
    page.insert("links", &links);
    page.insert("sort", request.order.name);
    page.insert("first_page", &matches!(request.position, Position::First));
    page.insert("filter", &filter_view(table.as_ref(), &filter));
    page.insert("filtered", &!filter.is_empty());
    page.insert("filter_query", &filter_query);
    page.render(&state.templates, "admin/list.html")
}

/// `POST /admin/{table}/bulk-delete`: the rows ticked on a list (`ids`), shown for a last look;
/// with `confirm`, deleted in one transaction — all of them, or none if any cannot be.
pub(super) async fn bulk_delete(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    mut page: Page,
    Path(name): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response> {
    let table = table(&name)?;
    let list_url = format!("/admin/{name}");
    let mut ids = Vec::new();
    for (key, value) in &pairs {
        if key == "ids" {
            let id = value
                .parse::<i64>()
                .map_err(|_| Error::bad_address(format!("`ids` holds row ids (got `{value}`).")))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
            // Checked as they come, so a form of a million ids costs no more than the cap.
            if ids.len() > BULK_MAX {
                return Err(Error::bad_address(format!(
                    "At most {BULK_MAX} rows at once."
                )));
            }
        }
    }
    if ids.is_empty() {
        flash(page.session(), "info", "Tick the rows to delete first.").await?;
        return Ok(Redirect::to(&list_url).into_response());
    }
    if param(&pairs, "confirm").is_none() {
        let mut rows = Vec::with_capacity(ids.len());
        for id in &ids {
            match table.get(&state.reads, *id).await {
                Ok(row) => rows.push(row_view(table.as_ref(), &row)),
                Err(db::Error::NotFound { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        page.insert("table", &view(table.as_ref()));
        page.insert("rows", &rows);
        return Ok(page
            .render(&state.templates, "admin/bulk_delete.html")?
            .into_response());
    }
    let txn = db::begin_write(&state.db).await?;
    let mut files = Vec::new();
    for id in &ids {
        match table.delete(&txn, user.actor(), *id, None).await {
            Ok(left) => files.extend(left),
            Err(err) => {
                // Dropping the transaction rolls back the rows deleted so far.
                drop(txn);
                let text = format!("Nothing was deleted: {err}.");
                flash(page.session(), "error", text).await?;
                return Ok(Redirect::to(&list_url).into_response());
            }
        }
    }
    txn.commit().await.map_err(db::Error::from)?;
    super::rows::remove_files(&state, &files).await;
    let text = format!("Deleted {} {}.", ids.len(), table.plural());
    flash(page.session(), "success", text).await?;
    Ok(Redirect::to(&list_url).into_response())
}

/// `POST /admin/{table}/export?FILTER`: export the rows the list's filter keeps, by a job;
/// its page shows the progress and then the file.
pub(super) async fn export(
    State(state): State<AppState>,
    _: RequireAdmin,
    page: Page,
    Path(name): Path<String>,
    Query(pairs): Query<Pairs>,
) -> Result<Redirect> {
    let table = table(&name)?;
    let (filter, _) = filter_of(table.as_ref(), &pairs)?;
    let job = ExportTable {
        table: name,
        filter,
    };
    let enqueued = state.jobs.enqueue(&state.db, &job).await?;
    let text = "Export started: this page shows its progress and then the file.";
    flash(page.session(), "success", text).await?;
    Ok(Redirect::to(&format!("/jobs/{}", enqueued.id)))
}

/// Where a finished admin export's file downloads from (the jobs pages link it).
pub(crate) fn download_url(job: &JobRecord) -> Option<String> {
    (job.kind == ExportTable::NAME && job.state == JobState::Succeeded)
        .then(|| format!("/admin/exports/{}", job.id))
}

/// `GET /admin/exports/{id}`: the file export job `id` stored.
pub(super) async fn download(
    State(state): State<AppState>,
    _: RequireAdmin,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response> {
    let job = state.jobs.get(id).await?;
    let export = (job.kind == ExportTable::NAME)
        .then(|| serde_json::from_value::<ExportTable>(job.payload.clone()).ok())
        .flatten()
        .ok_or_else(|| Error::NotFound(format!("Job {id} is not an export: it has no file.")))?;
    if job.state != JobState::Succeeded {
        return Err(Error::Conflict(format!(
            "Export {id} is {}: the file is ready once it has succeeded.",
            job.state
        )));
    }
    let gone = format!("The file of export {id} is gone (exports are deleted after a week).");
    let filename = format!("{}-{id}.csv", export.table);
    crate::files::job_file(&state, &export.key(id), &filename, &headers, gone).await
}
