//! The chat demo across replicas.

use std::time::Duration;

use web::chat::protocol::ServerFrame;

use crate::{
    helpers::{create_token, sample},
    topology::Stack,
};

/// A user's message on one replica reaches a reader on the other (PostgreSQL's NOTIFY).
pub async fn between_replicas(stack: &Stack, admin: i64) {
    let token = create_token(&stack.db, admin, "chat").await;
    let ws = stack.proxy.replacen("http://", "ws://", 1) + "/ws/chat/stack";
    let limit = Duration::from_secs(30);
    let mut writer = web::chat::client::ChatClient::builder(&ws)
        .header("authorization", &format!("Bearer {token}"))
        .read_timeout(limit)
        .connect()
        .await
        .unwrap();
    // The proxy sends the second socket to the replica with fewer connections: the other one.
    let mut reader = web::chat::client::ChatClient::builder(&ws)
        .read_timeout(limit)
        .connect()
        .await
        .unwrap();
    // Each replica subscribes a socket to the room before it sends the room's history: from the
    // history on, a message reaches it live. (One posted before could come in the history only.)
    for client in [&mut writer, &mut reader] {
        let greeted = client.next_matching(|f| matches!(f, ServerFrame::History { .. }));
        greeted.await.unwrap();
    }
    for n in 0..2 {
        let sockets = sample(&stack.metrics(n).await, "websocket_connections", &[]);
        assert_eq!(
            sockets,
            Some(1.0),
            "replica {n} holds one of the two sockets"
        );
    }
    writer.say("hello from the other replica").await.unwrap();
    // The writer's replica hands it back too (or says why not).
    let echo = tokio::time::timeout(limit, writer.next_message()).await;
    let Ok(Ok((_, echoed))) = echo else {
        panic!(
            "the writer hears its message: {echo:?}\n{}",
            stack.replica_warnings()
        );
    };
    assert_eq!(echoed, "hello from the other replica");
    let heard = tokio::time::timeout(limit, reader.next_message()).await;
    let Ok(Ok((author, body))) = heard else {
        panic!(
            "the reader on the other replica hears it: {heard:?}\n{}",
            stack.replica_warnings()
        );
    };
    assert_eq!(author, "admin", "the author by the name chat shows");
    assert_eq!(body, "hello from the other replica");
}
