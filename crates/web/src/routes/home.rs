//! The home page: what this template shows and where each part lives.

use axum::{Router, extract::State, response::Html, routing::get};

use crate::{AppState, Result, Templates};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(State(templates): State<Templates>) -> Result<Html<String>> {
    let mut context = tera::Context::new();
    context.insert("version", env!("CARGO_PKG_VERSION"));
    templates.page("home.html", &context)
}
