//! Lists paged by cursor, as every list route serves them (see `db::list`).
//!
//! The query is `?limit=&sort=&after=` (or `before=`); a JSON list answers with its items, the
//! cursors of the next and previous pages and an RFC 8288 `Link` header (`next`, `prev`,
//! `first`); an HTML list gets the same links for its pager. There are no page numbers and no
//! offsets: both cost a walk over every row before the page.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use db::list::{Cursor, Order, Position, Slice};
use serde::{Deserialize, Serialize, de::IgnoredAny};

use crate::{Error, Result, extract::Json};

/// A list request's query string. Unknown parameters are refused (a typo in `limit` should
/// not silently give the default).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many items (a list's default and maximum are in its description).
    pub limit: Option<u64>,
    /// The order: a column name, `-` in front for descending.
    pub sort: Option<String>,
    /// A page's `next_cursor`: the items after it.
    pub after: Option<String>,
    /// A page's `prev_cursor`: the items before it.
    pub before: Option<String>,
    /// Gone: named only so that the refusal can say what to use instead.
    #[param(ignore)]
    pub offset: Option<IgnoredAny>,
}

/// What a list route reads: the order, how many rows and from where.
#[derive(Debug, Clone)]
pub struct ListRequest<C> {
    pub order: Order<C>,
    pub limit: u64,
    pub position: Position,
}

/// How many rows a list gives when asked for none in particular, and at most.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub default: u64,
    pub max: u64,
}

impl ListQuery {
    /// Checks the query against the list's `orders` (the first is the default). Every problem
    /// is a 400 that says what to send instead.
    pub fn parse<C: Copy>(&self, orders: &[Order<C>], limits: Limits) -> Result<ListRequest<C>> {
        if self.offset.is_some() {
            return Err(Error::bad_address(
                "`offset` is not supported: lists are paged by cursor. Pass the `next_cursor` of \
                 a response as `after` (or follow its `Link: rel=\"next\"` header).",
            ));
        }
        let limit = self.limit.unwrap_or(limits.default);
        if !(1..=limits.max).contains(&limit) {
            return Err(Error::bad_address(format!(
                "`limit` must be between 1 and {} (got {limit}).",
                limits.max
            )));
        }
        let cursor = |field, raw: &str| Cursor::decode(field, raw).map_err(bad_request);
        let position = match (self.after.as_deref(), self.before.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(Error::bad_address("Give `after` or `before`, not both."));
            }
            (Some(raw), None) => Position::After(cursor("after", raw)?),
            (None, Some(raw)) => Position::Before(cursor("before", raw)?),
            (None, None) => Position::First,
        };
        // Without `sort`, a cursor's own order applies, so a link needs no more than the cursor.
        let name = match (&self.sort, &position) {
            (Some(name), _) => Some(name.as_str()),
            (None, Position::After(c) | Position::Before(c)) => Some(c.order()),
            (None, Position::First) => None,
        };
        let order = match name {
            Some(name) => Order::find(orders, name).map_err(bad_request)?,
            None => *orders
                .first()
                .ok_or_else(|| Error::internal("a list with no orders"))?,
        };
        Ok(ListRequest {
            order,
            limit,
            position,
        })
    }
}

/// A query error from `db` (a cursor that is not ours, an unknown order) as a 400.
pub fn bad_request(err: db::Error) -> Error {
    match err {
        db::Error::Invalid(errors) => Error::bad_address(
            errors
                .iter()
                .map(|e| format!("`{}` {}.", e.field, e.message))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => other.into(),
    }
}

/// The links to a page's neighbours, relative to the list's path.
#[derive(Debug, Clone, Serialize)]
pub struct PageLinks {
    pub next: Option<String>,
    pub prev: Option<String>,
    pub first: String,
}

impl PageLinks {
    pub fn new<C, T>(
        path: &str,
        request: &ListRequest<C>,
        slice: &Slice<T>,
        default_limit: u64,
    ) -> Self {
        let mut base = format!("{path}?sort={}", request.order.name);
        if request.limit != default_limit {
            base.push_str(&format!("&limit={}", request.limit));
        }
        // Cursors are URL-safe base64: no escaping needed.
        let link = |field: &str, cursor: &Cursor| format!("{base}&{field}={}", cursor.encode());
        Self {
            next: slice.next.as_ref().map(|c| link("after", c)),
            prev: slice.prev.as_ref().map(|c| link("before", c)),
            first: base.clone(),
        }
    }

    fn header(&self) -> Option<HeaderValue> {
        let mut parts = Vec::with_capacity(3);
        if let Some(next) = &self.next {
            parts.push(format!("<{next}>; rel=\"next\""));
        }
        if let Some(prev) = &self.prev {
            parts.push(format!("<{prev}>; rel=\"prev\""));
        }
        parts.push(format!("<{}>; rel=\"first\"", self.first));
        HeaderValue::from_str(&parts.join(", ")).ok()
    }
}

/// The JSON body of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListBody<T> {
    items: Vec<T>,
    limit: u64,
    sort: &'static str,
    /// Pass as `after` for the next page; `null` on the last page.
    next_cursor: Option<String>,
    /// Pass as `before` for the previous page; `null` on the first page.
    prev_cursor: Option<String>,
}

/// A JSON list response: the body and its `Link` header.
pub fn json<C, T: Serialize>(
    path: &str,
    request: &ListRequest<C>,
    slice: Slice<T>,
    limits: Limits,
) -> Response {
    let links = PageLinks::new(path, request, &slice, limits.default);
    let body = ListBody {
        limit: request.limit,
        sort: request.order.name,
        next_cursor: slice.next.as_ref().map(Cursor::encode),
        prev_cursor: slice.prev.as_ref().map(Cursor::encode),
        items: slice.items,
    };
    let mut response = Json(body).into_response();
    if let Some(link) = links.header() {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}
