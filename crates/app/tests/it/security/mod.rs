//! Issue 6's security checklist, S1–S17: accounts and sessions, CSRF, headers, abuse and leaks.
//! S11 (a panic leaks nothing) and S16 (the request deadline) are in `web`'s middleware tests,
//! where a route that panics or never answers can be mounted.

mod accounts;
mod csrf;
mod deploy;
mod headers;
mod inputs;
mod ownership; // [demo:products]
mod proxies;
mod rate_limits;
mod recovery;
mod sessions;
mod tokens;

use reqwest::{Response, header};

/// The CSRF token in a page's form.
pub fn form_token(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a CSRF field") + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// A new visitor who opened the form at `path`: its client and the form's CSRF token.
pub async fn visit_form(app: &crate::helpers::TestApp, path: &str) -> (reqwest::Client, String) {
    let browser = app.anonymous();
    let response = browser.get(app.url(path)).send().await.unwrap();
    let page = crate::helpers::html(response, reqwest::StatusCode::OK).await;
    (browser, form_token(&page))
}

/// The `Set-Cookie` header that sets the session cookie, if the response has one.
pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| {
            [web::SESSION_COOKIE, web::SECURE_SESSION_COOKIE]
                .iter()
                .any(|name| v.starts_with(&format!("{name}=")))
        })
        .map(str::to_owned)
}
