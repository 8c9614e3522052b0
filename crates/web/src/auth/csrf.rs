//! Cross-site request forgery protection for requests authenticated by the session cookie.
//!
//! An unsafe request (anything but GET, HEAD, OPTIONS, TRACE) passes when:
//! - it carries `Authorization` (a bearer token is not sent by browsers on their own, so CSRF
//!   does not apply; the token itself is checked by the auth extractors), or
//! - its `Origin` (or, without one, its `Referer`) names this site or a trusted origin, and it
//!   carries the session's CSRF token in the `x-csrf-token` header or a `csrf_token` form field.
//!
//! A multipart form is streamed, so its token cannot be looked for anywhere in the body. On the
//! routes declared as uploads the token must be the form's *first* field: it is read and checked
//! here, before the handler runs, and the opened form is handed on (`upload::StreamedForm`), so
//! an upload handler cannot forget the check. Everywhere else a multipart request without the
//! `x-csrf-token` header is refused: the check fails closed.
//!
//! One exception: an `/api` request with no session cookie has no ambient authority for an
//! attacker to borrow, so it goes on to the handler, which answers 401 if it needs a user (its
//! JSON body also needs a `Content-Type` that cross-site forms cannot send).

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderName, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use super::{session, tokens};
use crate::{
    AppState, Error,
    forwarded::{ClientAddr, Scheme},
    problem::is_api,
    upload,
};

pub const HEADER: HeaderName = HeaderName::from_static("x-csrf-token");
pub const FORM_FIELD: &str = "csrf_token";

/// Which kind of route group the check guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Routes {
    /// Bodies are read whole: a multipart form needs the header.
    Buffered,
    /// Declared uploads: a multipart form carries the token as its first field.
    Uploads,
}

/// The check for every route but the declared uploads.
pub(crate) async fn protect(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    guard(&state, request, next, Routes::Buffered).await
}

/// The check for the routes declared as uploads.
pub(crate) async fn protect_uploads(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    guard(&state, request, next, Routes::Uploads).await
}

async fn guard(state: &AppState, request: Request, next: Next, routes: Routes) -> Response {
    if is_safe(request.method()) || request.headers().contains_key(header::AUTHORIZATION) {
        return next.run(request).await;
    }
    match check(state, request, routes).await {
        Ok(request) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Checks the request's `Origin` (or `Referer`) against the host it came to and the trusted
/// origins: what every unsafe request passes here, and what a WebSocket upgrade (a GET that
/// carries cookies) must pass too. `client` is what the outermost layer worked out: when a
/// trusted proxy said which scheme the browser used, the origin's scheme must be that one.
pub(crate) fn check_request_origin(
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    client: Option<&ClientAddr>,
    trusted: &[String],
) -> Result<(), Error> {
    let site = Site {
        host: crate::finish::effective_host(headers, uri),
        scheme: client.and_then(|c| c.scheme),
    };
    check_origin(headers, site, trusted)
}

async fn check(state: &AppState, request: Request, routes: Routes) -> Result<Request, Error> {
    check_request_origin(
        request.headers(),
        request.uri(),
        request.extensions().get::<ClientAddr>(),
        &state.config.security.trusted_origins,
    )?;
    let session = request
        .extensions()
        .get::<Session>()
        .cloned()
        .ok_or_else(|| Error::internal("the CSRF check runs inside the session layer"))?;
    if session.id().is_none() && is_api(request.uri().path()) {
        return Ok(request);
    }
    let Some(expected) = session::existing_csrf_token(&session).await? else {
        return Err(Error::Forbidden(
            "This form has expired (no session, or cookies are blocked). Reload the page and try again.".into(),
        ));
    };
    if upload::is_multipart(request.headers()) {
        return match routes {
            Routes::Uploads => open_upload(state, request, &expected).await,
            Routes::Buffered => match request.headers().get(&HEADER) {
                Some(sent) => {
                    verify(sent.to_str().unwrap_or_default(), &expected).map(|()| request)
                }
                None => Err(Error::Forbidden(format!(
                    "A multipart form is only accepted by an upload; elsewhere send the CSRF token as the `{HEADER}` header."
                ))),
            },
        };
    }
    let (request, sent) = sent_token(request, state.config.body_limit).await?;
    match sent {
        Some(sent) => verify(&sent, &expected).map(|()| request),
        None => Err(Error::Forbidden(format!(
            "This request has no CSRF token: forms send a `{FORM_FIELD}` field, scripts the `{HEADER}` header."
        ))),
    }
}

fn verify(sent: &str, expected: &str) -> Result<(), Error> {
    if tokens::same_secret(sent, expected) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "The CSRF token does not match this session. Reload the page and try again.".into(),
        ))
    }
}

