//! `/api/todos/summary` and `/todos`: several todos fetched from the external API at once.
//!
//! The calls run concurrently (within the upstream's in-flight cap and one deadline), so three
//! todos cost one upstream round trip, not three. One failing id never fails the others: it is
//! reported beside the todos that arrived.

use api_client::{ApiClients, clients::todos::Todo};
use axum::{Router, extract::State, response::Html, routing::get};
use serde::{Deserialize, Serialize};

use crate::{
    AppState, Error, Result,
    extract::{Json, Query},
};

/// The most ids one summary may ask for.
const MAX_IDS: usize = 20;

/// The page (it shows who is signed in, so it sits behind the session layer).
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/todos", get(page))
}

/// The JSON summary: public, stateless, and the hot path of the fan-out benchmark, so it skips
/// the session and CSRF layers it would never use.
pub(crate) fn public_router() -> Router<AppState> {
    Router::new().route("/api/todos/summary", get(api))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SummaryParams {
    /// Up to 20 todo ids, comma-separated: `1,2,3`.
    ids: Option<String>,
}

/// The todos that came back, and what went wrong with the others.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TodoSummary)]
struct Summary {
    todos: Vec<Todo>,
    errors: Vec<IdError>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct IdError {
    id: u64,
    /// For programs: which upstream failed and how.
    error: String,
    /// The status this failure would have on its own: 404, 429, 502, 503 or 504.
    status: u16,
    /// For the page: what a person can make of it.
    message: &'static str,
}

/// An upstream failure as a person reads it (the page shows this; the JSON keeps `error`).
fn for_people(status: u16) -> &'static str {
    match status {
        404 => "there is no such todo",
        429 => "the todo service is busy; try again in a minute",
        503 => "the todo service is not answering right now; try again shortly",
        504 => "the todo service took too long to answer; try again shortly",
        _ => "the todo service answered something this site cannot read",
    }
}

#[utoipa::path(get, path = "/api/todos/summary", tag = "todos", params(SummaryParams),
    description = "Asks the todo service for each id at once (an upstream behind a timeout, retries \
        and a circuit breaker); one failing id does not fail the others.",
    responses(
        (status = 200, description = "What came back, and an error per id that did not", body = Summary),
        (status = 400, description = "Not a list of up to 20 ids", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn api(
    State(api): State<ApiClients>,
    Query(params): Query<SummaryParams>,
) -> Result<Json<Summary>> {
    let ids = parse_ids(params.ids.as_deref().unwrap_or_default())?;
    Ok(Json(fetch(&api, ids).await))
}

async fn page(
    State(state): State<AppState>,
    mut page: crate::page::Page,
    Query(params): Query<SummaryParams>,
) -> Result<Html<String>> {
    let raw = params.ids.unwrap_or_else(|| "1,2,3".to_owned());
    page.insert("ids", &raw);
    match parse_ids(&raw) {
        Ok(ids) => page.insert("summary", &fetch(&state.api, ids).await),
        Err(Error::BadRequest(message)) => page.insert("invalid", &message),
        Err(other) => return Err(other),
    }
    page.render(&state.templates, "todos/index.html")
}

/// Fetches every id concurrently; the results come back in the order the ids were given.
///
/// The calls are polled together in the request's own task rather than spawned: no task per
/// call to schedule and wake, and when the request goes away (a hang-up, the deadline) the calls
/// are dropped with it.
async fn fetch(api: &ApiClients, ids: Vec<u64>) -> Summary {
    let calls = ids.iter().map(|&id| {
        let todos = &api.todos;
        async move { (id, todos.get_todo(id).await) }
    });
    let results = futures_util::future::join_all(calls).await;
    let mut summary = Summary {
        todos: Vec::new(),
        errors: Vec::new(),
    };
    for (id, result) in results {
        match result {
            Ok(todo) => summary.todos.push(todo),
            Err(e) => {
                let error = Error::from(e);
                let status = error.status().as_u16();
                summary.errors.push(IdError {
                    id,
                    status,
                    error: error.to_string(),
                    message: for_people(status),
                });
            }
        }
    }
    summary
}

/// `"1,2, 3,2"` → `[1, 2, 3]`: positive integers, duplicates dropped (first one kept), 1 to
/// [`MAX_IDS`] of them.
fn parse_ids(raw: &str) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = part
            .parse::<u64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                Error::BadRequest(format!(
                    "“{part}” is not a todo id: ids are whole numbers above 0, like 1,2,3."
                ))
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(Error::BadRequest(
            "Give at least one id, like 1,2,3.".into(),
        ));
    }
    if ids.len() > MAX_IDS {
        return Err(Error::BadRequest(format!(
            "At most {MAX_IDS} different ids at once (got {}).",
            ids.len()
        )));
    }
    Ok(ids)
}

/// The todos API's part of the OpenAPI document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(api))]
    struct Paths;
    <Paths as utoipa::OpenApi>::openapi()
}

#[cfg(test)]
mod tests {
    use super::parse_ids;

    #[test]
    fn ids_are_deduplicated_in_order() {
        assert_eq!(parse_ids("3, 1,3,2,1").ok(), Some(vec![3, 1, 2]));
    }

    #[test]
    fn bad_lists_are_refused() {
        let many = (1..=21)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        for bad in ["", " , ", "0", "-1", "abc", "1,x", "1.5", many.as_str()] {
            assert!(parse_ids(bad).is_err(), "{bad:?}");
        }
        let twenty = (1..=20)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(parse_ids(&twenty).map(|v| v.len()).ok(), Some(20));
    }
}
