//! `/chat`: the rooms page, a room's page (history, who is here, a form that posts without
//! JavaScript) and `/ws/chat/{room}`, the room's WebSocket.

use axum::{
    Extension, Router,
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, Uri, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use db::{
    FieldErrors,
    chat::{MessageBody, RoomName},
    rate_limits::{self, Decision},
};
use serde::Deserialize;

use crate::{
    AppState, Error, Result,
    auth::{MaybeUser, RequireUser, csrf},
    chat::{room, socket},
    extract::{Form, Path, Query},
    forwarded::ClientAddr,
    page::Page,
};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/chat", get(index))
        .route("/chat/{room}", get(show).post(post))
        .route("/ws/chat/{room}", get(upgrade))
}

fn parse_room(raw: &str) -> Result<RoomName> {
    RoomName::parse(raw).map_err(|problem| {
        Error::NotFound(format!("There is no room `{raw}`: a room name {problem}."))
    })
}

#[derive(Debug, Deserialize)]
struct JoinParams {
    room: Option<String>,
}

/// The rooms with recent messages, and a form to open any room (`/chat?room=name`).
async fn index(
    State(state): State<AppState>,
    mut page: Page,
    Query(params): Query<JoinParams>,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
    if let Some(raw) = params.room.as_deref() {
        let raw = raw.trim().to_ascii_lowercase();
        match RoomName::parse(&raw) {
            Ok(room) => return Ok(Redirect::to(&format!("/chat/{room}")).into_response()),
            Err(problem) => errors.add("room", problem),
        }
    }
    page.insert("rooms", &db::chat::active_rooms(&state.db, 20).await?);
    page.insert("room_input", &params.room.unwrap_or_default());
    page.insert("errors", &crate::page::first_error_per_field(&errors));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page.render(&state.templates, "chat/index.html")?).into_response())
}

async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Html<String>> {
    let room = parse_room(&raw)?;
    room_page(&state, page, &room, "", &FieldErrors::default()).await
}

async fn room_page(
    state: &AppState,
    mut page: Page,
    room: &RoomName,
    body: &str,
    errors: &FieldErrors,
) -> Result<Html<String>> {
    let messages = db::chat::recent(&state.db, room, state.config.chat.history).await?;
    page.insert("room", room.as_str());
    page.insert("messages", &messages);
    page.insert("present", &room::present(state, room).await?);
    page.insert("you", &page.user.as_ref().map(room::display_name));
    page.insert("body", body);
    page.insert("errors", &crate::page::first_error_per_field(errors));
    page.insert("max_bytes", &state.config.chat.max_message_bytes);
    page.render(&state.templates, "chat/room.html")
}

#[derive(Debug, Deserialize)]
struct PostForm {
    #[serde(default)]
    body: String,
}

/// `POST /chat/{room}`: the form's way to post (the page's script uses the socket instead).
async fn post(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    page: Page,
    Path(raw): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response> {
    let room = parse_room(&raw)?;
    let chat = &state.config.chat;
    let body = match MessageBody::parse(&form.body, chat.max_message_bytes) {
        Ok(body) => body,
        Err(problem) => {
            let mut errors = FieldErrors::default();
            errors.add("body", problem);
            let html = room_page(&state, page, &room, &form.body, &errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
    };
    let key = format!("chat:{}", user.id);
    let decision = rate_limits::hit(
        &state.db,
        &key,
        chat.rate_limit,
        chat.rate_window,
        db::now(),
    );
    if let Decision::Limited { retry_after } = decision.await? {
        return Err(Error::TooManyRequests {
            message: format!(
                "Slow down: at most {} messages per {} s.",
                chat.rate_limit,
                chat.rate_window.as_secs()
            ),
            retry_after,
        });
    }
    room::post(&state, &room, &user, &body).await?;
    Ok(Redirect::to(&format!("/chat/{room}#compose")).into_response())
}

/// The WebSocket's read buffer: a chat frame of the usual size (it grows for a bigger one).
const READ_BUFFER: usize = 1024;

/// `GET /ws/chat/{room}`: anyone may read; posting needs a signed-in user (session cookie or
/// bearer token). A browser's `Origin` must be this site or a trusted origin, or a page on
/// another site could open the socket with the visitor's cookie (cross-site WebSocket
/// hijacking); clients that send no `Origin` (not browsers) are let in.
async fn upgrade(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(raw): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    client: Option<Extension<ClientAddr>>,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    if headers.contains_key(header::ORIGIN) {
        csrf::check_request_origin(
            &headers,
            &uri,
            client.as_ref().map(|Extension(client)| client),
            &state.config.security.trusted_origins,
        )?;
    }
    let room = parse_room(&raw)?;
    // A hard cap for the WebSocket layer: twice the message limit plus framing. Bigger frames are
    // not even buffered; between the two limits the socket closes with 1009.
    let cap = state.config.chat.max_message_bytes * 2 + 1024;
    // Once upgraded, hyper no longer tracks the connection: the shutdown's drain waits for it
    // through this token until the socket's loop ends.
    let held = state.shutdown().hold();
    let open = crate::metered::Open::new("websocket_connections");
    Ok(ws
        .max_message_size(cap)
        .max_frame_size(cap)
        // tungstenite's default read buffer is 128 KiB, zero-filled up front: per idle socket
        // that was most of the ~88 KB it cost. Chat frames are a few KiB; the buffer grows for
        // the rare bigger one (up to `cap`). Writes go out a frame at a time (the writer task
        // flushes each), so no write buffer is kept either.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            socket::run(socket, state, room, user).await;
            drop((held, open));
        }))
}