/// An upload's form: the token is its first field (or the header); the form, opened and
/// checked, goes on to the handler in the request's extensions, with an empty body.
async fn open_upload(state: &AppState, request: Request, expected: &str) -> Result<Request, Error> {
    let (mut parts, body) = request.into_parts();
    let mut form = upload::StreamedForm::open(&parts.headers, body, &state.config.uploads)?;
    let header = parts
        .headers
        .get(&HEADER)
        .map(|v| v.to_str().unwrap_or_default());
    match form.next_field().await? {
        Some(field) if field.name() == Some(FORM_FIELD) => {
            let sent = upload::small_text(field).await?;
            verify(header.unwrap_or(&sent), expected)?;
        }
        first => {
            let Some(sent) = header else {
                return Err(Error::Forbidden(format!(
                    "This form has no CSRF token before its file: send the `{FORM_FIELD}` field first, or the `{HEADER}` header."
                )));
            };
            verify(sent, expected)?;
            if let Some(first) = first {
                form.put_back(first);
            }
        }
    }
    parts.extensions.insert(upload::Opened::new(form));
    Ok(Request::from_parts(parts, Body::empty()))
}

/// This site as the request reached it: the `Host` (which the host allowlist has vetted) and,
/// behind a trusted proxy that said, the scheme.
#[derive(Debug, Clone, Copy)]
struct Site<'a> {
    host: Option<&'a str>,
    scheme: Option<Scheme>,
}

/// The `Origin` (or `Referer`) must be this site or a trusted origin. A request with neither
/// header is let through to the token check: browsers always send `Origin` on cross-site posts.
fn check_origin(headers: &HeaderMap, site: Site<'_>, trusted: &[String]) -> Result<(), Error> {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let Some(claimed) = claimed else {
        return Ok(());
    };
    let origin = origin_of(claimed);
    let same_site = origin
        .as_deref()
        .and_then(|o| o.split_once("://"))
        .is_some_and(|(scheme, authority)| {
            Some(authority) == site.host && site.scheme.is_none_or(|s| s.as_str() == scheme)
        });
    let is_trusted = origin
        .as_deref()
        .is_some_and(|o| trusted.iter().any(|t| t == o));
    if same_site || is_trusted {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "Cross-site request refused: it came from {claimed}, not from this site."
        )))
    }
}

/// `scheme://host[:port]` of an origin or a full URL (a `Referer`); `None` for `null` and junk.
fn origin_of(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// The token from the header, or from the body of a urlencoded form (read, then put back for
/// the handler).
async fn sent_token(request: Request, limit: usize) -> Result<(Request, Option<String>), Error> {
    if let Some(value) = request.headers().get(&HEADER) {
        let token = value.to_str().ok().map(str::to_owned);
        return Ok((request, token));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Error::PayloadTooLarge("The request body is larger than the server accepts.".into())
    })?;
    let token = form_urlencoded_field(&bytes, FORM_FIELD);
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{Scheme, Site, check_origin, form_urlencoded_field, origin_of};

    const SHOP: Site<'static> = Site {
        host: Some("shop.example.com"),
        scheme: None,
    };

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn origins_are_scheme_and_authority() {
        assert_eq!(
            origin_of("https://Example.com:8443/a?b"),
            Some("https://example.com:8443".into())
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("javascript://x"), None);
        assert_eq!(origin_of("http://user@evil"), None);
    }

    #[test]
    fn same_site_and_trusted_origins_pass_others_do_not() {
        let trusted = vec!["https://admin.example.com".to_owned()];
        let same = headers(&[
            (header::HOST, "shop.example.com"),
            (header::ORIGIN, "https://shop.example.com"),
        ]);
        let listed = headers(&[
            (header::HOST, "shop.example.com"),
            (header::ORIGIN, "https://admin.example.com"),
        ]);
        let evil = headers(&[
            (header::HOST, "shop.example.com"),
            (header::ORIGIN, "https://evil.example"),
        ]);
        let referer = headers(&[
            (header::HOST, "shop.example.com"),
            (header::REFERER, "https://evil.example/shop.example.com"),
        ]);
        let opaque = headers(&[(header::HOST, "shop.example.com"), (header::ORIGIN, "null")]);
        check_origin(&same, SHOP, &trusted).unwrap();
        check_origin(&listed, SHOP, &trusted).unwrap();
        assert!(check_origin(&evil, SHOP, &trusted).is_err());
        assert!(check_origin(&referer, SHOP, &trusted).is_err());
        assert!(check_origin(&opaque, SHOP, &trusted).is_err());
    }

    #[test]
    fn behind_a_trusted_proxy_the_scheme_must_match_too() {
        let https = Site {
            scheme: Some(Scheme::Https),
            ..SHOP
        };
        let http = Site {
            scheme: Some(Scheme::Http),
            ..SHOP
        };
        let secure = headers(&[(header::ORIGIN, "https://shop.example.com")]);
        let plain = headers(&[(header::ORIGIN, "http://shop.example.com")]);
        check_origin(&secure, https, &[]).unwrap();
        check_origin(&plain, http, &[]).unwrap();
        assert!(check_origin(&plain, https, &[]).is_err());
        assert!(check_origin(&secure, http, &[]).is_err());
    }

    #[test]
    fn the_token_is_read_from_a_form_body() {
        assert_eq!(
            form_urlencoded_field(b"name=Tea&csrf_token=abc%2Bd", "csrf_token"),
            Some("abc+d".into())
        );
        assert_eq!(form_urlencoded_field(b"name=Tea", "csrf_token"), None);
    }
}
