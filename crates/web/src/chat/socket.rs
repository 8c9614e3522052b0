//! One chat connection: join, then relay the room to the client and the client's posts to the
//! room until either side leaves or breaks a limit.
//!
//! Writing to the client runs on a task of its own behind a bounded queue
//! (`APP_CHAT_BUFFER` frames). The connection's loop only ever `try_send`s to that queue: when a
//! client reads too slowly for the queue to drain, the queue fills and the client is dropped at
//! once; the loop never waits on one client's socket, so one slow reader never holds up the
//! room, and neither does a burst of messages (the hub gives each subscriber its own buffer).

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use db::{
    HubRecvError,
    chat::{MessageBody, RoomName},
};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use tokio::{
    sync::mpsc::{self, error::TrySendError},
    time::Instant,
};

use super::{ClientFrame, ServerFrame, room};
use crate::{AppState, auth::CurrentUser};

/// Why a connection ended (logged, and for some sent as the close frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    ClientLeft,
    TooBig,
    TooSlow,
    Idle,
    WriteFailed,
    /// The server is shutting down.
    Shutdown,
}

/// Every `.await` of a slow path below is boxed: an idle connection's task is as big as its
/// largest state, and the database calls' futures are kilobytes each. Boxed, they cost only
/// while they run; the idle loop stays a few hundred bytes (see the bench's WebSocket row).
pub(crate) async fn run(
    socket: WebSocket,
    state: AppState,
    room: RoomName,
    user: Option<CurrentUser>,
) {
    let connection = uuid::Uuid::new_v4().to_string();
    let config = state.config.chat.clone();
    let name = user.as_ref().map(room::display_name);
    // Subscribed before the history is read, so no message falls between the two.
    let mut events = Box::pin(state.hub.subscribe(&room::topic(&room))).await;
    let (sink, mut stream) = socket.split();
    let (out, queue) = mpsc::channel::<Message>(config.outbound_buffer.max(4));
    let mut writer = tokio::spawn(write_all(sink, queue, config.idle_timeout));

    Box::pin(room::enter(&state, &room, &connection, name.as_deref())).await;
    let (mut end, last_seen_id) = match Box::pin(greet(&state, &room, name, &out)).await {
        Ok(last) => (None, last),
        Err(end) => (Some(end), 0),
    };

    let mut limiter = RateLimit::new(config.rate_limit, config.rate_window);
    let mut ping =
        tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    let mut heard = Instant::now();
    let mut closing = std::pin::pin!(state.shutdown().begun());
    while end.is_none() {
        end = tokio::select! {
            () = &mut closing => Some(End::Shutdown),
            incoming = stream.next() => match incoming {
                Some(Ok(message)) => {
                    heard = Instant::now();
                    Box::pin(on_message(&state, &room, user.as_ref(), message, &mut limiter, &out)).await
                }
                // A frame over the hard limit (or broken framing): refuse it as too big.
                Some(Err(err)) if is_capacity(&err) => Some(End::TooBig),
                Some(Err(_)) | None => Some(End::ClientLeft),
            },
            event = events.recv() => match event {
                Ok(payload) => match Box::pin(room::frame_of(&state, &payload)).await {
                    // History already covered it (it arrived between subscribing and reading).
                    Some(ServerFrame::Message { message }) if message.id <= last_seen_id => None,
                    Some(frame) => enqueue(&out, &frame),
                    None => None,
                },
                Err(HubRecvError::Lagged(_)) => Some(End::TooSlow),
                Err(HubRecvError::Closed) => Some(End::ClientLeft),
            },
            _ = ping.tick() => {
                if heard.elapsed() >= config.idle_timeout {
                    Some(End::Idle)
                } else {
                    let touched = Box::pin(db::chat::touch(&state.db, &connection, db::now())).await;
                    if let Err(err) = touched {
                        tracing::warn!(error = %err, "chat presence not refreshed");
                    }
                    send(&out, Message::Ping(Default::default()))
                }
            },
            _ = &mut writer => Some(End::WriteFailed),
        };
    }
    let end = end.unwrap_or(End::ClientLeft);
    Box::pin(finish(end, out, writer)).await;
    drop(events);
    Box::pin(room::leave(&state, &room, &connection)).await;
    tracing::debug!(?end, %room, "chat connection closed");
}

/// Sends `welcome`, `history` and `presence`; returns the newest history id.
async fn greet(
    state: &AppState,
    room: &RoomName,
    you: Option<String>,
    out: &mpsc::Sender<Message>,
) -> Result<i64, End> {
    let history = db::chat::recent(&state.db, room, state.config.chat.history)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!(error = %err, "chat history not read");
            Vec::new()
        });
    let last = history.last().map_or(0, |m| m.id);
    let present = room::present(state, room).await.unwrap_or_default();
    for frame in [
        ServerFrame::Welcome {
            room: room.to_string(),
            you,
        },
        ServerFrame::History { messages: history },
        ServerFrame::Presence(present),
    ] {
        if let Some(end) = enqueue(out, &frame) {
            return Err(end);
        }
    }
    Ok(last)
}

