//! The home page: what this template shows and where each part lives.

use axum::{Router, extract::State, response::Html, routing::get};

use crate::{AppState, Result, page::Page};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(State(state): State<AppState>, mut page: Page) -> Result<Html<String>> {
    page.insert("version", env!("CARGO_PKG_VERSION"));
    page.render(&state.templates, "home.html")
}
