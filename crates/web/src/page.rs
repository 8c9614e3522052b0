//! What every HTML page's template gets: the signed-in user, the CSRF token for its forms and the
//! flash messages waiting to be shown. Handlers take [`Page`] and add their own values.

use axum::{extract::FromRequestParts, http::request::Parts, response::Html};
use tera::Context;
use tower_sessions::Session;

use crate::{
    AppState, Error, Result, Templates,
    auth::{self, CurrentUser, session},
};

#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) context: Context,
    pub(crate) user: Option<CurrentUser>,
    session: Session,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = auth::MaybeUser::from_request_parts(parts, state).await?.0;
        let session = auth::session_of(parts)?;
        let flashes = session::take_flashes(&session).await?;
        // A signed-in user's pages have forms (log out, at least); an anonymous visitor gets a
        // token only from pages that show a form, so browsing creates no session rows.
        let csrf = match user {
            Some(_) => Some(session::csrf_token(&session).await?),
            None => session::existing_csrf_token(&session).await?,
        };
        let mut context = Context::new();
        context.insert("current_user", &user);
        context.insert("csrf_token", &csrf);
        context.insert("flashes", &flashes);
        Ok(Self {
            context,
            user,
            session,
        })
    }
}

impl Page {
    /// Makes sure the page has a CSRF token for its form (login and signup, for visitors).
    pub(crate) async fn with_form_token(mut self) -> Result<Self> {
        let token = session::csrf_token(&self.session).await?;
        self.context.insert("csrf_token", &token);
        Ok(self)
    }

    pub(crate) fn insert<T: serde::Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.context.insert(key, value);
    }

    pub(crate) fn render(&self, templates: &Templates, name: &str) -> Result<Html<String>> {
        templates.page(name, &self.context)
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }
}

/// `{field: message}` for a template, one message per field.
pub(crate) fn first_error_per_field(
    errors: &db::FieldErrors,
) -> std::collections::BTreeMap<&'static str, &str> {
    let mut map = std::collections::BTreeMap::new();
    for e in errors.iter() {
        map.entry(e.field).or_insert(e.message.as_str());
    }
    map
}