async fn on_message(
    state: &AppState,
    room: &RoomName,
    user: Option<&CurrentUser>,
    message: Message,
    limiter: &mut RateLimit,
    out: &mpsc::Sender<Message>,
) -> Option<End> {
    let max = state.config.chat.max_message_bytes;
    let text = match message {
        Message::Text(text) if text.len() > max + FRAME_OVERHEAD => return Some(End::TooBig),
        Message::Binary(bytes) if bytes.len() > max + FRAME_OVERHEAD => return Some(End::TooBig),
        Message::Text(text) => text,
        Message::Binary(_) => {
            return refuse(
                out,
                "Send JSON text frames, like {\"type\":\"say\",\"body\":\"hello\"}.",
            );
        }
        Message::Close(_) => return Some(End::ClientLeft),
        Message::Ping(_) | Message::Pong(_) => return None,
    };
    let body = match serde_json::from_str::<ClientFrame>(text.as_str()) {
        Ok(ClientFrame::Say { body }) => body,
        Err(err) => return refuse(out, &format!("Not a chat frame: {err}.")),
    };
    let Some(user) = user else {
        return refuse(
            out,
            "Sign in to post: guests can read the room but not write in it.",
        );
    };
    let body = match MessageBody::parse(&body, max) {
        Ok(body) => body,
        Err(problem) => return refuse(out, &problem),
    };
    if let Err(wait) = limiter.take() {
        return refuse(
            out,
            &format!(
                "Slow down: at most {} messages per {} s. Try again in {} s.",
                limiter.max,
                limiter.window.as_secs(),
                wait.as_secs().max(1)
            ),
        );
    }
    match room::post(state, room, user, &body).await {
        // The sender sees its message when the room does, in the room's order.
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(error = %err, "chat message not stored");
            refuse(out, "The message could not be stored; try again.")
        }
    }
}

/// JSON framing around a body of `max` bytes (`{"type":"say","body":"..."}`) is let through;
/// escapes can at most double a body, which the body check then refuses.
const FRAME_OVERHEAD: usize = 64;

fn refuse(out: &mpsc::Sender<Message>, message: &str) -> Option<End> {
    enqueue(
        out,
        &ServerFrame::Error {
            message: message.to_owned(),
        },
    )
}

fn enqueue(out: &mpsc::Sender<Message>, frame: &ServerFrame) -> Option<End> {
    match serde_json::to_string(frame) {
        Ok(json) => send(out, Message::Text(json.into())),
        Err(err) => {
            tracing::warn!(error = %err, "chat frame not serialisable");
            None
        }
    }
}

/// Queues a frame for the writer; a full queue means the client cannot keep up.
fn send(out: &mpsc::Sender<Message>, message: Message) -> Option<End> {
    match out.try_send(message) {
        Ok(()) => None,
        Err(TrySendError::Full(_)) => Some(End::TooSlow),
        Err(TrySendError::Closed(_)) => Some(End::WriteFailed),
    }
}

fn is_capacity(err: &axum::Error) -> bool {
    let text = err.to_string();
    text.contains("Space limit exceeded") || text.contains("too long") || text.contains("Capacity")
}

/// Writes queued frames until the queue closes; a write that takes longer than `timeout` (a
/// client that stopped reading) ends it.
async fn write_all(
    mut sink: SplitSink<WebSocket, Message>,
    mut queue: mpsc::Receiver<Message>,
    timeout: Duration,
) {
    while let Some(message) = queue.recv().await {
        let closing = matches!(message, Message::Close(_));
        match tokio::time::timeout(timeout, sink.send(message)).await {
            Ok(Ok(())) if !closing => {}
            _ => return,
        }
    }
    let _ = tokio::time::timeout(timeout, sink.close()).await;
}

/// Says goodbye where the client can still hear it, then stops the writer.
async fn finish(end: End, out: mpsc::Sender<Message>, mut writer: tokio::task::JoinHandle<()>) {
    let close = |code, reason: &'static str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        }))
    };
    let goodbye = match end {
        End::TooBig => Some(close(close_code::SIZE, "message too big")),
        End::Idle => Some(close(close_code::AWAY, "idle timeout")),
        End::Shutdown => Some(close(close_code::AWAY, "server shutting down")),
        End::ClientLeft => Some(Message::Close(None)),
        // The queue is full or the socket is stuck: nothing more can be written.
        End::TooSlow | End::WriteFailed => None,
    };
    let queued = goodbye.is_some_and(|goodbye| out.try_send(goodbye).is_ok());
    drop(out);
    if !queued {
        writer.abort();
        return;
    }
    if tokio::time::timeout(Duration::from_secs(5), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// A fixed-window posting limit for one connection.
#[derive(Debug)]
struct RateLimit {
    max: u32,
    window: Duration,
    started: Instant,
    used: u32,
}

impl RateLimit {
    fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            started: Instant::now(),
            used: 0,
        }
    }

    /// Counts a post; `Err(wait)` when over the limit until the window ends.
    fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        if now.duration_since(self.started) >= self.window {
            self.started = now;
            self.used = 0;
        }
        if self.used >= self.max {
            return Err(self.window.saturating_sub(now.duration_since(self.started)));
        }
        self.used += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_posting_limit_refills_each_window() {
        let mut limit = RateLimit::new(2, Duration::from_secs(10));
        limit.take().unwrap();
        limit.take().unwrap();
        assert_eq!(limit.take(), Err(Duration::from_secs(10)));
        tokio::time::advance(Duration::from_secs(4)).await;
        assert_eq!(limit.take(), Err(Duration::from_secs(6)));
        tokio::time::advance(Duration::from_secs(6)).await;
        limit.take().unwrap();
    }
}
