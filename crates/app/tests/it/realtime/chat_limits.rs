//! The chat socket's limits: a slow reader is dropped without slowing the room, an oversized
//! message closes with 1009, a cross-site page cannot open the socket, posts are rate limited,
//! and a silent client is timed out.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use web::chat::{ServerFrame, client::ClientError};

use super::chat::joined;
use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_slow_consumer_is_dropped_while_the_others_keep_receiving() {
    let app = spawn_app_with(&[("APP_CHAT_BUFFER", "8"), ("APP_CHAT_RATE_LIMIT", "100000")]).await;
    // A guest that reads its greeting, then stops reading, with a small socket buffer so the
    // server's writes to it stall once the kernel buffers are full.
    let mut slow = app
        .chat_client("busy")
        .recv_buffer(4096)
        .connect()
        .await
        .unwrap();
    joined(&mut slow).await;
    let mut fast = app.chat("busy").await;
    joined(&mut fast).await;

    // About 2.8 MB: more than the loopback socket buffers hold.
    const COUNT: usize = 800;
    let body = "x".repeat(3_500);
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut guests_left = false;
        while got.len() < COUNT {
            match fast.next_frame().await.unwrap() {
                ServerFrame::Message { message } => got.push(message.id),
                ServerFrame::Presence(p) if p.guests == 0 => guests_left = true,
                _ => {}
            }
        }
        while !guests_left {
            if let ServerFrame::Presence(p) = fast.next_frame().await.unwrap() {
                guests_left = p.guests == 0;
            }
        }
        got
    });
    // Posted through the room's form: a socket client that never read its own socket would
    // stall there (tungstenite flushes a socket's pending writes before it reads from it).
    for _ in 0..COUNT {
        let posted = app.post_form("/chat/busy", &[("body", &body)]).await;
        assert_eq!(posted.status(), reqwest::StatusCode::SEE_OTHER);
    }
    // The fast reader got every message, in order, and saw the slow guest leave the room.
    let ids = reader.await.unwrap();
    assert_eq!(ids.len(), COUNT);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order");
    // The slow reader finds its stream cut short: what was buffered, then the end.
    let (_, frames) = slow.until_closed().await;
    assert!(
        frames < COUNT,
        "the slow reader was dropped after {frames} frames"
    );
}

#[tokio::test]
async fn an_oversized_message_closes_the_socket_with_1009() {
    let app = spawn_app_with(&[]).await;
    let mut client = app.chat("big").await;
    joined(&mut client).await;
    client.say(&"y".repeat(5_000)).await.unwrap();
    let (code, _) = client.until_closed().await;
    assert_eq!(code, Some(1009));
    // A message within the limit but empty after trimming is only refused.
    let mut client = app.chat("big").await;
    joined(&mut client).await;
    client.say("   ").await.unwrap();
    let refused = client
        .next_matching(|f| matches!(f, ServerFrame::Error { .. }))
        .await
        .unwrap();
    assert!(matches!(refused, ServerFrame::Error { message } if message.contains("empty")));
    assert!(
        db::chat::recent(&app.db, &db::chat::RoomName::parse("big").unwrap(), 5)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_cross_origin_upgrade_is_refused() {
    let app = spawn_app_with(&[]).await;
    let refused = crate::helpers::chat_builder(&app.ws_url("/ws/chat/lobby"))
        .header("origin", "https://evil.example")
        .header("authorization", &format!("Bearer {}", app.token))
        .connect()
        .await;
    assert!(
        matches!(refused, Err(ClientError::Refused { status: 403 })),
        "{refused:?}"
    );
    let trusted = spawn_app_with(&[("APP_TRUSTED_ORIGINS", "https://app.example")]).await;
    let allowed = trusted
        .chat_client("lobby")
        .header("origin", "https://app.example")
        .connect()
        .await;
    assert!(allowed.is_ok(), "a trusted origin may connect");
}

#[tokio::test]
async fn posting_faster_than_the_limit_is_refused_with_a_reason() {
    let app = spawn_app_with(&[
        ("APP_CHAT_RATE_LIMIT", "3"),
        ("APP_CHAT_RATE_WINDOW_SECS", "60"),
    ])
    .await;
    let mut client = app.chat("quick").await;
    joined(&mut client).await;
    for n in 0..4 {
        client.say(&format!("n{n}")).await.unwrap();
    }
    let mut bodies = Vec::new();
    let refusal = loop {
        match client.next_frame().await.unwrap() {
            ServerFrame::Message { message } => bodies.push(message.body),
            ServerFrame::Error { message } => break message,
            _ => {}
        }
    };
    assert!(
        refusal.starts_with("Slow down: at most 3 messages per 60 s."),
        "{refusal}"
    );
    // The three allowed ones are stored; the fourth is not.
    let stored = db::chat::recent(&app.db, &db::chat::RoomName::parse("quick").unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(
        stored.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["n0", "n1", "n2"]
    );
}

/// A raw TCP client: it completes the handshake and then neither reads nor answers pings, so
/// nothing tungstenite does for a client (answering pings) hides the server's timeout.
#[tokio::test]
async fn a_client_that_never_answers_pings_is_closed_as_idle() {
    let app = spawn_app_with(&[("APP_CHAT_PING_SECS", "1"), ("APP_CHAT_IDLE_SECS", "2")]).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!(
        "GET /ws/chat/idle HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    tcp.read_to_end(&mut received).await.unwrap();
    assert!(received.starts_with(b"HTTP/1.1 101"), "upgraded");
    // A close frame: FIN + opcode 8, 14 bytes: code 1001 (going away) and the reason.
    let close = [&[0x88, 14, 0x03, 0xE9][..], b"idle timeout"].concat();
    assert!(
        received.windows(close.len()).any(|w| w == close.as_slice()),
        "the server closed with 1001 idle timeout"
    );
    // It pinged first (opcode 9) and was not answered.
    assert!(received.windows(2).any(|w| w == [0x89, 0x00]));
}
